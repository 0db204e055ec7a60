import { UserError } from '../diagnostics/diagnostic.js';
import type { CliIO, Command } from './io.js';

/** Lazily loaded so `pipewright validate` does not pay for dockerode or chokidar. */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  validate: () => import('./commands/validate.js'),
  compile: () => import('./commands/compile.js'),
  check: () => import('./commands/check.js'),
  graph: () => import('./commands/graph.js'),
  diff: () => import('./commands/diff.js'),
  changelog: () => import('./commands/changelog.js'),
  watch: () => import('./commands/watch.js'),
  run: () => import('./commands/run.js'),
  runs: () => import('./commands/runs.js'),
  audit: () => import('./commands/audit.js'),
};

export const VERSION = '0.1.0';

async function usage(): Promise<string> {
  const lines = ['Usage: pipewright <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push(
    '',
    'Run `pipewright <command> --help` for the options of a command.',
    'Exit codes: 0 ok, 1 errors found, 2 usage or internal error.',
  );
  return `${lines.join('\n')}\n`;
}

/** The one top-level catch: user errors exit 1 without a stack; anything else is a bug (exit 2). */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(await usage());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-V') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) {
      io.stderr(`pipewright: unknown command '${name}'\n\n${await usage()}`);
      return 2;
    }
    const { command } = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`${command.help.trimEnd()}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr(`pipewright: ${error.message}\n`);
      return error.exitCode;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`pipewright: internal error — this is a bug, please report it with the details below.\n${detail}\n`);
    return 2;
  }
}
