/**
 * The runner is a real process (the built CLI) killed with SIGKILL mid-run; a second runner continues the run.
 * Succeeded tasks must not run again, the task that was running is re-attached (still running) or judged by its exit
 * code (finished while no runner was there), the rest continue.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/runtime/docker-executor.js';
import { readLedger, verifyLedger } from '../../src/runtime/ledger.js';
import type { RunState } from '../../src/runtime/state.js';
import { runCliCapture } from '../helpers/cli.js';
import { assertBuilt, BUILT_CLI } from './built.js';
import { makeProject, removeContainer, specText, TEST_IMAGE, testEngine } from './support.js';

let dir: string;
const children: ChildProcess[] = [];
beforeAll(() => assertBuilt());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-crash-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readState(): RunState | undefined {
  const runs = join(dir, '.pipewright', 'runs');
  if (!existsSync(runs)) return undefined;
  const id = readdirSync(runs).find((e) => /^\d{8}-[0-9a-f]{8}$/.test(e));
  if (!id || !existsSync(join(runs, id, 'state.json'))) return undefined;
  try {
    return JSON.parse(readFileSync(join(runs, id, 'state.json'), 'utf8')) as RunState;
  } catch {
    return undefined;
  }
}

/** Starts the built CLI as the runner; resolves once it is killed with SIGKILL after `ready`. */
async function killRunnerWhen(
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean> | boolean,
): Promise<void> {
  const child = spawn(process.execPath, [BUILT_CLI, 'run', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH!, ...env },
    stdio: 'ignore',
  });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await until('the runner to reach the kill point', async () =>
    child.exitCode === null ? ready() : Promise.reject(new Error(`runner exited early (${child.exitCode})`)),
  );
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

const lines = (file: string) =>
  existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim().split('\n').length : 0;

const LOCAL_SPEC = specText(
  'crash',
  `  defaults: { image: ${JSON.stringify(TEST_IMAGE)} }
  tasks:
    a: { command: [sh, -c, 'echo x >> a.count'] }
    b: { needs: [a], command: [sh, -c, 'echo x >> b.count; touch b.started; sleep 2; touch b.done'] }
    c: { needs: [b], command: [sh, -c, 'test -e b.done && echo x >> c.count'] }
`,
);

describe('crash safety: SIGKILL of the runner, local executor', () => {
  it('a plain re-run adopts the interrupted run: a is not re-run, the still-running b is re-attached, c runs', async () => {
    makeProject({ crash: LOCAL_SPEC }, dir);
    await killRunnerWhen(['crash', '--date', '2024-03-01'], {}, () => existsSync(join(dir, 'b.started')));
    const killed = readState()!;
    expect(killed.status).toBe('running');
    expect(killed.tasks.b!.status).toBe('running');
    expect((await runCliCapture(['runs'], { cwd: dir })).stdout).toMatch(
      new RegExp(`${killed.runId} +crash +1.0.0 +2024-03-01 +local +interrupted +1/3`),
    );
    expect(existsSync(join(dir, 'b.done'))).toBe(false); // b is still running without a runner

    const resumed = await runCliCapture(['run', 'crash', '--date', '2024-03-01'], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`continuing interrupted run ${killed.runId}`);
    expect(resumed.stdout).toMatch(/\[b\] » re-attached to attempt 1 \(pid \d+\)/);
    expect([lines('a.count'), lines('b.count'), lines('c.count')]).toEqual([1, 1, 1]);
    const state = readState()!;
    expect(state.runId).toBe(killed.runId);
    expect(Object.values(state.tasks).map((t) => `${t.status}/${t.attempts.length}`)).toEqual([
      'succeeded/1',
      'succeeded/1',
      'succeeded/1',
    ]);
    const ledger = join(dir, '.pipewright', 'ledger.jsonl');
    expect(verifyLedger(ledger)).toMatchObject({ ok: true });
    expect(readLedger(ledger).map((r) => `${r.action}:${r.details.task ?? ''}`)).toEqual([
      'run.start:',
      'task.attempt:a',
      'run.resume:',
      'task.attempt:b',
      'task.attempt:c',
      'run.finish:',
    ]);
  });

  it('--resume judges a task that finished while no runner was there by its recorded exit code', async () => {
    makeProject({ crash: LOCAL_SPEC }, dir);
    await killRunnerWhen(['crash', '--date', '2024-03-01'], {}, () => existsSync(join(dir, 'b.started')));
    const { runId } = readState()!;
    await until('b to finish without its runner', () =>
      existsSync(join(dir, '.pipewright', 'runs', runId, 'attempts', 'b.1', 'result.json')),
    );
    const resumed = await runCliCapture(['run', '--resume', runId], { cwd: dir, env: { PATH: process.env.PATH } });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('[b] » attempt 1 finished while the runner was away (exit 0)');
    expect([lines('a.count'), lines('b.count'), lines('c.count')]).toEqual([1, 1, 1]);
    expect((await runCliCapture(['runs', '--format', 'json'], { cwd: dir })).stdout).toContain('"status": "succeeded"');
  });
});

describe('stopping a runner with SIGINT (Ctrl-C)', () => {
  it('kills the running task, skips what did not start, records the run as failed and exits 1', async () => {
    makeProject(
      {
        stop: specText(
          'stop',
          `  defaults: { image: ${JSON.stringify(TEST_IMAGE)} }
  tasks:
    long: { command: [sh, -c, 'echo $$ > long.pid; touch long.started; sleep 30'] }
    after: { needs: [long], command: [echo, never] }
    other: { needs: [long], command: [echo, never] }
`,
        ),
      },
      dir,
    );
    const child = spawn(process.execPath, [BUILT_CLI, 'run', 'stop', '--date', '2024-03-01'], {
      cwd: dir,
      env: { PATH: process.env.PATH! },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until('the task to start', () => existsSync(join(dir, 'long.started')));
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    const state = readState()!;
    expect(state.status).toBe('failed');
    expect(Object.fromEntries(Object.entries(state.tasks).map(([id, t]) => [id, t.status]))).toEqual({
      long: 'failed',
      after: 'upstream_failed',
      other: 'upstream_failed',
    });
    const pid = Number(readFileSync(join(dir, 'long.pid'), 'utf8'));
    await until('the task process to be gone', () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
      } catch {
        return true;
      }
    });
    expect(stdout).toMatch(/run \d{8}-[0-9a-f]{8} failed \(failed: long; 2 blocked upstream\)/);
  });
});

const engine = await testEngine();

describe.skipIf(!engine)('crash safety: SIGKILL of the runner, docker executor', () => {
  const DOCKER_SPEC = specText(
    'dcrash',
    `  defaults: { image: ${JSON.stringify(TEST_IMAGE)} }
  tasks:
    a: { command: [echo, a-ran] }
    b: { needs: [a], command: [sh, -c, 'echo b-start; sleep 3; echo b-end'] }
    c: { needs: [b], command: [echo, c-ran] }
`,
  );
  const dockerEnv = () => ({ DOCKER_HOST: engine!.endpoint });
  const containerState = async (name: string) => {
    try {
      return (await engine!.docker.getContainer(name).inspect()).State.Status;
    } catch {
      return undefined;
    }
  };
  afterAll(async () => {
    for (const c of await engine!.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.pipeline}=dcrash`] },
    })) {
      await removeContainer(engine!.docker, c.Id);
    }
  });

  async function killDuringB(): Promise<{ runId: string; b: string }> {
    makeProject({ dcrash: DOCKER_SPEC }, dir);
    let b = '';
    await killRunnerWhen(['dcrash', '--executor', 'docker', '--date', '2024-03-01'], dockerEnv(), async () => {
      const ref = readState()?.tasks.b?.attempts[0]?.ref?.container;
      if (typeof ref !== 'string') return false;
      b = ref;
      return (await containerState(ref)) === 'running';
    });
    return { runId: readState()!.runId, b };
  }

  it('re-attaches to the running container; a is not re-run; c runs', async () => {
    const { runId, b } = await killDuringB();
    expect(await containerState(b)).toBe('running');
    const resumed = await runCliCapture(['run', '--resume', runId], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...dockerEnv() },
    });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`[b] » adopting existing container ${b} (running)`);
    // re-attached through the container's log: what it wrote before the runner died is there too
    expect(resumed.stdout).toContain('[b] b-start');
    expect(resumed.stdout).toContain('[b] b-end');
    expect(resumed.stdout).toContain('[c] c-ran');
    expect(resumed.stdout).not.toContain('[a] a-ran');
    const state = readState()!;
    expect(Object.values(state.tasks).map((t) => `${t.status}/${t.attempts.length}`)).toEqual([
      'succeeded/1',
      'succeeded/1',
      'succeeded/1',
    ]);
    const attempts = readLedger(join(dir, '.pipewright', 'ledger.jsonl')).filter((r) => r.action === 'task.attempt');
    expect(attempts.map((r) => `${r.details.task}#${r.details.attempt}:${r.result}`)).toEqual([
      'a#1:succeeded',
      'b#1:succeeded',
      'c#1:succeeded',
    ]);
    expect(await engine!.docker.listContainers({ all: true, filters: { label: [`${LABEL.runId}=${runId}`] } })).toEqual(
      [],
    );
  });

  it('judges a container that exited while no runner was there by its exit code', async () => {
    const { runId, b } = await killDuringB();
    await until('b to exit', async () => (await containerState(b)) === 'exited');
    const resumed = await runCliCapture(['run', 'dcrash', '--executor', 'docker', '--date', '2024-03-01'], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...dockerEnv() },
    });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`continuing interrupted run ${runId}`);
    expect(resumed.stdout).toContain(`[b] » adopting existing container ${b} (exited)`);
    expect(resumed.stdout).toContain('[c] c-ran');
    expect(readState()!.tasks.b!.attempts).toHaveLength(1);
  });

  it('backfill on the engine is idempotent per date', async () => {
    makeProject({ dcrash: DOCKER_SPEC.replace('sleep 3', 'sleep 0') }, dir);
    const args = ['run', 'dcrash', '--executor', 'docker', '--backfill', '2024-03-01..2024-03-02', '--format', 'json'];
    const first = await runCliCapture(args, { cwd: dir, env: { PATH: process.env.PATH, ...dockerEnv() } });
    expect(first.code).toBe(0);
    const runs = JSON.parse(first.stdout) as { runId: string; tasks: { status: string }[] }[];
    expect(runs.map((r) => r.tasks.map((t) => t.status).join())).toEqual([
      'succeeded,succeeded,succeeded',
      'succeeded,succeeded,succeeded',
    ]);
    const second = await runCliCapture(args, { cwd: dir, env: { PATH: process.env.PATH, ...dockerEnv() } });
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout) as { runId: string; tasks: { status: string }[] }[];
    expect(again.map((r) => r.runId)).toEqual(runs.map((r) => r.runId));
    expect(again.flatMap((r) => r.tasks.map((t) => t.status))).toEqual(Array(6).fill('skipped'));
    expect(second.stderr.match(/already succeeded/g)).toHaveLength(2);
  });
});
