import { UserError } from '../diagnostics/diagnostic.js';
import { PARALLEL_MIN_BYTES } from '../emit/pool.js';
import { wholeNumber } from './args.js';

/** `--jobs N` of validate, compile and check: threads for the per-spec work (src/emit/parallel.ts). */
export const JOBS_OPTION = { jobs: { type: 'string' } } as const;

/** The help lines of --jobs, its text starting at column `column` (as the other options of the command). */
export function jobsHelp(column: number): string {
  const pad = ' '.repeat(column);
  return [
    `${'  --jobs <n>'.padEnd(column)}threads for the per-spec work (read, validate, normalize, emit); 1 runs everything`,
    `${pad}on the main thread; default: one per available CPU once the specs total ${PARALLEL_MIN_BYTES / 1024} KiB, else 1.`,
    `${pad}Outputs and diagnostics are the same bytes, in the same order, whatever the number. A project with`,
    `${pad}environments in pipewright.yaml compiles on the main thread.`,
  ].join('\n');
}

/** The --jobs value: a whole number ≥ 1, or 'auto' when absent. */
export function parseJobs(value: string | undefined): number | 'auto' {
  const jobs = wholeNumber(value, '--jobs');
  if (jobs === undefined) return 'auto';
  if (jobs < 1) throw new UserError(`--jobs must be at least 1 (got '${value}')`, 2);
  return jobs;
}
