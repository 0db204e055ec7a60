/**
 * Run state on disk: `<runsDir>/<runId>/state.json`, rewritten atomically (temp file, fsync, rename) at every
 * transition, so a runner killed at any point leaves the last recorded intent behind. `<runId>/runner.lock` holds the
 * pid of the runner executing it: a second runner refuses to resume a run whose runner is alive.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { acquireLock, lockOwnerAlive } from './lock-file.js';
import type { TaskState } from './scheduler.js';

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunTaskState extends TaskState {
  type: 'task' | 'check';
}

export interface RunState {
  schemaVersion: 1;
  runId: string;
  pipeline: string;
  version: string;
  specHash: string;
  logicalDate: string;
  executor: 'local' | 'docker' | 'kubernetes';
  /** Param values (params are configuration, never secrets). */
  params: Record<string, string>;
  /** The Compose artifact the run executes (or `(compiled in memory)`). */
  artifact: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** The runner currently (or last) executing the run. */
  runner: { pid: number; host: string };
  /** How many times the run was started (1 + resumes). */
  rounds: number;
  /** In plan order. */
  tasks: Record<string, RunTaskState>;
  /** A scheduled run not succeeded by its schedule tick + spec.sla (pipewright release --scheduled). */
  slaMiss?: { dueBy: string; status: RunStatus };
}

const RUN_ID = /^[0-9]{8}-[0-9a-f]{8}$/;

export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** `<ds_nodash>-<8 hex>`: sortable by logical date, unique enough, safe in container names. */
export function newRunId(logicalDate: string, runsDir: string): string {
  for (;;) {
    const id = `${logicalDate.replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
    if (!existsSync(join(runsDir, id))) return id;
  }
}

export function stateFile(runsDir: string, runId: string): string {
  return join(runsDir, runId, 'state.json');
}

export function saveRunState(runsDir: string, state: RunState): void {
  state.updatedAt = new Date().toISOString();
  writeFileAtomic(stateFile(runsDir, state.runId), `${JSON.stringify(state, null, 2)}\n`);
}

export function loadRunState(runsDir: string, runId: string): RunState | undefined {
  const file = stateFile(runsDir, runId);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RunState;
}

/** Every run under runsDir, oldest first (by creation time, then id). Unreadable state files are skipped. */
export function listRuns(runsDir: string): RunState[] {
  if (!existsSync(runsDir)) return [];
  const runs: RunState[] = [];
  for (const entry of readdirSync(runsDir)) {
    if (!isRunId(entry)) continue;
    try {
      const state = loadRunState(runsDir, entry);
      if (state) runs.push(state);
    } catch {
      // A state file being written by someone else's crash is not ours to judge here.
    }
  }
  return runs.sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.runId < b.runId ? -1 : 1,
  );
}

/** Takes the run's runner lock without waiting; throws LockHeldError when a live runner holds it. */
export function lockRun(runsDir: string, runId: string): () => void {
  return acquireLock(join(runsDir, runId, 'runner'), 0);
}

export function runnerIdentity(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() };
}

/** True while a live process holds the run's runner lock. */
export function runnerAlive(runsDir: string, runId: string): boolean {
  try {
    return lockOwnerAlive(readFileSync(join(runsDir, runId, 'runner.lock'), 'utf8'));
  } catch {
    return false;
  }
}

/** `running` in the state file but no live runner: the runner was killed; `--resume` (or a re-run) continues it. */
export function displayStatus(runsDir: string, state: RunState): RunStatus | 'interrupted' {
  return state.status === 'running' && !runnerAlive(runsDir, state.runId) ? 'interrupted' : state.status;
}
