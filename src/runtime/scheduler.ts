/**
 * The DAG scheduler: pure control flow over an executor interface (no I/O of its own, clock and sleep injected).
 * Tasks start as soon as all their needs succeeded, at most `concurrency` at once (ready tasks in plan order);
 * each task gets 1 + retries attempts with retryDelay between them; a timeout kills the attempt (and counts as a
 * failed attempt); a failed task makes every descendant `upstream_failed` while independent branches run on.
 *
 * Crash safety lives in the state it mutates: `persist()` is awaited before every action (record intent, then act),
 * and a scheduler started on a recorded state adopts it: succeeded tasks stay done, an attempt recorded as started
 * but not finished is handed to the executor as `resume` (re-attach or judge), the rest continue.
 */

export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'upstream_failed' | 'skipped';

export interface AttemptOutcome {
  /** null when the process/container produced no exit code (killed, vanished, could not start). */
  exitCode: number | null;
  signal?: string | null;
  timedOut?: boolean;
  /** Why the attempt could not run or was judged without an exit code (no secret values). */
  error?: string;
}

export interface AttemptRecord {
  n: number;
  /** Set before the executor is asked to act (intent). */
  startedAt: string;
  finishedAt?: string;
  /** Executor reference (container name, process id) for adoption after a crash. */
  ref?: Record<string, string | number>;
  outcome?: AttemptOutcome;
}

export interface TaskState {
  status: TaskStatus;
  attempts: AttemptRecord[];
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number | null;
  /** Index into `attempts` where the current round starts (retries are counted from here). */
  firstAttempt?: number;
}

export interface SchedulerTask {
  id: string;
  needs: readonly string[];
  retries: number;
  retryDelaySeconds: number;
  timeoutSeconds?: number;
}

export interface AttemptHandle {
  /** Resolves when the attempt has ended; never rejects (executors turn errors into outcomes). */
  done: Promise<AttemptOutcome>;
  /** Stop the attempt (timeout or cancellation); `done` then resolves. */
  kill(): void;
}

export interface AttemptRequest {
  taskId: string;
  attempt: number;
  /** True when this attempt was recorded before (by a runner that died): adopt what exists instead of duplicating it. */
  resume: boolean;
  /** The attempt record (executors may fill `ref` and call `persist`). */
  record: AttemptRecord;
}

export interface SchedulerHooks {
  /** Writes the state durably; awaited before every action. */
  persist(): Promise<void> | void;
  /** After each attempt outcome (ledger, logs). */
  attemptFinished?(taskId: string, record: AttemptRecord): Promise<void> | void;
  taskFinished?(taskId: string, state: TaskState): Promise<void> | void;
  /** A task is about to start (or resume) an attempt. */
  attemptStarting?(taskId: string, record: AttemptRecord, resume: boolean): void;
}

export interface SchedulerOptions {
  tasks: readonly SchedulerTask[];
  /** Mutated in place; must hold an entry per task. */
  state: Record<string, TaskState>;
  concurrency: number;
  launch(request: AttemptRequest): Promise<AttemptHandle>;
  hooks: SchedulerHooks;
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborting stops new attempts, kills running ones; never-started tasks become `skipped`. */
  signal?: AbortSignal;
}

export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'upstream_failed', 'skipped']);

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function isSuccess(outcome: AttemptOutcome | undefined): boolean {
  return outcome !== undefined && outcome.exitCode === 0 && !outcome.timedOut && outcome.error === undefined;
}

/** Runs the DAG to completion; resolves when every task is in a terminal status. */
export async function runScheduler(options: SchedulerOptions): Promise<void> {
  const { tasks, state, hooks } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? abortableSleep;
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const t of tasks) {
    if (!state[t.id]) throw new Error(`runScheduler: no state for task ${t.id}`);
    for (const need of t.needs) if (!byId.has(need)) throw new Error(`runScheduler: ${t.id} needs unknown ${need}`);
  }

  // A state written by a dead runner: tasks that were running are adopted (they restart in the loop below).
  const adopting = new Set<string>();
  for (const t of tasks) {
    if (state[t.id]!.status === 'running') {
      state[t.id]!.status = 'pending';
      adopting.add(t.id);
    }
  }

  let running = 0;
  let wake: () => void = () => {};
  const inFlight = new Set<Promise<void>>();

  const cancelled = () => options.signal?.aborted === true;

  /** Marks blocked tasks upstream_failed (transitively: tasks come in topological order) and starts ready ones. */
  async function schedule(): Promise<void> {
    let changed = false;
    for (const t of tasks) {
      const s = state[t.id]!;
      if (s.status !== 'pending') continue;
      const needs = t.needs.map((n) => state[n]!.status);
      if (needs.some((st) => st === 'failed' || st === 'upstream_failed')) {
        s.status = 'upstream_failed';
        s.finishedAt = now().toISOString();
        changed = true;
        await hooks.taskFinished?.(t.id, s);
        continue;
      }
      if (cancelled() && !adopting.has(t.id)) {
        s.status = 'skipped';
        s.finishedAt = now().toISOString();
        changed = true;
        continue;
      }
      if (needs.every((st) => st === 'succeeded') && running < options.concurrency) {
        running++;
        s.status = 'running';
        s.startedAt ??= now().toISOString();
        changed = true;
        const p = runTask(t).finally(() => {
          running--;
          inFlight.delete(p);
          wake();
        });
        inFlight.add(p);
      }
    }
    if (changed) await hooks.persist();
  }

  async function runTask(t: SchedulerTask): Promise<void> {
    const s = state[t.id]!;
    const maxAttempts = 1 + t.retries;
    let resumeLast = adopting.delete(t.id);
    for (;;) {
      // Attempts before `firstAttempt` belong to an earlier round (a resumed failed run) and do not use up retries.
      const round = s.attempts.slice(s.firstAttempt ?? 0);
      const last = round[round.length - 1];
      let record: AttemptRecord;
      let resume = false;
      if (last?.outcome) {
        if (isSuccess(last.outcome)) {
          finish(s, last.outcome, 'succeeded');
          break;
        }
        if (round.length >= maxAttempts || cancelled()) {
          finish(s, last.outcome, 'failed');
          break;
        }
        // Between attempts (also after a crash during the retry delay): wait out what is left of retryDelay.
        const waited = now().getTime() - Date.parse(last.finishedAt ?? last.startedAt);
        await sleep(Math.max(0, t.retryDelaySeconds * 1000 - waited), options.signal);
        if (cancelled()) {
          finish(s, last.outcome, 'failed');
          break;
        }
      }
      if (last && !last.outcome && resumeLast) {
        record = last;
        resume = true;
      } else {
        record = { n: s.attempts.length + 1, startedAt: now().toISOString() };
        s.attempts.push(record);
      }
      resumeLast = false;
      hooks.attemptStarting?.(t.id, record, resume);
      await hooks.persist(); // intent: the attempt exists before the executor acts
      const handle = await options.launch({ taskId: t.id, attempt: record.n, resume, record });
      const outcome = await withTimeout(t, record, handle);
      record.outcome = outcome;
      record.finishedAt = now().toISOString();
      // An outcome that ends the task ends it in the same write (the loop's first check would decide the same).
      const final = isSuccess(outcome) || s.attempts.length - (s.firstAttempt ?? 0) >= maxAttempts || cancelled();
      if (final) finish(s, outcome, isSuccess(outcome) ? 'succeeded' : 'failed');
      await hooks.persist();
      await hooks.attemptFinished?.(t.id, record);
      if (final) {
        await hooks.taskFinished?.(t.id, s);
        return;
      }
    }
    await hooks.persist();
    await hooks.taskFinished?.(t.id, s);
  }

  function finish(s: TaskState, outcome: AttemptOutcome | undefined, status: 'succeeded' | 'failed'): void {
    s.status = status;
    s.exitCode = outcome?.exitCode ?? null;
    s.finishedAt = now().toISOString();
  }

  async function withTimeout(t: SchedulerTask, record: AttemptRecord, handle: AttemptHandle): Promise<AttemptOutcome> {
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => handle.kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) handle.kill();
    if (t.timeoutSeconds !== undefined) {
      // A resumed attempt only gets what is left of its timeout.
      const left = t.timeoutSeconds * 1000 - (now().getTime() - Date.parse(record.startedAt));
      timer = setTimeout(
        () => {
          timedOut = true;
          handle.kill();
        },
        Math.max(0, left),
      );
    }
    try {
      const outcome = await handle.done;
      return timedOut ? { ...outcome, timedOut: true } : outcome;
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  for (;;) {
    const woke = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await schedule();
    if (running === 0) {
      if (tasks.every((t) => TERMINAL.has(state[t.id]!.status))) break;
      // Nothing running and nothing startable: only possible when concurrency < 1 or state is inconsistent.
      throw new Error(
        `runScheduler: stuck with pending tasks (${tasks
          .filter((t) => !TERMINAL.has(state[t.id]!.status))
          .map((t) => t.id)
          .join(', ')})`,
      );
    }
    await woke;
  }
  await Promise.all(inFlight);
}
