/**
 * POSIX shell quoting: the ONE place where pipewright turns argv words into shell text (GitLab `script`).
 * Literal text is single-quoted (nothing inside single quotes is special to the shell: not `$`, not backticks,
 * not backslashes, not newlines); the only character that needs care is `'` itself, written as `'\''`.
 * Run-time references become `"$VAR"` segments so the shell substitutes them without word splitting or globbing.
 */

import { paramEnvVar } from '../model/ids.js';
import { BUILTIN_ENV, type RuntimeRef, type Template } from '../model/ir.js';

/** The environment variable carrying a run-time reference: `ds` → `PIPEWRIGHT_DS`, param `region` → `PIPEWRIGHT_PARAM_REGION`. */
export function runtimeEnvVar(ref: RuntimeRef): string {
  return ref.kind === 'builtin' ? BUILTIN_ENV[ref.name] : paramEnvVar(ref.name);
}

/**
 * A backtick written as a command substitution that prints it. A literal backtick inside single quotes is already
 * inert for POSIX shells, but tools that echo each script line inside double quotes before running it (gitlab-ci-local's
 * job trace escapes `"`, `\\` and `$` but not backticks) would execute the text between two backticks. Spelling the
 * character through `$(printf …)` keeps the line free of backticks, so no such trace can run anything.
 */
const BACKTICK = `"$(printf '\\140')"`;

/** Single-quote a literal string: `it's` → `'it'\''s'`. The empty string is `''`. */
export function quoteShellLiteral(text: string): string {
  return text
    .split('`')
    .map((part) => `'${part.replaceAll("'", `'\\''`)}'`)
    .join(BACKTICK)
    .replaceAll(`''${BACKTICK}`, BACKTICK)
    .replaceAll(`${BACKTICK}''`, BACKTICK);
}

/**
 * Quote one argv word so that a POSIX shell passes it to the program as exactly one argument, unchanged.
 * A template's references are expanded by the shell at run time: `--date={{ ds }}` → `'--date='"$PIPEWRIGHT_DS"`.
 * (A NUL byte cannot travel through any argv: validation must reject it before compile.)
 */
export function quoteShellWord(word: Template | string): string {
  const segments: Template = typeof word === 'string' ? [{ text: word }] : word;
  const out: string[] = [];
  for (const segment of segments) {
    if ('text' in segment) {
      if (segment.text !== '') out.push(quoteShellLiteral(segment.text));
    } else out.push(`"$${runtimeEnvVar(segment.ref)}"`);
  }
  return out.length === 0 ? "''" : out.join('');
}

/** One shell command line running `argv` (no shell interpretation of the words themselves). */
export function quoteShellCommand(argv: readonly (Template | string)[]): string {
  return argv.map(quoteShellWord).join(' ');
}
