/** Run results as users see them: the JSON shape of `run --format json`, the summary table, the `runs` listing. */
import type { RunState } from './state.js';

export type TaskJsonStatus = 'succeeded' | 'failed' | 'upstream_failed' | 'skipped';

export interface RunJson {
  runId: string;
  pipeline: string;
  version: string;
  logicalDate: string;
  executor: 'local' | 'docker' | 'kubernetes';
  status: 'succeeded' | 'failed';
  /** The date had already succeeded for this spec hash and params: nothing ran now (the run shown is the earlier one). */
  skipped: boolean;
  tasks: {
    id: string;
    status: TaskJsonStatus;
    attempts: number;
    exitCode: number | null;
    startedAt: string | null;
    finishedAt: string | null;
  }[];
}

/**
 * The closing line of a multi-date run (backfill): `3 dates: 2 succeeded, 1 failed`, skipped dates (already done)
 * counted on their own.
 */
export function datesSummary(results: readonly RunJson[], requested: number): string {
  const count = (pick: (r: RunJson) => boolean) => results.filter(pick).length;
  const parts = [
    [count((r) => !r.skipped && r.status === 'succeeded'), 'succeeded'],
    [count((r) => r.skipped), 'skipped (already done)'],
    [count((r) => r.status === 'failed'), 'failed'],
    [requested - results.length, 'not run (interrupted)'],
  ] as const;
  const shown = parts.filter(([n], i) => n > 0 || i === 0).map(([n, w]) => `${n} ${w}`);
  return `${requested} date${requested === 1 ? '' : 's'}: ${shown.join(', ')}`;
}

/** A finished run. `skipped`: the date had already succeeded for this spec hash, nothing ran now. */
export function runJson(state: RunState, options: { skipped?: boolean } = {}): RunJson {
  return {
    runId: state.runId,
    pipeline: state.pipeline,
    version: state.version,
    logicalDate: state.logicalDate,
    executor: state.executor,
    status: state.status === 'succeeded' ? 'succeeded' : 'failed',
    skipped: options.skipped === true,
    tasks: Object.entries(state.tasks).map(([id, t]) =>
      options.skipped
        ? { id, status: 'skipped', attempts: 0, exitCode: null, startedAt: null, finishedAt: null }
        : {
            id,
            status: t.status === 'pending' || t.status === 'running' ? 'skipped' : t.status,
            attempts: t.attempts.length,
            exitCode: t.exitCode ?? null,
            startedAt: t.attempts[0]?.startedAt ?? null,
            finishedAt: t.finishedAt ?? null,
          },
    ),
  };
}

/** 1.234 s → "1.2s", 75 s → "1m15s". */
export function formatSeconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h ? `${h}h` : ''}${m}m${s % 60}s`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The table printed after a run: task, type, status, attempts, exit code, duration. */
export function summaryTable(state: RunState): string {
  const rows = Object.entries(state.tasks).map(([id, t]) => {
    const first = t.attempts[0]?.startedAt;
    const duration = first && t.finishedAt ? formatSeconds(Date.parse(t.finishedAt) - Date.parse(first)) : '-';
    const status = t.status === 'failed' && t.type === 'check' ? 'failed (quality gate)' : t.status;
    return [
      id,
      status,
      String(t.attempts.length),
      t.exitCode === undefined || t.exitCode === null ? '-' : String(t.exitCode),
      duration,
    ];
  });
  return table(['TASK', 'STATUS', 'ATTEMPTS', 'EXIT', 'DURATION'], rows);
}

/** One line under the table. */
export function runVerdict(state: RunState): string {
  const tasks = Object.entries(state.tasks);
  if (state.status === 'succeeded')
    return `run ${state.runId} succeeded (${tasks.length} task${tasks.length === 1 ? '' : 's'})`;
  const gates = tasks.filter(([, t]) => t.type === 'check' && t.status === 'failed').map(([id]) => id);
  const failed = tasks.filter(([, t]) => t.type !== 'check' && t.status === 'failed').map(([id]) => id);
  const parts: string[] = [];
  if (gates.length) parts.push(`quality gate failed: ${gates.join(', ')}`);
  if (failed.length) parts.push(`failed: ${failed.join(', ')}`);
  const blocked = tasks.filter(([, t]) => t.status === 'upstream_failed').length;
  if (blocked) parts.push(`${blocked} blocked upstream`);
  const skipped = tasks.filter(([, t]) => t.status === 'skipped').length;
  if (skipped) parts.push(`${skipped} skipped`);
  return `run ${state.runId} failed (${parts.join('; ')})`;
}
