import { EventEmitter } from 'node:events';
import { type Batch, createBatcher } from './batcher.js';
import type { RebuildReport, WatchEngine } from './engine.js';
import type { SpecScope } from './filter.js';
import { type DirectoryWatcher, type WatcherBackend, type WatcherFactory, watchDirectories } from './fs-watcher.js';
import type { NativeWatch } from './native-watcher.js';
import { type DiscoverSpecs, type ReadSpec, type SpecChange, SpecSnapshot } from './snapshot.js';

export const DEFAULT_DEBOUNCE_MS = 50;
/**
 * chokidar drops repeated `change` events of one file within 50 ms (no trailing event). A batch that starts at
 * least 50 ms after an event reads the file after every write that could have been dropped, so no save is lost.
 * This floor applies while chokidar delivers the events (the native watcher unavailable, or polling).
 */
export const MIN_DEBOUNCE_MS = 50;
/**
 * Default quiet time with the native watcher, which drops no event (it coalesces repeated writes of a file and
 * always delivers the last): only events delivered in separate callbacks a few milliseconds apart are merged.
 */
export const NATIVE_DEBOUNCE_MS = 10;
/** How long after a spec was read empty it is read again before the empty content counts (see SpecSnapshot). */
export const EMPTY_RECHECK_MS = 100;
/**
 * With the native watcher, every path an event named is read once more this long after its batch. @parcel/watcher
 * coalesces the events of a path within its delivery window (up to 500 ms) and drops a create followed by a delete
 * as if nothing happened — which loses the deletion of a spec that existed before and was replaced (an atomic save)
 * and then deleted within that window. Reading the path again after the window catches any such change.
 */
export const NATIVE_SETTLE_MS = 600;

export interface RebuildEvent extends RebuildReport {
  event: 'rebuild';
  /** True for the full build that starts the session. */
  initial: boolean;
  /** Milliseconds from the batch start (after the debounce: reading, hashing, compiling) to the last output written. */
  ms: number;
}

/** Every processed batch, including no-op ones (a touch, a save without change): lets callers wait on events. */
export interface BatchEvent {
  event: 'batch';
  /** Absolute paths the file system reported. */
  paths: string[];
  /** Real content changes among them (0 = nothing rebuilt, nothing written). */
  changes: number;
}

export interface WatchSessionEvents {
  rebuild: [RebuildEvent];
  batch: [BatchEvent];
  /** Something the user must act on that does not stop the session (e.g. the watch limit hint). */
  warning: [string];
  /** A batch failed for a reason that is not a spec problem (unreadable file, full disk): reported, session goes on. */
  error: [unknown];
}

export interface WatchSessionOptions {
  /** What to watch: directories and files given, minus the output directory (our own writes would loop). */
  scope: SpecScope;
  engine: WatchEngine;
  discover: DiscoverSpecs;
  /** Reads one spec as compile does. */
  read: ReadSpec;
  /**
   * Quiet time before a batch runs. Default NATIVE_DEBOUNCE_MS with the native watcher, DEFAULT_DEBOUNCE_MS with
   * chokidar, where values below MIN_DEBOUNCE_MS are raised to it.
   */
  debounceMs?: number;
  factory?: WatcherFactory;
  /** The native watcher to use (`false`: chokidar only); default @parcel/watcher when it loads (src/watch/fs-watcher.ts). */
  native?: NativeWatch | false;
  usePolling?: boolean;
  pollIntervalMs?: number;
  /**
   * With the native watcher, also hear saves early through the prompt watcher (src/watch/prompt-watcher.ts), which
   * saves the native watcher's 50 ms delivery delay for saves close together. Default true.
   */
  prompt?: boolean;
}

export interface WatchSession {
  /** Resolves with the initial build once it is written and the watcher is live. */
  ready: Promise<RebuildEvent>;
  on<E extends keyof WatchSessionEvents>(event: E, listener: (...args: WatchSessionEvents[E]) => void): WatchSession;
  off<E extends keyof WatchSessionEvents>(event: E, listener: (...args: WatchSessionEvents[E]) => void): WatchSession;
  /** Resolves when no batch is pending or running. */
  idle(): Promise<void>;
  /** True once the watcher fell back to polling. */
  readonly polling: boolean;
  /** What delivers file events: the native watcher, chokidar, or chokidar polling. */
  readonly backend: WatcherBackend;
  /** Stops watching; a running rebuild completes first (never a half-written output). */
  close(): Promise<void>;
}

/**
 * A watch session: the watcher is started first (nothing saved during the initial build is lost), then the initial
 * build runs, then each debounced batch of events is reduced to content changes and handed to the engine.
 */
export function startSession(options: WatchSessionOptions): WatchSession {
  const emitter = new EventEmitter<WatchSessionEvents>();
  const snapshot = new SpecSnapshot(options.scope, options.discover, options.read);
  let resolveStarted!: () => void;
  const started = new Promise<void>((r) => {
    resolveStarted = r;
  });

  const rebuild = async (changes: SpecChange[], initial: boolean, t0: number): Promise<RebuildEvent> => {
    const report = await options.engine.apply(changes, initial);
    const event: RebuildEvent = { event: 'rebuild', initial, ...report, ms: Math.round(performance.now() - t0) };
    return event;
  };

  /** Paths reported by the watcher and not yet processed (the settle re-check is scheduled for those only). */
  const reported = new Set<string>();
  /** Paths pushed by the settle re-check and not yet processed. */
  const settling = new Set<string>();
  /** Paths pushed by the prompt watcher's early notice and not yet processed. */
  const early = new Set<string>();
  /** Paths an early notice made a batch read, not yet reported by the native watcher since (→ when that batch began). */
  const heardEarly = new Map<string, number>();
  /** Paths the native watcher reported after an early notice had them read (its report of the same change), not yet processed. */
  const confirming = new Set<string>();
  const runBatch = async (batch: Batch) => {
    await started; // the initial build decides the baseline; events during it are compared against it
    const t0 = performance.now();
    // A batch of settle re-checks and of the native watcher's confirmations of changes an early notice already had
    // read, that changes nothing, is not reported: it is no new event of the file system. It is still read: the
    // native watcher stays the source of truth (a save after the early read is found here).
    const quiet =
      !batch.all &&
      batch.paths.every((p) => !early.has(p) && (confirming.has(p) || (settling.has(p) && !reported.has(p))));
    for (const p of batch.paths) {
      settling.delete(p);
      confirming.delete(p);
      if (!early.delete(p)) continue;
      // reported by the native watcher in this very batch: its report is consumed here, nothing to confirm later
      if (reported.has(p)) heardEarly.delete(p);
      else heardEarly.set(p, t0);
    }
    if (watcher?.backend === 'native') {
      const settle = batch.paths.filter((p) => reported.has(p));
      for (const p of batch.paths) reported.delete(p);
      if (settle.length > 0)
        setTimeout(() => {
          for (const p of settle) {
            settling.add(p);
            batcher.push(p);
          }
        }, NATIVE_SETTLE_MS).unref();
    } else reported.clear();
    const changes = await snapshot.changes(batch);
    if (snapshot.deferred.length > 0) {
      const again = snapshot.deferred;
      // the write after a truncation normally brings its own event; this re-check counts a file that stays empty
      setTimeout(() => {
        for (const path of again) batcher.push(path);
      }, EMPTY_RECHECK_MS).unref();
    }
    if (quiet && changes.length === 0) return;
    emitter.emit('batch', { event: 'batch', paths: batch.paths, changes: changes.length });
    if (changes.length === 0) return;
    emitter.emit('rebuild', await rebuild(changes, false, t0));
  };

  // the watcher is created after the batcher; until it exists no event can be pushed
  let watcher: DirectoryWatcher | undefined;
  const batcher = createBatcher({
    debounceMs: () =>
      watcher?.backend === 'native'
        ? (options.debounceMs ?? NATIVE_DEBOUNCE_MS)
        : Math.max(MIN_DEBOUNCE_MS, options.debounceMs ?? DEFAULT_DEBOUNCE_MS),
    run: runBatch,
    onError: (error) => emitter.emit('error', error),
  });

  watcher = watchDirectories({
    roots: options.scope.watchRoots(),
    ignored: options.scope.ignored(),
    excluded: options.scope.excluded,
    ...(options.factory ? { factory: options.factory } : {}),
    ...(options.native !== undefined ? { native: options.native } : {}),
    ...(options.usePolling !== undefined ? { usePolling: options.usePolling } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    onPath: (path) => {
      reported.add(path);
      const heard = heardEarly.get(path);
      if (heard !== undefined) {
        heardEarly.delete(path);
        if (performance.now() - heard < NATIVE_SETTLE_MS) confirming.add(path);
      }
      batcher.push(path);
    },
    ...(options.prompt === false
      ? {}
      : {
          onEarly: (path: string) => {
            early.add(path);
            batcher.push(path);
          },
        }),
    onExhausted: (hint) => emitter.emit('warning', hint),
    onRescan: () => batcher.pushAll(),
    onError: (error) => emitter.emit('error', error),
    onFallback: (reason) => emitter.emit('warning', reason),
  });
  const directories = watcher;

  const ready = (async () => {
    try {
      await directories.ready;
      if (directories.backend !== 'native' && options.debounceMs !== undefined && options.debounceMs < MIN_DEBOUNCE_MS)
        emitter.emit(
          'warning',
          `debounce ${options.debounceMs} ms raised to ${MIN_DEBOUNCE_MS} ms: chokidar, which delivers the file events in this session, drops repeated events of a file within ${MIN_DEBOUNCE_MS} ms (see docs/watch.md)`,
        );
      const t0 = performance.now();
      const changes = await snapshot.changes({ paths: [], all: true });
      const event = await rebuild(changes, true, t0);
      emitter.emit('rebuild', event);
      return event;
    } finally {
      resolveStarted();
    }
  })();
  // `ready` rejects only for internal failures; callers awaiting it see them, nobody else must crash on them
  ready.catch(() => undefined);

  const session: WatchSession = {
    ready,
    on(event, listener) {
      emitter.on(event, listener as never);
      return session;
    },
    off(event, listener) {
      emitter.off(event, listener as never);
      return session;
    },
    idle: () => batcher.idle(),
    get polling() {
      return directories.polling;
    },
    get backend() {
      return directories.backend;
    },
    async close() {
      await directories.close();
      await batcher.stop();
      await ready.catch(() => undefined);
    },
  };
  return session;
}
