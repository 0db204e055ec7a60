import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RebuildReport, WatchEngine } from '../../src/watch/engine.js';
import type { WatchSession } from '../../src/watch/session.js';
import type { SpecChange } from '../../src/watch/snapshot.js';

/** Resolves with the first value `poll` returns that is not undefined (event-driven waits, no fixed sleeps). */
export async function waitFor<T>(poll: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects every event a session emits, in order. */
export function record(session: WatchSession) {
  const events: { type: string; value: unknown }[] = [];
  session.on('rebuild', (value) => events.push({ type: 'rebuild', value }));
  session.on('batch', (value) => events.push({ type: 'batch', value }));
  session.on('warning', (value) => events.push({ type: 'warning', value }));
  session.on('error', (value) => events.push({ type: 'error', value }));
  return events;
}

/** An engine for session mechanics: it only records the changes it is handed and reports them as changed. */
export class RecordingEngine implements WatchEngine {
  calls: { changes: SpecChange[]; initial: boolean }[] = [];
  async apply(changes: SpecChange[], initial: boolean): Promise<RebuildReport> {
    this.calls.push({ changes, initial });
    return {
      changed: changes.map((c) => c.path),
      rebuilt: [],
      deleted: [],
      written: [],
      removed: [],
      failing: [],
      diagnostics: [],
      fresh: [],
      sources: new Map(),
    };
  }
}

/** Every file under `dir` (relative POSIX path → content), for whole-tree comparisons. */
export async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out[
      full
        .slice(dir.length + 1)
        .split('\\')
        .join('/')
    ] = await readFile(full, 'utf8');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
