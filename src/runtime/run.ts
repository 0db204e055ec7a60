/**
 * One run of a pipeline for one logical date: run state, scheduler, executor and ledger wired together.
 *   state (intent) ─▶ ledger run.start ─▶ scheduler(executor) ─▶ per attempt: state + ledger task.attempt
 *   ─▶ state final ─▶ executor cleanup ─▶ ledger run.finish
 * Starting from a recorded state (resume) adopts it: see runScheduler and the executors' `resume`.
 */

import { join } from 'node:path';
import type { AttemptSpec, Executor, ExecutorContext, LogStream } from './executor.js';
import { appendLedger, gitCommit, type LedgerEntry } from './ledger.js';
import { maskedStrings, maskText } from './mask.js';
import type { RunPlan } from './plan.js';
import { resolveTask, runVariables } from './resolve.js';
import type { AttemptHandle, AttemptRecord, TaskState } from './scheduler.js';
import { runScheduler } from './scheduler.js';
import { lockRun, newRunId, type RunState, type RunTaskState, runnerIdentity, saveRunState } from './state.js';
import { makeStateDir } from './state-dir.js';

export interface RunReporter {
  log(taskId: string, stream: LogStream, line: string): void;
  note(taskId: string | undefined, message: string): void;
}

/**
 * Watches a run's transitions (lineage events, metrics). Called synchronously; an observer that throws is ignored —
 * observing a run never changes it.
 */
export interface RunObserver {
  runStarted?(state: RunState): void;
  /** The first attempt of a task in this runner (also when an interrupted attempt is adopted). */
  taskStarted?(taskId: string, state: RunState): void;
  /** The task reached a final status (succeeded, failed, upstream_failed, skipped). */
  taskFinished?(taskId: string, state: RunState): void;
  /** The run ended; `aborted` when it was cancelled by the signal. */
  runFinished?(state: RunState, aborted: boolean): void;
}

export interface ExecuteRunOptions {
  plan: RunPlan;
  /** Where the plan came from (for state and messages). */
  artifact: string;
  logicalDate: string;
  /** Resolved param values. */
  params: Record<string, string>;
  executor: Executor;
  /** Task id → secret env → value (resolveSecrets). */
  secrets: ReadonlyMap<string, Record<string, string>>;
  runsDir: string;
  ledgerFile: string;
  /** Working directory (git commit for the ledger). */
  cwd: string;
  env: Record<string, string | undefined>;
  concurrency: number;
  reporter: RunReporter;
  /** A recorded run to continue instead of starting a new one. */
  resume?: RunState;
  /** The id of a new run (default: a fresh `<ds_nodash>-<random>`); the Kubernetes runner derives it from pipeline and date. */
  runId?: string;
  /** The logical date as a timestamp ({{ ts }}); default midnight UTC of logicalDate. */
  logicalTime?: string;
  signal?: AbortSignal;
  /** Ledger commit override (tests); default `git rev-parse HEAD` in cwd. */
  commit?: string | null;
  observer?: RunObserver;
}

function observe(observer: RunObserver | undefined, call: (o: RunObserver) => void): void {
  if (!observer) return;
  try {
    call(observer);
  } catch {
    // An observer's failure is its own (it reports through its own channel); the run goes on.
  }
}

/**
 * Masks secret values in a line of task output with `***`: every line of every value of at least MIN_MASKED_LENGTH
 * characters (see mask.ts). Only task output goes through it, never pipewright's own status lines.
 */
export function redactor(secrets: ReadonlyMap<string, Record<string, string>>): (line: string) => string {
  const { masked } = maskedStrings(secretValues(secrets));
  if (masked.length === 0) return (line) => line;
  return (line) => maskText(line, masked);
}

/** Every distinct secret value of a run. */
export function secretValues(secrets: ReadonlyMap<string, Record<string, string>>): string[] {
  return [...new Set([...secrets.values()].flatMap((s) => Object.values(s)))];
}

/**
 * A durable write that callers await, shared by every caller until it starts: the calls made in one turn of the event
 * loop (the scheduler recording a task as running and, in the same turn, the intent of its first attempt) cost one
 * write, each caller's promise resolving after a write that began after its call.
 */
export function coalescedWriter(write: () => void): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= Promise.resolve().then(() => {
      pending = undefined;
      write();
    });
    return pending;
  };
}

function freshState(options: ExecuteRunOptions, runId: string): RunState {
  const now = new Date().toISOString();
  const tasks: Record<string, RunTaskState> = {};
  for (const t of options.plan.tasks) tasks[t.id] = { type: t.type, status: 'pending', attempts: [] };
  return {
    schemaVersion: 1,
    runId,
    pipeline: options.plan.pipeline,
    version: options.plan.version,
    specHash: options.plan.specHash,
    logicalDate: options.logicalDate,
    executor: options.executor.name,
    params: options.params,
    artifact: options.artifact,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    runner: runnerIdentity(),
    rounds: 1,
    tasks,
  };
}

/**
 * A recorded run continues: tasks that failed, were blocked or skipped get a new round (a fresh retry budget, attempt
 * numbers continue); succeeded tasks stay; tasks recorded as running are adopted by the scheduler.
 */
function resumedState(previous: RunState): RunState {
  const state: RunState = structuredClone(previous);
  for (const task of Object.values(state.tasks)) {
    if (task.status === 'failed' || task.status === 'upstream_failed' || task.status === 'skipped') {
      task.status = 'pending';
      task.firstAttempt = task.attempts.length;
      delete task.finishedAt;
      delete task.exitCode;
    }
  }
  if (previous.status !== 'running') state.rounds++;
  state.status = 'running';
  delete state.finishedAt;
  state.runner = runnerIdentity();
  return state;
}

export async function executeRun(options: ExecuteRunOptions): Promise<RunState> {
  const { plan, runsDir, reporter } = options;
  const runId = options.resume?.runId ?? options.runId ?? newRunId(options.logicalDate, runsDir);
  makeStateDir(join(runsDir, runId));
  const release = lockRun(runsDir, runId);
  try {
    const state = options.resume ? resumedState(options.resume) : freshState(options, runId);
    saveRunState(runsDir, state);
    const persist = coalescedWriter(() => saveRunState(runsDir, state));

    const commit = options.commit !== undefined ? options.commit : gitCommit(options.cwd);
    const ledger = (entry: Omit<LedgerEntry, 'pipeline' | 'version' | 'specHash'>) =>
      appendLedger(
        options.ledgerFile,
        {
          pipeline: plan.pipeline,
          version: plan.version,
          specHash: plan.specHash,
          commit,
          ...entry,
          details: { runId, logicalDate: options.logicalDate, executor: options.executor.name, ...entry.details },
        },
        { cwd: options.cwd, env: options.env },
      );
    ledger({
      action: options.resume ? 'run.resume' : 'run.start',
      result: 'started',
      details: { round: state.rounds },
    });
    observe(options.observer, (o) => o.runStarted?.(state));
    const observedStarts = new Set<string>();

    const redact = redactor(options.secrets);
    const context: ExecutorContext = {
      log: (taskId, stream, line) => reporter.log(taskId, stream, redact(line)),
      note: (taskId, message) => reporter.note(taskId, message),
      persist,
    };
    const vars = runVariables(plan, {
      logicalDate: options.logicalDate,
      runId,
      params: options.params,
      ...(options.logicalTime ? { ts: options.logicalTime } : {}),
    });
    const identity = {
      runId,
      pipeline: plan.pipeline,
      version: plan.version,
      specHash: plan.specHash,
      logicalDate: options.logicalDate,
    };
    const taskById = new Map(plan.tasks.map((t) => [t.id, t]));
    const executor = options.executor;

    const launch = async (request: {
      taskId: string;
      attempt: number;
      resume: boolean;
      record: AttemptRecord;
    }): Promise<AttemptHandle> => {
      const task = taskById.get(request.taskId)!;
      let resolved: ReturnType<typeof resolveTask>;
      try {
        resolved = resolveTask(task, vars);
      } catch (error) {
        return { done: Promise.resolve({ exitCode: null, error: (error as Error).message }), kill: () => {} };
      }
      const spec: AttemptSpec = {
        run: identity,
        task,
        attempt: request.attempt,
        argv: resolved.argv,
        env: resolved.env,
        secrets: options.secrets.get(task.id) ?? {},
        record: request.record,
        resume: request.resume,
      };
      try {
        return await executor.launch(spec, context);
      } catch (error) {
        return { done: Promise.resolve({ exitCode: null, error: (error as Error).message }), kill: () => {} };
      }
    };

    await runScheduler({
      tasks: plan.tasks,
      state: state.tasks,
      concurrency: options.concurrency,
      launch,
      ...(options.signal ? { signal: options.signal } : {}),
      hooks: {
        persist,
        attemptStarting: (taskId, record, resume) => {
          // Known before the executor acts: recorded with the intent, in the same write.
          if (!resume) {
            const ref = executor.attemptRef?.(identity, taskId, record.n);
            if (ref) record.ref = ref;
          }
          if (!observedStarts.has(taskId)) {
            observedStarts.add(taskId);
            observe(options.observer, (o) => o.taskStarted?.(taskId, state));
          }
          const task = taskById.get(taskId)!;
          const of = `${record.n - (state.tasks[taskId]!.firstAttempt ?? 0)}/${1 + task.retries}`;
          reporter.note(
            taskId,
            resume ? `adopting attempt ${record.n} recorded before the runner stopped` : `attempt ${of} started`,
          );
        },
        attemptFinished: (taskId, record) => {
          const outcome = record.outcome!;
          const result = outcome.timedOut
            ? 'timed_out'
            : outcome.exitCode === 0 && !outcome.error
              ? 'succeeded'
              : 'failed';
          ledger({
            action: 'task.attempt',
            result,
            details: {
              task: taskId,
              attempt: record.n,
              exitCode: outcome.exitCode,
              ...(outcome.signal ? { signal: outcome.signal } : {}),
            },
          });
          const why = outcome.timedOut
            ? `timed out after ${taskById.get(taskId)!.timeoutSeconds}s (killed)`
            : outcome.error
              ? outcome.error
              : outcome.exitCode === null
                ? `killed by ${outcome.signal ?? 'a signal'}`
                : `exit ${outcome.exitCode}`;
          reporter.note(taskId, `attempt ${record.n} ${result === 'succeeded' ? 'succeeded' : `failed: ${why}`}`);
        },
        taskFinished: (taskId, task: TaskState) => {
          observe(options.observer, (o) => o.taskFinished?.(taskId, state));
          const type = taskById.get(taskId)!.type;
          if (task.status === 'failed' && type === 'check')
            reporter.note(taskId, 'quality gate failed: downstream tasks are blocked');
          if (task.status === 'upstream_failed') reporter.note(taskId, 'not run: an upstream task failed');
        },
      },
    });

    const failed = new Set(
      Object.entries(state.tasks)
        .filter(([, t]) => t.status !== 'succeeded')
        .map(([id]) => id),
    );
    state.status = failed.size === 0 ? 'succeeded' : 'failed';
    state.finishedAt = new Date().toISOString();
    saveRunState(runsDir, state);
    try {
      await executor.finish?.(identity, failed, context);
    } catch (error) {
      reporter.note(undefined, `cleanup after the run failed: ${(error as Error).message}`);
    }
    observe(options.observer, (o) => o.runFinished?.(state, options.signal?.aborted === true));
    ledger({
      action: 'run.finish',
      result: state.status,
      details: { failedTasks: [...failed].sort().join(',') || null },
    });
    return state;
  } finally {
    release();
  }
}
