/**
 * The native recursive watcher: @parcel/watcher (the watcher VS Code uses; inotify on Linux, FSEvents on macOS,
 * ReadDirectoryChangesW on Windows, from prebuilt binaries). Unlike chokidar it keeps its own directory tree in C++,
 * so an event costs no directory re-listing in JavaScript (chokidar re-read the 1,000-entry spec directory with an
 * lstat per entry on every directory event: ~40–60 ms per edit at 1,000 pipelines, see BENCHMARKS.md), and it never
 * drops an event: repeated writes of one file are coalesced, and the last one is always delivered.
 *
 * It is an optional dependency: when it is not installed (or has no binary for the platform) or refuses to start,
 * the session falls back to chokidar (src/watch/fs-watcher.ts).
 */

/** One started subscription on a root directory. */
export interface NativeSubscription {
  unsubscribe(): Promise<void>;
}

/**
 * Subscribes to every change below `root` (recursively). `onEvents` gets the absolute paths of each batch the
 * watcher delivers (created, updated or deleted files and directories), or an error. `ignore`: absolute directories
 * not to watch at all (the output directory).
 */
export type NativeWatch = (
  root: string,
  onEvents: (error: Error | null, paths: string[]) => void,
  ignore: readonly string[],
) => Promise<NativeSubscription>;

interface ParcelWatcher {
  subscribe(
    dir: string,
    fn: (err: Error | null, events: { path: string; type: string }[]) => unknown,
    opts?: { ignore?: string[] },
  ): Promise<{ unsubscribe(): Promise<void> }>;
}

let loaded: Promise<NativeWatch | undefined> | undefined;

/** @parcel/watcher as a NativeWatch, or undefined when it cannot be loaded here (not installed, no binary). */
export function loadNativeWatch(): Promise<NativeWatch | undefined> {
  // The specifier is a variable so that the type check does not need the package: it is an optional dependency
  // (no prebuilt binary for a platform = not installed), typed here by ParcelWatcher.
  const specifier = '@parcel/watcher';
  loaded ??= import(specifier).then(
    (module: unknown) => {
      const parcel = ((module as { default?: ParcelWatcher }).default ?? module) as ParcelWatcher;
      if (typeof parcel.subscribe !== 'function') return undefined;
      const watch: NativeWatch = async (root, onEvents, ignore) =>
        parcel.subscribe(root, (err, events) => onEvents(err, err ? [] : events.map((e) => e.path)), {
          ignore: [...ignore],
        });
      return watch;
    },
    () => undefined,
  );
  return loaded;
}

/**
 * The errno behind a native watcher error: @parcel/watcher reports inotify failures as messages carrying
 * strerror's text (`inotify_add_watch on '…' failed: No space left on device`), not as codes.
 */
export function nativeErrorCode(error: unknown): 'ENOSPC' | 'EMFILE' | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EMFILE') return code;
  const message = error instanceof Error ? error.message : String(error);
  if (/no space left on device|ENOSPC/i.test(message)) return 'ENOSPC';
  if (/too many open files|EMFILE/i.test(message)) return 'EMFILE';
  return undefined;
}
