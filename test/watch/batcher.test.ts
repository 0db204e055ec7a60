import { describe, expect, it } from 'vitest';
import { type Batch, createBatcher } from '../../src/watch/batcher.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('createBatcher', () => {
  it('merges a burst of pushes into one sorted, de-duplicated batch', async () => {
    const batches: Batch[] = [];
    const batcher = createBatcher({ debounceMs: 30, run: async (b) => void batches.push(b), onError: () => {} });
    for (let i = 0; i < 200; i++) batcher.push(`/p/${String(i % 150).padStart(3, '0')}.yaml`);
    await batcher.idle();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.paths).toHaveLength(150);
    expect(batches[0]?.paths[0]).toBe('/p/000.yaml');
    expect(batches[0]?.all).toBe(false);
  });

  it('never overlaps batches: events during a run form the next batch', async () => {
    const batches: Batch[] = [];
    const gate = deferred();
    const started = deferred();
    let active = 0;
    let maxActive = 0;
    const batcher = createBatcher({
      debounceMs: 5,
      run: async (b) => {
        active++;
        maxActive = Math.max(maxActive, active);
        batches.push(b);
        if (batches.length === 1) {
          started.resolve();
          await gate.promise;
        }
        active--;
      },
      onError: () => {},
    });
    batcher.push('/a.yaml');
    await started.promise;
    batcher.push('/b.yaml');
    batcher.push('/c.yaml');
    // give the debounce timer time to fire while the first batch is still running
    await new Promise((r) => setTimeout(r, 30));
    expect(batches).toHaveLength(1);
    gate.resolve();
    await batcher.idle();
    expect(maxActive).toBe(1);
    expect(batches.map((b) => b.paths)).toEqual([['/a.yaml'], ['/b.yaml', '/c.yaml']]);
  });

  it('reports a failing batch and keeps serving later ones', async () => {
    const errors: unknown[] = [];
    const seen: string[][] = [];
    const batcher = createBatcher({
      debounceMs: 1,
      run: async (b) => {
        seen.push(b.paths);
        if (b.paths.includes('/bad.yaml')) throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    batcher.push('/bad.yaml');
    await batcher.idle();
    batcher.push('/good.yaml');
    await batcher.idle();
    expect(seen).toEqual([['/bad.yaml'], ['/good.yaml']]);
    expect(errors).toHaveLength(1);
  });

  it('pushAll requests a full re-check', async () => {
    const batches: Batch[] = [];
    const batcher = createBatcher({ debounceMs: 1, run: async (b) => void batches.push(b), onError: () => {} });
    batcher.pushAll();
    await batcher.idle();
    expect(batches).toEqual([{ paths: [], all: true }]);
  });

  it('a continuous stream of events still yields a batch after maxWaitMs', async () => {
    const batches: Batch[] = [];
    const batcher = createBatcher({
      debounceMs: 50,
      maxWaitMs: 60,
      run: async (b) => void batches.push(b),
      onError: () => {},
    });
    let i = 0;
    const interval = setInterval(() => batcher.push(`/f${i++}.yaml`), 5);
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(interval);
    await batcher.idle();
    // without the cap the 5 ms stream would have postponed every batch until the stream stopped
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flatMap((b) => b.paths)).toHaveLength(i);
  });

  it('stop drops pending paths and waits for the running batch', async () => {
    const seen: string[][] = [];
    const batcher = createBatcher({ debounceMs: 1000, run: async (b) => void seen.push(b.paths), onError: () => {} });
    batcher.push('/x.yaml');
    await batcher.stop();
    batcher.push('/y.yaml');
    await batcher.idle();
    expect(seen).toEqual([]);
  });
});
