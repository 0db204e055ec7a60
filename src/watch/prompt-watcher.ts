import { type FSWatcher, watch } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Early notice of spec saves, next to the native watcher. @parcel/watcher delivers an event at once only when its
 * previous delivery was at least 500 ms earlier; otherwise it waits for 50 ms without events (its Debounce.cc, not
 * configurable). A person saving twice in a second, or a save right after the previous rebuild, waits those 50 ms.
 * This watcher is a plain, non-recursive `fs.watch` (one inotify watch, no directory listing) on the directories
 * where specs were recently saved, which hears the same save as soon as the kernel reports it.
 *
 * It only ever adds notices: @parcel/watcher stays the source of truth (every path it reports is still read and
 * compared), so a notice this watcher misses (a directory not watched yet, a watch the OS refused, an event the
 * kernel queue dropped) costs only the 50 ms it would have saved.
 */
export interface PromptWatcher {
  /** Watch `dir` (non-recursively) from now on, evicting the least recently used directory beyond the limit. */
  add(dir: string): void;
  /** Directories watched now (tests). */
  readonly dirs: readonly string[];
  close(): void;
}

/** How many directories are watched at most (one inotify watch each, on top of the native watcher's). */
export const PROMPT_MAX_DIRS = 32;

export interface PromptWatcherOptions {
  /** A file named in `dir` may have changed (created, written, renamed over, deleted). */
  onPath(path: string): void;
  maxDirs?: number;
}

export function watchPromptly(options: PromptWatcherOptions): PromptWatcher {
  const max = options.maxDirs ?? PROMPT_MAX_DIRS;
  /** Directory → its watch, least recently used first (Map keeps insertion order). */
  const watches = new Map<string, FSWatcher>();
  let closed = false;

  const drop = (dir: string) => {
    const w = watches.get(dir);
    if (!w) return;
    watches.delete(dir);
    w.close();
  };

  return {
    add(dir) {
      if (closed) return;
      const existing = watches.get(dir);
      if (existing) {
        watches.delete(dir);
        watches.set(dir, existing);
        return;
      }
      let w: FSWatcher;
      try {
        // not persistent: the native watcher keeps the session alive, this one must never keep a process running
        w = watch(dir, { persistent: false }, (_event, name) => {
          if (closed || watches.get(dir) !== w || typeof name !== 'string' || name === '') return;
          options.onPath(join(dir, name));
          // an event naming the directory itself may be its deletion (inotify reports that under the directory's
          // name): the watch follows the old inode, so drop it; the next save reported there watches anew
          if (name === basename(dir)) drop(dir);
        });
      } catch {
        return; // gone already, or the OS refused a watch (ENOSPC/EMFILE): the native watcher still reports
      }
      w.on('error', () => drop(dir));
      watches.set(dir, w);
      while (watches.size > max) drop(watches.keys().next().value as string);
    },
    get dirs() {
      return [...watches.keys()];
    },
    close() {
      closed = true;
      for (const dir of [...watches.keys()]) drop(dir);
    },
  };
}
