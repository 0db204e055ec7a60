import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * A fixed set of worker threads (node:worker_threads) running one script, fed from one queue. Every worker has at most
 * IN_FLIGHT tasks at a time, so it never waits for the main thread between two tasks, and a slow task does not hold
 * back a queue of others. Results come back as the promise of each `run`; the caller puts them in order.
 *
 * With a `local` function the calling thread takes tasks from the same queue too, one at a time between two turns of
 * its event loop (so worker replies are still taken in between): N threads are then N - 1 workers and this one. It
 * already has the code loaded, so it starts at once while the workers are still starting, and no thread waits idle.
 *
 * A task that throws in the worker rejects its own promise (with the worker's message and stack). A worker that dies
 * (an uncaught error, running out of memory, exit) rejects every task it held and every queued task: nothing is
 * retried, because a task that kills a worker would kill the next one too.
 */
// 3: a worker can finish one task and start the next while the main thread is busy with a task of its own
const IN_FLIGHT = 3;

interface Slot<R> {
  worker: Worker;
  held: Map<number, Pending<R>>;
}

interface Pending<R> {
  id: number;
  message: unknown;
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

/** What the worker posts back for task `id` (see src/emit/spec-worker.ts). */
export type WorkerReply<R> = { id: number; result: R } | { id: number; error: { message: string; stack?: string } };

/** Error of a task that threw inside a worker: the worker's stack is kept for the "this is a bug" report. */
export class WorkerTaskError extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    this.name = 'WorkerTaskError';
    if (stack) this.stack = stack;
  }
}

export class WorkerPool<T, R> {
  readonly #workers: Slot<R>[] = [];
  readonly #queue: Pending<R>[] = [];
  #nextId = 0;
  #failure: Error | undefined;
  #closed = false;
  readonly #local: ((task: T) => R) | undefined;
  #localScheduled = false;

  /**
   * `size` worker threads running `script`, each with `resourceLimits` when given; with `local`, this thread runs
   * tasks too (see above).
   */
  constructor(script: URL, size: number, local?: (task: T) => R, resourceLimits?: ResourceLimits) {
    this.#local = local;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, resourceLimits ? { resourceLimits } : {});
      const slot: Slot<R> = { worker, held: new Map() };
      worker.on('message', (reply: WorkerReply<R>) => {
        const pending = slot.held.get(reply.id);
        if (!pending) return;
        slot.held.delete(reply.id);
        if ('error' in reply) pending.reject(new WorkerTaskError(reply.error.message, reply.error.stack));
        else pending.resolve(reply.result);
        this.#feed(slot);
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(new Error(`a compile worker thread exited unexpectedly (exit code ${code})`));
      });
      this.#workers.push(slot);
    }
  }

  /** Queue `task` (posted as is: structured clone) and resolve with the worker's result. */
  run(task: T): Promise<R> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, message: task, resolve, reject });
      if (this.#workers.length > 0) this.#feed(this.#workers.reduce((a, b) => (b.held.size < a.held.size ? b : a)));
      this.#scheduleLocal();
    });
  }

  /** Run the next queued task on this thread at the next turn of the event loop (after pending I/O and messages). */
  #scheduleLocal(): void {
    if (this.#local === undefined || this.#localScheduled) return;
    this.#localScheduled = true;
    setImmediate(() => {
      this.#localScheduled = false;
      if (this.#failure || this.#closed) return;
      const pending = this.#queue.shift();
      if (pending === undefined) return;
      try {
        pending.resolve(this.#local!(pending.message as T));
      } catch (error) {
        pending.reject(error instanceof Error ? error : new Error(String(error)));
      }
      this.#scheduleLocal();
    });
  }

  #feed(slot: Slot<R>): void {
    while (slot.held.size < IN_FLIGHT && this.#queue.length > 0 && !this.#failure) {
      const pending = this.#queue.shift()!;
      slot.held.set(pending.id, pending);
      slot.worker.postMessage({ id: pending.id, task: pending.message });
    }
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#failure ??= error;
    for (const slot of this.#workers) {
      for (const pending of slot.held.values()) pending.reject(this.#failure);
      slot.held.clear();
    }
    for (const pending of this.#queue.splice(0)) pending.reject(this.#failure);
  }

  /** Stop every worker (pending tasks are dropped). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

/** The worker script of the per-spec stages, next to this module in the built package. */
export const SPEC_WORKER = new URL('./spec-worker.js', import.meta.url);

/**
 * Heap settings of the per-spec workers. A young generation of 192 MiB (semi-spaces of 64 MiB; V8's default here is
 * 16 MiB) lets a task's garbage (the YAML tree, the IR, the emitted objects and texts of one spec: tens of MB at
 * 50 tasks) die young instead of being scavenged several times per spec and partly promoted. Measured at 1,000 x 50 on
 * 2 cores (BENCHMARKS.md, "Both cores, fourth pass"): --jobs 2 compile 5-10 % less wall and CPU; the old generation
 * keeps V8's default limit.
 */
export const SPEC_WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 192 };

/**
 * Whether worker threads can run here: only from the built JavaScript (dist/). Run from the TypeScript sources (the
 * test runner) the worker script does not exist and every command stays on the main thread.
 */
export function workersAvailable(script: URL = SPEC_WORKER): boolean {
  return existsSync(fileURLToPath(script));
}

/**
 * Specs' total size below which the default stays single-threaded: starting a worker (loading the compiler and its
 * schema) costs about as much as compiling ~100 KB of specs, so small projects are faster on one thread.
 */
export const PARALLEL_MIN_BYTES = 256 * 1024;

/**
 * How many threads the per-spec stages use: `requested` (--jobs) when given — at most one per spec —, else one per
 * available CPU when workers can run and the specs are large enough to gain from them (PARALLEL_MIN_BYTES), else 1.
 * 1 means no worker at all: everything runs on the main thread.
 */
export function resolveJobs(requested: number | undefined, specs: number, bytes: number): number {
  if (requested !== undefined) return Math.max(1, Math.min(requested, specs));
  if (bytes < PARALLEL_MIN_BYTES || !workersAvailable()) return 1;
  return Math.max(1, Math.min(availableParallelism(), specs));
}
