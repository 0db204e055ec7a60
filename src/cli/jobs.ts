import type { ProjectConfig } from '../config/types.js';
import { UserError } from '../diagnostics/diagnostic.js';
import { PARALLEL_MIN_BYTES } from '../emit/pool.js';

/** `--jobs N` of validate, compile and check: threads for the per-spec work (src/emit/parallel.ts). */
export const JOBS_OPTION = { jobs: { type: 'string' } } as const;

/** The help lines of --jobs, its text starting at column `column` (as the other options of the command). */
export function jobsHelp(column: number): string {
  const pad = ' '.repeat(column);
  return [
    `${'  --jobs <n|auto>'.padEnd(column)}threads for the per-spec work (read, validate, normalize, emit); 1 runs everything`,
    `${pad}on the main thread; auto: one per available CPU once the specs total ${PARALLEL_MIN_BYTES / 1024} KiB, else 1.`,
    `${pad}Default: pipewright.yaml \`jobs\` (docs/config.md), else auto. Outputs and diagnostics are the`,
    `${pad}same bytes, in the same order, whatever the number (with environments in pipewright.yaml too: every`,
    `${pad}spec in every environment is one task).`,
  ].join('\n');
}

/**
 * The threads a command uses: `--jobs` when given (a whole number ≥ 1, or `auto`), else pipewright.yaml `jobs` (its
 * schema allows the same values), else `auto`.
 */
export function parseJobs(value: string | undefined, config?: Pick<ProjectConfig, 'jobs'>): number | 'auto' {
  if (value === undefined) return config?.jobs ?? 'auto';
  if (value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UserError(`--jobs must be a whole number of at least 1, or auto (got '${value}')`, 2);
  return Number(value);
}
