/**
 * Turns a stream of file events into serialized batches: events are collected until `debounceMs` pass without a new
 * one (a `git checkout` touching hundreds of files is one batch), then `run` gets every path seen. While a batch
 * runs, new events collect for the next one: batches never overlap, so rebuilds never race on the output directory.
 */
export interface Batcher {
  /** Record that `path` may have changed. */
  push(path: string): void;
  /** Request a batch that re-checks everything (e.g. after falling back to polling). */
  pushAll(): void;
  /** Resolves when no batch is pending or running (tests, close). */
  idle(): Promise<void>;
  /** Stop scheduling; a running batch finishes, pending paths are dropped. */
  stop(): Promise<void>;
}

export interface Batch {
  /** Absolute paths, sorted, de-duplicated. */
  paths: string[];
  /** True when the watcher asked for a full re-scan. */
  all: boolean;
}

export interface BatcherOptions {
  /** Quiet time before a batch runs; a function is asked each time (the watch session's depends on its watcher). */
  debounceMs: number | (() => number);
  /**
   * Upper bound on how long a continuous stream of events may postpone a batch (a tool rewriting files for
   * seconds still gets feedback). Defaults to 20 × debounceMs, at least 1 s.
   */
  maxWaitMs?: number;
  run: (batch: Batch) => Promise<void>;
  /** A batch that threw: reported, and the next batch still runs. */
  onError: (error: unknown) => void;
}

export function createBatcher(options: BatcherOptions): Batcher {
  const debounce = typeof options.debounceMs === 'function' ? options.debounceMs : () => options.debounceMs as number;
  const maxWait = () => options.maxWaitMs ?? Math.max(1000, debounce() * 20);
  let pending = new Set<string>();
  let pendingAll = false;
  let timer: NodeJS.Timeout | undefined;
  let firstPendingAt: number | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const hasPending = () => pending.size > 0 || pendingAll;

  const settleIdle = () => {
    if (running || timer || hasPending()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const fire = () => {
    timer = undefined;
    if (stopped) return settleIdle();
    if (running) return; // the running batch re-schedules when it ends
    const batch: Batch = { paths: [...pending].sort(), all: pendingAll };
    pending = new Set();
    pendingAll = false;
    firstPendingAt = undefined;
    running = (async () => {
      try {
        await options.run(batch);
      } catch (error) {
        options.onError(error);
      }
    })().finally(() => {
      running = undefined;
      if (hasPending() && !stopped) schedule();
      else settleIdle();
    });
  };

  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    firstPendingAt ??= now;
    if (timer) clearTimeout(timer);
    const delay = Math.min(debounce(), Math.max(0, firstPendingAt + maxWait() - now));
    timer = setTimeout(fire, delay);
  };

  return {
    push(path) {
      if (stopped) return;
      pending.add(path);
      schedule();
    },
    pushAll() {
      if (stopped) return;
      pendingAll = true;
      schedule();
    },
    idle() {
      if (!running && !timer && !hasPending()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = new Set();
      pendingAll = false;
      if (running) await running;
      settleIdle();
    },
  };
}
