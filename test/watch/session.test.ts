import { mkdir, mkdtemp, realpath, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverSpecFiles, readSpecInput } from '../../src/emit/project.js';
import { SpecScope } from '../../src/watch/filter.js';
import { displayPath } from '../../src/watch/incremental.js';
import { type BatchEvent, type RebuildEvent, startSession, type WatchSession } from '../../src/watch/session.js';
import { specReader } from '../../src/watch/snapshot.js';
import { RecordingEngine, record, waitFor } from './helpers.js';

describe('startSession session mechanics (real chokidar, real files)', () => {
  let dir: string;
  let specs: string;
  let session: WatchSession | undefined;
  let engine: RecordingEngine;

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-session-')));
    specs = join(dir, 'pipelines');
    await mkdir(specs);
    await mkdir(join(dir, 'generated'));
    await writeFile(join(specs, 'a.yaml'), 'a: 1\n');
    engine = new RecordingEngine();
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const start = (debounceMs = 50) => {
    const scope = new SpecScope([specs], [], [join(dir, 'generated')]);
    const read = specReader((path) => readSpecInput(path, displayPath(dir, path)));
    session = startSession({ scope, engine, discover: discoverSpecFiles, read, debounceMs });
    return record(session);
  };
  const rebuilds = (events: ReturnType<typeof record>) =>
    events.filter((e) => e.type === 'rebuild').map((e) => e.value as RebuildEvent);
  const batches = (events: ReturnType<typeof record>) =>
    events.filter((e) => e.type === 'batch').map((e) => e.value as BatchEvent);

  it('starts with one full build of every spec', async () => {
    const events = start();
    const initial = await session!.ready;
    expect(initial.initial).toBe(true);
    expect(engine.calls).toEqual([
      {
        changes: [
          { path: join(specs, 'a.yaml'), kind: 'added', input: { file: 'pipelines/a.yaml', source: 'a: 1\n' } },
        ],
        initial: true,
      },
    ]);
    expect(rebuilds(events)).toHaveLength(1);
  });

  it('edit, atomic rename save, delete and add each reach the engine as content changes', async () => {
    const events = start();
    await session!.ready;
    const a = join(specs, 'a.yaml');
    const next = async (n: number) => waitFor(() => (engine.calls.length >= n ? true : undefined), `rebuild #${n}`);

    await writeFile(a, 'a: 2\n');
    await next(2);
    expect(engine.calls[1]?.changes).toEqual([
      { path: a, kind: 'changed', input: { file: displayPath(dir, a), source: 'a: 2\n' } },
    ]);

    // atomic save as editors do it: write a temporary file next to the spec, rename it over the spec
    await writeFile(join(specs, '.a.yaml.tmp'), 'a: 3\n');
    await rename(join(specs, '.a.yaml.tmp'), a);
    await next(3);
    expect(engine.calls[2]?.changes).toEqual([
      { path: a, kind: 'changed', input: { file: displayPath(dir, a), source: 'a: 3\n' } },
    ]);

    await rm(a);
    await next(4);
    expect(engine.calls[3]?.changes).toEqual([{ path: a, kind: 'removed' }]);

    const b = join(specs, 'team', 'b.yml');
    await mkdir(join(specs, 'team'));
    await writeFile(b, 'b: 1\n');
    await next(5);
    expect(engine.calls.slice(4).flatMap((c) => c.changes)).toEqual([
      { path: b, kind: 'added', input: { file: displayPath(dir, b), source: 'b: 1\n' } },
    ]);
    expect(rebuilds(events).every((r) => r.ms >= 0)).toBe(true);
  });

  it('a burst of 200 file writes is one rebuild', async () => {
    const events = start(300);
    await session!.ready;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++)
      writes.push(writeFile(join(specs, `p${String(i).padStart(3, '0')}.yaml`), `n: ${i}\n`));
    await Promise.all(writes);
    await waitFor(() => (engine.calls.length >= 2 ? true : undefined), 'the burst rebuild');
    await session!.idle();
    expect(engine.calls).toHaveLength(2);
    expect(engine.calls[1]?.changes).toHaveLength(200);
    expect(rebuilds(events)).toHaveLength(2);
  });

  it('a touch (and an identical rewrite) is a batch without rebuild', async () => {
    const events = start();
    await session!.ready;
    const a = join(specs, 'a.yaml');
    const later = new Date(Date.now() + 10_000);
    await utimes(a, later, later);
    await waitFor(() => (batches(events).length >= 1 ? true : undefined), 'the touch batch');
    await writeFile(a, 'a: 1\n');
    await waitFor(() => (batches(events).length >= 2 ? true : undefined), 'the rewrite batch');
    await session!.idle();
    expect(batches(events).map((b) => b.changes)).toEqual([0, 0]);
    expect(engine.calls).toHaveLength(1); // the initial build only
  });
});
