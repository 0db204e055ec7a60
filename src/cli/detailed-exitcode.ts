/**
 * `--detailed-exitcode` (terraform's convention) for `diff` and `check`: 0 = succeeded, no changes; 1 = findings or
 * errors (invalid specs, a --fail-on gate, bad usage, an internal error); 2 = succeeded, there are changes.
 * Without the flag the usual codes hold (0 ok, 1 findings, 2 usage or internal error). With it, every error exits 1,
 * so that 2 means "changes" and nothing else — a CI script can branch on it.
 */
import { UserError } from '../diagnostics/diagnostic.js';
import type { CliIO } from './io.js';

export const DETAILED_EXITCODE_FLAG = '--detailed-exitcode';

/** The flag is looked for before parsing, so that even a bad flag next to it exits 1, not 2. */
export function wantsDetailedExitCode(argv: readonly string[]): boolean {
  return argv.includes(DETAILED_EXITCODE_FLAG);
}

/** Runs a command body; under --detailed-exitcode, errors that would exit 2 exit 1 instead. */
export async function withDetailedExitCode(
  argv: readonly string[],
  io: CliIO,
  command: string,
  body: () => Promise<number>,
): Promise<number> {
  if (!wantsDetailedExitCode(argv)) return body();
  try {
    return await body();
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr(`pipewright: ${error.message}\n`);
      return 1;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(
      `pipewright: ${command}: internal error — this is a bug, please report it with the details below.\n${detail}\n`,
    );
    return 1;
  }
}
