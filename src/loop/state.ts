/**
 * The daemon's state on disk, `<state-dir>/state.json`, rewritten atomically at every transition. A run is recorded
 * (interval, run id, `queued`) and the pipeline's watermark advanced in the same write, before anything is started:
 * after a crash the entry is found again and continued under the same run id, so an interval is never lost and never
 * run twice (the runtime's run state and deterministic container names do the rest: adoption, not duplication).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { SlaState } from './calendar.js';

export type EntryStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunEntry {
  /** Data interval (ISO instants): logical date = start, scheduled time = end. */
  start: string;
  end: string;
  /** `ds`: the logical date's calendar date in the pipeline's time zone. */
  ds: string;
  runId: string;
  /** The commit whose artifact the run executes (set when it starts). */
  commit?: string;
  specHash?: string;
  status: EntryStatus;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Why the run could not start or was cancelled (no secret values). */
  error?: string;
  /** Set when the pipeline has an SLA. */
  sla?: SlaState;
}

export interface PipelineEntry {
  /** Start of the last interval a run was recorded for (the calendar's watermark). */
  after?: string;
  /** Oldest first; finished ones are trimmed to the last KEEP_FINISHED. */
  runs: RunEntry[];
  /** When the pipeline left the followed branch. */
  removedAt?: string;
}

export interface DaemonState {
  schemaVersion: 1;
  /** The last commit that passed verification (served until a newer good one arrives). */
  lastGood?: { commit: string; at: string };
  pipelines: Record<string, PipelineEntry>;
}

export const KEEP_FINISHED = 100;

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export class StateFileError extends Error {
  override name = 'StateFileError';
}

export function loadDaemonState(stateDir: string): DaemonState {
  const file = stateFile(stateDir);
  if (!existsSync(file)) return { schemaVersion: 1, pipelines: {} };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StateFileError(
      `${file} is not readable JSON (${(error as Error).message}); move it away to start afresh`,
    );
  }
  const state = value as DaemonState;
  if (state?.schemaVersion !== 1 || typeof state.pipelines !== 'object' || state.pipelines === null) {
    throw new StateFileError(`${file} is not a pipewright reconcile state (schemaVersion 1)`);
  }
  return state;
}

export function saveDaemonState(stateDir: string, state: DaemonState): void {
  writeFileAtomic(stateFile(stateDir), `${JSON.stringify(state, null, 2)}\n`);
}

/** Drop the oldest finished entries beyond KEEP_FINISHED (active ones always stay). */
export function trimRuns(entry: PipelineEntry): void {
  const finished = entry.runs.filter((r) => r.status !== 'queued' && r.status !== 'running');
  if (finished.length <= KEEP_FINISHED) return;
  const drop = new Set(finished.slice(0, finished.length - KEEP_FINISHED));
  entry.runs = entry.runs.filter((r) => !drop.has(r));
}
