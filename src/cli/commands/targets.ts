import { UserError } from '../../diagnostics/diagnostic.js';
import { plainText, readCapabilities, targetTitle, warningCodes } from '../../targets/capabilities.js';
import { TARGETS, type TargetName } from '../../targets/target.js';
import { oneOf, parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../io.js';
import { parseTargets } from './compile.js';

const HELP = `Usage: pipewright targets [<target>…] [--format text|json|markdown]

What each compile target (compose, k8s, gitlab) does with each spec field, and which capability note (PW3xx) it
reports where it cannot express a field exactly. It prints the "Feature × target" table of docs/targets.md (shipped
with pipewright), so the command and the page always agree; --format markdown prints the table as written there.

Options:
  --format text        per target, one line per spec field (default)
  --format json        [{target, title, features: [{field, does, warnings}]}]
  --format markdown    the table of docs/targets.md

Exit codes: 0 printed, 2 usage error (unknown target or format) or internal error.
`;

export const command: Command = {
  summary: 'show what each compile target does with each spec field (capability table)',
  help: HELP,
  usesProject: false,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, { format: { type: 'string' } }, 'targets');
    const format = oneOf(values.format, ['text', 'json', 'markdown'] as const, '--format', 'text');
    const chosen: readonly TargetName[] = parseTargets(positionals) ?? TARGETS;
    const capabilities = await readCapabilities();
    if (format === 'markdown') {
      if (positionals.length > 0) throw new UserError('targets: --format markdown prints the whole table', 2);
      io.stdout(`${capabilities.markdown}\n`);
      return 0;
    }
    const tables = chosen.map((target) => ({
      target,
      title: targetTitle(target),
      features: capabilities.rows.map((c) => ({
        field: plainText(c.field),
        does: plainText(c[target]),
        warnings: warningCodes(c[target]),
      })),
    }));
    if (format === 'json') {
      io.stdout(`${JSON.stringify(tables, null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...tables.flatMap((t) => t.features.map((f) => f.field.length)));
    const blocks = tables.map((t) =>
      [`${t.title} (--target ${t.target})`, ...t.features.map((f) => `  ${f.field.padEnd(width)}  ${f.does}`)].join(
        '\n',
      ),
    );
    io.stdout(`${blocks.join('\n\n')}\n\nCodes: \`pipewright explain PW3nn\`; details: docs/targets.md.\n`);
    return 0;
  },
};
