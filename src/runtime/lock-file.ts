/**
 * Exclusive lock files: `<file>.lock` created with O_EXCL holds the owner's pid. A lock whose owner is dead is broken
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
      writeSync(fd, `${process.pid}\n`);
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
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    } catch {
      // Vanished between open and read: retry at once.
      continue;
    }
    // An empty lock file is one being written right now (open and write are two steps): wait for it.
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
      const aside = `${lock}.stale.${process.pid}`;
      try {
        renameSync(lock, aside);
        const again = Number.parseInt(readFileSync(aside, 'utf8'), 10);
        if (again === owner) unlinkSync(aside);
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
