import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveJobs, SPEC_WORKER_LIMITS, WorkerPool, WorkerTaskError, workersAvailable } from '../../src/emit/pool.js';

/** A worker speaking src/emit/spec-worker.ts's protocol: squares numbers, throws on 'boom', exits on 'exit'. */
const WORKER = `
import { parentPort, resourceLimits, threadId } from 'node:worker_threads';
parentPort.on('message', ({ id, task }) => {
  if (task === 'exit') process.exit(3);
  if (task === 'limits') return parentPort.postMessage({ id, result: resourceLimits });
  if (task === 'boom') parentPort.postMessage({ id, error: { message: 'boom', stack: 'Error: boom\\n    at worker' } });
  else parentPort.postMessage({ id, result: { square: task * task, thread: threadId } });
});
`;

let dir: string;
let script: URL;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-pool-'));
  await writeFile(join(dir, 'worker.mjs'), WORKER);
  script = pathToFileURL(join(dir, 'worker.mjs'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('WorkerPool', () => {
  it('answers every task with its own result, spread over the workers', async () => {
    const pool = new WorkerPool<number, { square: number; thread: number }>(script, 2);
    try {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.run(i)));
      expect(results.map((r) => r.square)).toEqual(Array.from({ length: 40 }, (_, i) => i * i));
      expect(new Set(results.map((r) => r.thread)).size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('with a local function the calling thread takes tasks from the same queue, between two turns of its loop', async () => {
    const local = (n: number | string) => {
      if (n === 'boom') throw new Error('local boom');
      return { square: (n as number) ** 2, thread: 0 };
    };
    const pool = new WorkerPool<number | string, { square: number; thread: number }>(script, 1, local);
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run(i)));
      expect(results.map((r) => r.square)).toEqual(Array.from({ length: 200 }, (_, i) => i * i));
      const threads = new Set(results.map((r) => r.thread));
      expect(threads.has(0)).toBe(true);
      expect(threads.size).toBe(2);
    } finally {
      await pool.close();
    }
    // no worker at all: this thread alone, and a throwing task rejects only itself
    const alone = new WorkerPool<number | string, { square: number; thread: number }>(script, 0, local);
    try {
      const settled = await Promise.allSettled([alone.run(2), alone.run('boom'), alone.run(3)]);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((settled[1] as PromiseRejectedResult).reason)).toContain('local boom');
    } finally {
      await alone.close();
    }
  });

  it('starts its workers with the resource limits given (the spec workers’ large young generation)', async () => {
    const pool = new WorkerPool<string, { maxYoungGenerationSizeMb: number }>(script, 2, undefined, SPEC_WORKER_LIMITS);
    const plain = new WorkerPool<string, { maxYoungGenerationSizeMb: number }>(script, 1);
    try {
      const limits = await Promise.all([pool.run('limits'), pool.run('limits')]);
      for (const l of limits) expect(l.maxYoungGenerationSizeMb).toBe(SPEC_WORKER_LIMITS.maxYoungGenerationSizeMb);
      expect((await plain.run('limits')).maxYoungGenerationSizeMb).toBeLessThan(192);
    } finally {
      await pool.close();
      await plain.close();
    }
  });

  it('a task that throws rejects only itself, with the worker’s stack', async () => {
    const pool = new WorkerPool<number | string, { square: number }>(script, 2);
    try {
      const [ok, bad, after] = await Promise.allSettled([pool.run(3), pool.run('boom'), pool.run(4)]);
      expect(ok).toEqual({ status: 'fulfilled', value: expect.objectContaining({ square: 9 }) });
      expect(bad.status).toBe('rejected');
      const error = (bad as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(WorkerTaskError);
      expect(error.stack).toContain('at worker');
      expect(after).toEqual({ status: 'fulfilled', value: expect.objectContaining({ square: 16 }) });
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails every pending and later task instead of hanging', async () => {
    const pool = new WorkerPool<number | string, unknown>(script, 1);
    try {
      const pending = [pool.run('exit'), pool.run(2), pool.run(5)];
      const settled = await Promise.allSettled(pending);
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      expect(String((settled[0] as PromiseRejectedResult).reason)).toContain('exited unexpectedly (exit code 3)');
      await expect(pool.run(1)).rejects.toThrow('exited unexpectedly');
    } finally {
      await pool.close();
    }
  });
});

describe('resolveJobs', () => {
  it('takes --jobs as given (at most one thread per spec), and stays on one thread for small projects', () => {
    expect(resolveJobs(4, 100, 0)).toBe(4);
    expect(resolveJobs(4, 3, 0)).toBe(3);
    expect(resolveJobs(2, 0, 0)).toBe(1);
    expect(resolveJobs(undefined, 100, 1000)).toBe(1);
  });

  it('has no workers when run from the TypeScript sources (the worker script is built into dist/)', () => {
    expect(workersAvailable()).toBe(false);
    expect(resolveJobs(undefined, 1000, 100 * 1024 * 1024)).toBe(1);
  });
});
