import { resolve } from 'node:path';
import { openProject } from '../config/index.js';
import { UserError } from '../diagnostics/diagnostic.js';
import { formatText } from '../diagnostics/format-text.js';
import { didYouMean } from '../spec/validate.js';
import { VERSION } from '../version.js';
import type { CliIO, Command } from './io.js';
import { useColor } from './io.js';
import { neutralizeControls } from './terminal-text.js';

/** Lazily loaded so `pipewright validate` does not pay for dockerode or chokidar. */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  init: () => import('./commands/init.js'),
  validate: () => import('./commands/validate.js'),
  compile: () => import('./commands/compile.js'),
  check: () => import('./commands/check.js'),
  list: () => import('./commands/list.js'),
  graph: () => import('./commands/graph.js'),
  diff: () => import('./commands/diff.js'),
  lineage: () => import('./commands/lineage.js'),
  changelog: () => import('./commands/changelog.js'),
  watch: () => import('./commands/watch.js'),
  run: () => import('./commands/run.js'),
  runs: () => import('./commands/runs.js'),
  audit: () => import('./commands/audit.js'),
  plan: () => import('./commands/plan.js'),
  apply: () => import('./commands/apply.js'),
  release: () => import('./commands/release.js'),
  explain: () => import('./commands/explain.js'),
  targets: () => import('./commands/targets.js'),
  reconcile: () => import('./commands/reconcile.js'),
  promote: () => import('./commands/promote.js'),
};

export const COMMAND_NAMES: readonly string[] = [...Object.keys(COMMANDS), 'help'];

export { VERSION };

export const EXIT_CODES_LINE =
  'Exit codes: 0 ok, 1 findings (invalid specs, stale output, failed run …), 2 usage or internal error.';

async function usage(): Promise<string> {
  const lines = ['Usage: pipewright <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push(
    `  ${'help'.padEnd(10)} print the help of a command (pipewright help <command>)`,
    '',
    'Run `pipewright help <command>` or `pipewright <command> --help` for its options and exit codes.',
    'Commands run from any subdirectory of a project: the root is the nearest directory with pipewright.yaml, else',
    'the top of the git repository (docs/config.md).',
    EXIT_CODES_LINE,
  );
  return `${lines.join('\n')}\n`;
}

function commandFor(name: string): (() => Promise<{ command: Command }>) | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

function unknownCommand(name: string): UserError {
  const suggestion = didYouMean(name, COMMAND_NAMES);
  return new UserError(
    `unknown command '${name}'${suggestion ? `: did you mean '${suggestion}'?` : ''} (see \`pipewright --help\`)`,
    2,
  );
}

/** The one top-level catch: user errors exit with their code without a stack; anything else is a bug (exit 2). */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  // the one sink of every command's output: no control character from data reaches the terminal (terminal-text.ts)
  return runCommand(argv, {
    ...io,
    stdout: (text) => io.stdout(neutralizeControls(text)),
    stderr: (text) => io.stderr(neutralizeControls(text)),
  });
}

async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h') {
      io.stdout(await usage());
      return name === undefined ? 2 : 0;
    }
    if (name === 'help') {
      const [topic, ...extra] = rest;
      if (topic === undefined) {
        io.stdout(await usage());
        return 0;
      }
      if (extra.length > 0) throw new UserError(`help takes one command (got ${rest.join(' ')})`, 2);
      const load = commandFor(topic);
      if (!load) throw unknownCommand(topic);
      io.stdout(`${(await load()).command.help.trimEnd()}\n`);
      return 0;
    }
    if (name === '--version' || name === '-V') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    const load = commandFor(name);
    if (!load) throw unknownCommand(name);
    const { command } = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`${command.help.trimEnd()}\n`);
      return 0;
    }
    if (command.usesProject === false) return await command.run(rest, io);
    const opened = await openProject(io.cwd);
    if (!opened.ok) {
      io.stderr(
        formatText(
          { diagnostics: opened.diagnostics, files: 1, sources: new Map([[opened.file, opened.source]]) },
          { color: useColor(io) },
        ),
      );
      io.stderr(`pipewright: ${opened.file} is invalid (in ${opened.root}); fix it first (docs/config.md)\n`);
      return 2;
    }
    const { project } = opened;
    const here = resolve(io.cwd);
    return await command.run(rest, {
      ...io,
      cwd: project.root,
      ...(project.root !== here ? { invokedFrom: here } : {}),
      project,
    });
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
