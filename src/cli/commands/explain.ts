import { readFile } from 'node:fs/promises';
import { CODES, type DiagnosticCode } from '../../diagnostics/codes.js';
import { UserError } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../spec/validate.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../io.js';

/** docs/diagnostics.md ships with the package (package.json "files"): found from src/cli/commands/ and dist/cli/commands/. */
export const DIAGNOSTICS_DOC = new URL('../../../docs/diagnostics.md', import.meta.url);

const HELP = `Usage: pipewright explain <code>

Print the documentation of a diagnostic code — what it catches, why, how to fix it, and an example with its exact
output — from docs/diagnostics.md (the page the tests re-run, so it is what pipewright prints). Codes are written
PW209 or pw209; a code's name works too (unpinned-image).

Exit codes: 0 printed, 2 unknown code, usage error or internal error.
`;

/** The `## PWnnn name` section of the diagnostics page, without the heading's trailing blank lines. */
export function explainSection(markdown: string, code: DiagnosticCode): string | undefined {
  const headings = [...markdown.matchAll(/^## (PW\d{3}) \S+\s*$/gm)];
  const at = headings.findIndex((h) => h[1] === code);
  if (at === -1) return undefined;
  const from = headings[at]!.index;
  const next = markdown.slice(from + 1).search(/^## /m);
  return markdown.slice(from, next === -1 ? undefined : from + 1 + next).trimEnd();
}

function resolveCode(word: string): DiagnosticCode {
  const upper = word.toUpperCase();
  if (Object.hasOwn(CODES, upper)) return upper as DiagnosticCode;
  const byName = (Object.keys(CODES) as DiagnosticCode[]).find((c) => CODES[c] === word.toLowerCase());
  if (byName) return byName;
  const suggestion = didYouMean(upper, Object.keys(CODES)) ?? didYouMean(word, Object.values(CODES));
  throw new UserError(
    `explain: unknown code '${word}'${suggestion ? `: did you mean '${suggestion}'?` : ''} (codes: docs/diagnostics.md)`,
    2,
  );
}

export const command: Command = {
  summary: 'print the documentation of a diagnostic code (e.g. pipewright explain PW209)',
  help: HELP,
  usesProject: false,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals } = parseCommandArgs(argv, {}, 'explain');
    if (positionals.length !== 1)
      throw new UserError('explain: which code? (usage: pipewright explain <code>, e.g. PW209)', 2);
    const code = resolveCode(positionals[0]!);
    const section = explainSection(await readFile(DIAGNOSTICS_DOC, 'utf8'), code);
    if (section === undefined) throw new Error(`docs/diagnostics.md has no section for ${code}`);
    io.stdout(`${section}\n`);
    return 0;
  },
};
