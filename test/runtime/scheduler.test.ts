import { describe, expect, it } from 'vitest';
import { coalescedWriter } from '../../src/runtime/run.js';
import {
  type AttemptHandle,
  type AttemptOutcome,
  type AttemptRequest,
  runScheduler,
  type SchedulerTask,
  type TaskState,
} from '../../src/runtime/scheduler.js';

/** A fake executor: each task's attempts play a script of outcomes after a delay; records what ran and when. */
function fakeExecutor(script: Record<string, (AttemptOutcome | 'hang')[]>, delayMs = 5) {
  const log: string[] = [];
  let active = 0;
  let maxActive = 0;
  const launch = async (req: AttemptRequest): Promise<AttemptHandle> => {
    log.push(`start ${req.taskId}#${req.attempt}${req.resume ? ' resume' : ''}`);
    active++;
    maxActive = Math.max(maxActive, active);
    const planned = script[req.taskId]?.[req.attempt - 1] ?? { exitCode: 0 };
    let kill: () => void = () => {};
    const done = new Promise<AttemptOutcome>((resolve) => {
      const finish = (o: AttemptOutcome) => {
        active--;
        log.push(`end ${req.taskId}#${req.attempt} ${o.exitCode}`);
        resolve(o);
      };
      const timer = planned === 'hang' ? undefined : setTimeout(() => finish(planned), delayMs);
      kill = () => {
        if (timer) clearTimeout(timer);
        finish({ exitCode: null, signal: 'SIGTERM' });
      };
    });
    return { done, kill: () => kill() };
  };
  return { launch, log, maxActive: () => maxActive };
}

function freshState(tasks: SchedulerTask[]): Record<string, TaskState> {
  return Object.fromEntries(tasks.map((t) => [t.id, { status: 'pending', attempts: [] } as TaskState]));
}

const task = (id: string, needs: string[] = [], extra: Partial<SchedulerTask> = {}): SchedulerTask => ({
  id,
  needs,
  retries: 0,
  retryDelaySeconds: 0,
  ...extra,
});

async function run(
  tasks: SchedulerTask[],
  exec: ReturnType<typeof fakeExecutor>,
  concurrency = 4,
  state = freshState(tasks),
) {
  let persists = 0;
  const finished: string[] = [];
  await runScheduler({
    tasks,
    state,
    concurrency,
    launch: exec.launch,
    hooks: {
      persist: () => {
        persists++;
      },
      taskFinished: (id, s) => {
        finished.push(`${id}:${s.status}`);
      },
    },
  });
  return { state, persists, finished };
}

describe('runScheduler', () => {
  it('starts tasks only after their needs succeeded, independent ones in parallel', async () => {
    const tasks = [task('a'), task('b'), task('c', ['a', 'b']), task('d', ['c'])];
    const exec = fakeExecutor({});
    const { state } = await run(tasks, exec);
    expect(exec.log.slice(0, 2).sort()).toEqual(['start a#1', 'start b#1']);
    expect(exec.log.indexOf('start c#1')).toBeGreaterThan(
      Math.max(exec.log.indexOf('end a#1 0'), exec.log.indexOf('end b#1 0')),
    );
    expect(exec.log.indexOf('start d#1')).toBeGreaterThan(exec.log.indexOf('end c#1 0'));
    expect(exec.maxActive()).toBe(2);
    expect(Object.values(state).map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('never runs more than `concurrency` attempts at once', async () => {
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((id) => task(id));
    const exec = fakeExecutor({});
    await run(tasks, exec, 2);
    expect(exec.maxActive()).toBe(2);
  });

  it('retries a failing task and succeeds on a later attempt', async () => {
    const tasks = [task('a', [], { retries: 2 })];
    const exec = fakeExecutor({ a: [{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 0 }] });
    const { state } = await run(tasks, exec);
    expect(state.a).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(state.a!.attempts.map((a) => a.outcome?.exitCode)).toEqual([1, 1, 0]);
  });

  it('waits retryDelay between attempts', async () => {
    const tasks = [task('a', [], { retries: 1, retryDelaySeconds: 7 })];
    const exec = fakeExecutor({ a: [{ exitCode: 1 }] });
    const slept: number[] = [];
    const state = freshState(tasks);
    await runScheduler({
      tasks,
      state,
      concurrency: 1,
      launch: exec.launch,
      hooks: { persist: () => {} },
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(6900);
    expect(state.a!.attempts).toHaveLength(2);
  });

  it('kills an attempt at its timeout and counts it as failed', async () => {
    const tasks = [task('a', [], { timeoutSeconds: 1 }), task('b', ['a'])];
    const exec = fakeExecutor({ a: ['hang'] });
    const { state } = await run(tasks, exec);
    expect(state.a).toMatchObject({ status: 'failed', exitCode: null });
    expect(state.a!.attempts[0]!.outcome).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    expect(state.b!.status).toBe('upstream_failed');
  });

  it('marks descendants upstream_failed and lets independent branches finish', async () => {
    const tasks = [task('a'), task('b', ['a']), task('c', ['b']), task('x'), task('y', ['x'])];
    const exec = fakeExecutor({ a: [{ exitCode: 3 }] });
    const { state, finished } = await run(tasks, exec);
    expect(Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.status]))).toEqual({
      a: 'failed',
      b: 'upstream_failed',
      c: 'upstream_failed',
      x: 'succeeded',
      y: 'succeeded',
    });
    expect(state.a!.exitCode).toBe(3);
    expect(exec.log.some((l) => l.startsWith('start b'))).toBe(false);
    expect(finished).toContain('c:upstream_failed');
  });

  it('adopts a recorded state: succeeded tasks are not re-run, an in-flight attempt is resumed', async () => {
    const tasks = [task('a'), task('b', ['a']), task('c', ['b'])];
    const state = freshState(tasks);
    state.a = {
      status: 'succeeded',
      attempts: [{ n: 1, startedAt: '2024-01-01T00:00:00Z', outcome: { exitCode: 0 } }],
      exitCode: 0,
    };
    state.b = { status: 'running', attempts: [{ n: 1, startedAt: new Date().toISOString(), ref: { pid: 1 } }] };
    const exec = fakeExecutor({});
    await run(tasks, exec, 4, state);
    expect(exec.log.filter((l) => l.startsWith('start'))).toEqual(['start b#1 resume', 'start c#1']);
    expect(state.b!.attempts).toHaveLength(1);
    expect(Object.values(state).map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('after a crash between recording a success and finishing the task, does not run it again', async () => {
    const tasks = [task('a')];
    const state = freshState(tasks);
    state.a = {
      status: 'running',
      attempts: [
        { n: 1, startedAt: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:00:01Z', outcome: { exitCode: 0 } },
      ],
    };
    const exec = fakeExecutor({});
    await run(tasks, exec, 1, state);
    expect(exec.log).toEqual([]);
    expect(state.a!.status).toBe('succeeded');
  });

  it('a new round (resumed failed run) gets a fresh retry budget and continues attempt numbers', async () => {
    const tasks = [task('a', [], { retries: 1 })];
    const state = freshState(tasks);
    state.a = {
      status: 'pending',
      firstAttempt: 2,
      attempts: [
        { n: 1, startedAt: 't', finishedAt: 't', outcome: { exitCode: 1 } },
        { n: 2, startedAt: 't', finishedAt: 't', outcome: { exitCode: 1 } },
      ],
    };
    const exec = fakeExecutor({ a: [{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 1 }, { exitCode: 0 }] });
    await run(tasks, exec, 1, state);
    expect(exec.log.filter((l) => l.startsWith('start'))).toEqual(['start a#3', 'start a#4']);
    expect(state.a!.status).toBe('succeeded');
  });

  it('persists intent before the executor acts', async () => {
    const tasks = [task('a')];
    const state = freshState(tasks);
    const seen: string[] = [];
    await runScheduler({
      tasks,
      state,
      concurrency: 1,
      launch: async (req) => {
        seen.push(`launch with ${state.a!.attempts.length} recorded`);
        return fakeExecutor({}).launch(req);
      },
      hooks: {
        persist: () => {
          seen.push(`persist ${state.a!.status}/${state.a!.attempts.length}`);
        },
      },
    });
    expect(seen.indexOf('persist running/1')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('persist running/1')).toBeLessThan(seen.indexOf('launch with 1 recorded'));
  });

  it('records an outcome that ends the task together with the final status, before the attempt hook runs', async () => {
    const tasks = [task('ok'), task('bad', [], { retries: 1 })];
    const state = freshState(tasks);
    const exec = fakeExecutor({ bad: [{ exitCode: 1 }, { exitCode: 2 }] });
    const seen: string[] = [];
    const snapshot = (id: string) =>
      `${id} ${state[id]!.status} ${state[id]!.attempts.map((a) => a.outcome?.exitCode ?? '-').join(',')}`;
    await runScheduler({
      tasks,
      state,
      concurrency: 1,
      launch: exec.launch,
      hooks: {
        persist: () => {
          seen.push(`persist ${snapshot('ok')} | ${snapshot('bad')}`);
        },
        attemptFinished: (id) => {
          seen.push(`finished ${snapshot(id)}`);
        },
      },
    });
    // each attempt's hook sees a written state that already holds its outcome (and, when it was the last, the status)
    for (const hook of ['finished ok succeeded 0', 'finished bad running 1', 'finished bad failed 1,2']) {
      const at = seen.indexOf(hook);
      expect(at, hook).toBeGreaterThan(0);
      expect(seen[at - 1]).toContain(hook.replace('finished ', ''));
    }
    // per task: marked running (1), then per attempt its intent (1) and its outcome (1) — the final status no longer
    // costs a write of its own (it was 10 here)
    expect(seen.filter((l) => l.startsWith('persist'))).toHaveLength(2 + 3 * 2);
  });

  it('cancellation kills running attempts and skips tasks that never started', async () => {
    const tasks = [task('a'), task('b', ['a'])];
    const exec = fakeExecutor({ a: ['hang'] });
    const controller = new AbortController();
    const state = freshState(tasks);
    const p = runScheduler({
      tasks,
      state,
      concurrency: 1,
      launch: exec.launch,
      hooks: { persist: () => {} },
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await p;
    expect(state.a!.status).toBe('failed');
    expect(state.b!.status).toBe('upstream_failed');
  });
});

describe('coalescedWriter (the run state writes of executeRun)', () => {
  it('shares one write among the calls of one turn; each caller resolves after a write that began after its call', async () => {
    let value = 0;
    const written: number[] = [];
    const persist = coalescedWriter(() => written.push(value));
    value = 1;
    const a = persist();
    value = 2; // a change made after the first call, in the same turn, is in the shared write
    const b = persist();
    expect(a).toBe(b);
    expect(written).toEqual([]); // not written yet: the caller awaits it
    await a;
    expect(written).toEqual([2]);
    value = 3;
    await persist(); // a call after that write started gets a write of its own
    expect(written).toEqual([2, 3]);
  });

  it('rejects every caller of a write that failed, and writes again on the next call', async () => {
    let fail = true;
    const persist = coalescedWriter(() => {
      if (fail) throw new Error('disk full');
    });
    const calls = [persist(), persist()];
    for (const call of calls) await expect(call).rejects.toThrow('disk full');
    fail = false;
    await expect(persist()).resolves.toBeUndefined();
  });
});
