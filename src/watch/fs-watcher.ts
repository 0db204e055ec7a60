import { type ChokidarOptions, watch } from 'chokidar';

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
  /** Polling interval once polling is used (ms). */
  pollIntervalMs?: number;
  /** Start in polling mode (e.g. network file systems). */
  usePolling?: boolean;
  /** Any spec-relevant path event (add, change, unlink, addDir, unlinkDir): the path may have changed. */
  onPath(path: string, event: string): void;
  /** The OS refused more watches: `hint` says what to raise; the watcher is switching to polling. */
  onExhausted(hint: string): void;
  /**
   * The polling watcher that replaced the native one is ready: everything must be re-checked (events between the
   * error and now may have been lost).
   */
  onRescan(): void;
  /** Any other watcher error (reported, the session goes on). */
  onError(error: unknown): void;
}

export interface DirectoryWatcher {
  /** Resolves once the initial scan is done and events are live. */
  ready: Promise<void>;
  readonly polling: boolean;
  close(): Promise<void>;
}

/**
 * Watches directories (never single files: editors save by writing a temporary file and renaming it over the
 * spec, which replaces the inode a file watch would follow). On ENOSPC/EMFILE it prints what to raise and restarts
 * itself in polling mode, which needs no inotify watches and no file descriptor per directory.
 */
export function watchDirectories(options: DirectoryWatcherOptions): DirectoryWatcher {
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
    async close() {
      closed = true;
      resolveReady();
      if (switching) await switching;
      await current.close();
    },
  };
}
