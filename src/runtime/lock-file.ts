/**
 * Exclusive lock files: `<file>.lock` created with O_EXCL holds the owner's pid and start time (`<pid> <start>`, the
 * start time from /proc tells the owner from an unrelated process that got its pid later, e.g. after a reboot).
 * A lock whose owner is dead is broken
 * (renamed aside first, so two waiters cannot both delete a fresh lock). Used by the ledger (short waits) and by run
 * state (no wait: a run being executed by a live runner must not be resumed by a second one).
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';

export class LockHeldError extends Error {
  constructor(
    readonly lock: string,
    readonly owner: number,
  ) {
    super(`${lock} is held by process ${owner}`);
    this.name = 'LockHeldError';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22); undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** What a lock file holds for this process. */
export function lockOwnerText(): string {
  return `${process.pid} ${processStartTime(process.pid) ?? '-'}\n`;
}

/** Whether the process named by a lock file's text still runs (same pid and, where known, same start time). */
export function lockOwnerAlive(text: string): boolean {
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false;
  if (start === undefined || start === '-') return true;
  const now = processStartTime(pid);
  return now === undefined || now === start;
}

/**
 * Takes `<file>.lock` with O_EXCL; the lock holds the owner's pid. A lock whose owner is dead is removed (by renaming
 * it away first, so two waiters cannot both delete a fresh lock). Returns the release function.
 */
export function acquireLock(file: string, timeoutMs: number): () => void {
  const lock = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, lockOwnerText());
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          // Already broken as stale by someone else: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let text: string;
    try {
      text = readFileSync(lock, 'utf8');
    } catch {
      // Vanished between open and read: retry at once.
      continue;
    }
    const owner = Number.parseInt(text, 10);
    // An empty lock file is one being written right now (open and write are two steps): wait for it.
    if (text.trim() !== '' && !lockOwnerAlive(text)) {
      const aside = `${lock}.stale.${process.pid}`;
      try {
        renameSync(lock, aside);
        const again = readFileSync(aside, 'utf8');
        if (again === text) unlinkSync(aside);
        else renameSync(aside, lock); // someone replaced it meanwhile: put theirs back
      } catch {
        // Another waiter broke it first.
      }
      continue;
    }
    if (Date.now() > deadline) throw new LockHeldError(lock, owner);
    sleepSync(delay);
    delay = Math.min(delay * 2, 25);
  }
}
