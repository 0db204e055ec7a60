import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ChokidarOptions, watch } from 'chokidar';
import { isInside } from './filter.js';
import { loadNativeWatch, type NativeSubscription, type NativeWatch, nativeErrorCode } from './native-watcher.js';
import { type PromptWatcher, watchPromptly } from './prompt-watcher.js';

/** The part of chokidar's FSWatcher we use: a seam so tests can inject OS errors (ENOSPC/EMFILE) safely. */
export interface FileWatcher {
  on(event: 'all', listener: (event: string, path: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  close(): Promise<void>;
}

export type WatcherFactory = (paths: string[], options: ChokidarOptions) => FileWatcher;

export const chokidarFactory: WatcherFactory = (paths, options) => watch(paths, options);

/** What to tell the user when the OS runs out of watches or file descriptors. */
export function exhaustionHint(code: string): string {
  const raise =
    code === 'ENOSPC'
      ? 'raise the inotify watch limit: `sudo sysctl fs.inotify.max_user_watches=524288` (persist it in /etc/sysctl.d/)'
      : 'raise the open-file limit: `ulimit -n 65536` (or LimitNOFILE for a service)';
  return `the OS refused more file watches (${code}); ${raise}. Falling back to polling (slower, more CPU) for this session.`;
}

export function exhaustionCode(error: unknown): 'ENOSPC' | 'EMFILE' | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EMFILE' ? code : undefined;
}

export interface DirectoryWatcherOptions {
  /** Absolute directories to watch (recursively). */
  roots: string[];
  /** chokidar's `ignored` predicate (see SpecScope.ignored). */
  ignored: (path: string, stats?: { isFile(): boolean; isDirectory(): boolean }) => boolean;
  factory?: WatcherFactory;
  /**
   * The native recursive watcher (src/watch/native-watcher.ts) tried first; `false` uses chokidar directly. Default:
   * @parcel/watcher when it loads, unless a chokidar `factory` is given (tests injecting chokidar errors) or polling
   * is asked for.
   */
  native?: NativeWatch | false;
  /** Absolute directories the native watcher does not watch at all (the output directory). */
  excluded?: readonly string[];
  /** Polling interval once polling is used (ms). */
  pollIntervalMs?: number;
  /** Start in polling mode (e.g. network file systems). */
  usePolling?: boolean;
  /** Any spec-relevant path event (add, change, unlink, addDir, unlinkDir): the path may have changed. */
  onPath(path: string, event: string): void;
  /**
   * With the native watcher: a spec file may have changed, heard early by the prompt watcher
   * (src/watch/prompt-watcher.ts) on a directory where specs were saved recently. The native watcher reports the same
   * change (onPath) up to 50 ms later; this notice only lets the rebuild start sooner. Absent: no prompt watcher.
   */
  onEarly?(path: string): void;
  /** The OS refused more watches: `hint` says what to raise; the watcher is switching to polling. */
  onExhausted(hint: string): void;
  /**
   * The polling watcher that replaced the native one is ready: everything must be re-checked (events between the
   * error and now may have been lost).
   */
  onRescan(): void;
  /** Any other watcher error (reported, the session goes on). */
  onError(error: unknown): void;
  /** The native watcher could not start (reason given): the session goes on with chokidar. */
  onFallback?(reason: string): void;
}

export type WatcherBackend = 'native' | 'chokidar' | 'polling';

export interface DirectoryWatcher {
  /** Resolves once the initial scan is done and events are live. */
  ready: Promise<void>;
  readonly polling: boolean;
  /** What delivers the events now (known once `ready` resolved). */
  readonly backend: WatcherBackend;
  close(): Promise<void>;
}

/**
 * Watches directories (never single files: editors save by writing a temporary file and renaming it over the
 * spec, which replaces the inode a file watch would follow). On ENOSPC/EMFILE it prints what to raise and restarts
 * itself in polling mode, which needs no inotify watches and no file descriptor per directory.
 */
const AS_FILE = { isFile: () => true, isDirectory: () => false };

function watchWithChokidar(options: DirectoryWatcherOptions): DirectoryWatcher {
  const factory = options.factory ?? chokidarFactory;
  let polling = options.usePolling ?? false;
  let closed = false;
  let current: FileWatcher;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  let switching: Promise<void> | undefined;

  const start = (onReady?: () => void) => {
    const watcher = factory(options.roots, {
      ignoreInitial: true,
      persistent: true,
      ignored: options.ignored,
      // chokidar's `atomic` holds unlink events back 100 ms to merge delete+recreate saves; content hashing already
      // makes those a no-op or a change, and holding unlinks back would split a rename (unlink a, add b) over two
      // batches, reporting a transient duplicate pipeline name.
      atomic: false,
      usePolling: polling,
      interval: options.pollIntervalMs ?? 200,
      binaryInterval: options.pollIntervalMs ?? 200,
    });
    current = watcher;
    watcher.on('all', (event, path) => {
      if (!closed && watcher === current) options.onPath(path, event);
    });
    watcher.on('ready', () => {
      if (watcher !== current || closed) return;
      resolveReady();
      onReady?.();
    });
    watcher.on('error', (error) => {
      if (closed || watcher !== current) return;
      const code = exhaustionCode(error);
      if (code && !polling && !switching) {
        polling = true;
        options.onExhausted(exhaustionHint(code));
        switching = (async () => {
          await watcher.close().catch(() => undefined);
          if (closed) return;
          // Re-check everything once the polling watcher is live: events between the error and now were lost.
          start(options.onRescan);
        })().finally(() => {
          switching = undefined;
        });
        return;
      }
      options.onError(error);
    });
  };
  start();

  return {
    ready,
    get polling() {
      return polling;
    },
    get backend(): WatcherBackend {
      return polling ? 'polling' : 'chokidar';
    },
    async close() {
      closed = true;
      resolveReady();
      if (switching) await switching;
      await current.close();
    },
  };
}

/**
 * Watches directories recursively: with the native watcher when it is available (no directory re-listing, no
 * dropped events), otherwise with chokidar (see watchWithChokidar). Falls back to chokidar when the native watcher
 * cannot start (not installed, no binary, an error subscribing), and to chokidar's polling when the OS runs out of
 * watches (ENOSPC/EMFILE) at start or later, printing what to raise; after a switch while running, everything is
 * re-checked (onRescan).
 */
export function watchDirectories(options: DirectoryWatcherOptions): DirectoryWatcher {
  const wantNative = !options.usePolling && options.native !== false && (options.native || !options.factory);
  if (!wantNative) return watchWithChokidar(options);

  let closed = false;
  let subscriptions: NativeSubscription[] = [];
  let fallback: DirectoryWatcher | undefined;
  let switching: Promise<void> | undefined;
  let prompt: PromptWatcher | undefined;

  const startFallback = (polling: boolean, rescan: boolean) => {
    prompt?.close();
    prompt = undefined;
    fallback = watchWithChokidar({ ...options, usePolling: polling });
    if (rescan) void fallback.ready.then(() => !closed && options.onRescan());
    return fallback.ready;
  };
  const dropNative = async () => {
    const subs = subscriptions;
    subscriptions = [];
    await Promise.all(subs.map((s) => s.unsubscribe().catch(() => undefined)));
  };

  const onEvents = (error: Error | null, paths: string[]) => {
    if (closed || fallback) return;
    if (error) {
      const code = nativeErrorCode(error);
      if (code && !switching) {
        options.onExhausted(exhaustionHint(code));
        switching = (async () => {
          await dropNative();
          if (!closed) await startFallback(true, true);
        })().finally(() => {
          switching = undefined;
        });
        return;
      }
      options.onError(error);
      return;
    }
    for (const path of paths) {
      if (options.ignored(path)) continue;
      // the native watcher does not say what a path is: a spec name is reported at once; any other name only when it
      // is a directory or gone (a removed directory may have held specs), found with one lstat
      if (!options.ignored(path, AS_FILE)) {
        options.onPath(path, 'change');
        prompt?.add(dirname(path));
        continue;
      }
      void lstat(path).then(
        (stats) => {
          if (!closed && !fallback && stats.isDirectory() && !options.ignored(path, stats))
            options.onPath(path, 'change');
        },
        () => {
          if (!closed && !fallback) options.onPath(path, 'unlink');
        },
      );
    }
  };

  const ready = (async () => {
    const native = options.native || (await loadNativeWatch());
    if (closed) return;
    if (!native) {
      await startFallback(false, false);
      return;
    }
    try {
      for (const root of options.roots) {
        const ignore = (options.excluded ?? []).filter((dir) => dir !== root && isInside(dir, root));
        subscriptions.push(await native(root, onEvents, ignore));
        if (closed) break;
      }
    } catch (error) {
      await dropNative();
      if (closed) return;
      const code = nativeErrorCode(error);
      if (code) {
        options.onExhausted(exhaustionHint(code));
        await startFallback(true, false);
        return;
      }
      options.onFallback?.(
        `the native file watcher could not start (${error instanceof Error ? error.message : String(error)}); using chokidar`,
      );
      await startFallback(false, false);
      return;
    }
    if (closed) {
      await dropNative();
      return;
    }
    const onEarly = options.onEarly;
    if (onEarly) {
      prompt = watchPromptly({
        onPath: (path) => {
          if (!closed && !fallback && !options.ignored(path) && !options.ignored(path, AS_FILE)) onEarly(path);
        },
      });
      for (const root of options.roots) prompt.add(root);
    }
  })();

  return {
    ready,
    get polling() {
      return fallback?.polling ?? false;
    },
    get backend(): WatcherBackend {
      return fallback?.backend ?? 'native';
    },
    async close() {
      closed = true;
      await ready.catch(() => undefined);
      prompt?.close();
      if (switching) await switching;
      await dropNative();
      await fallback?.close();
    },
  };
}
