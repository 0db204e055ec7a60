/**
 * Crash safety and shutdown of the real daemon process on the real engine:
 *   - kill -9 while a run's container is running, restart: the run is resumed and its container adopted — every
 *     interval ran exactly once, each task attempt exactly once;
 *   - SIGTERM: no new runs, the running task finishes within --grace, exit 0;
 *   - SIGTERM with a grace shorter than the task: exit 0 at once, the next start adopts the running container.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/runtime/docker-executor.js';
import type { RunState } from '../../src/runtime/state.js';
import { removeContainer, testEngine } from '../runtime/support.js';
import { DaemonProcess, dailySpec, day, makeOrigin, readState, tempRoot, until } from './support.js';

const engine = await testEngine();
const root = tempRoot('pw-loop-crash-');
const daemons: DaemonProcess[] = [];

afterAll(async () => {
  for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL');
  if (engine) {
    const list = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.managedBy}=pipewright`] },
    });
    for (const c of list) {
      if ((c.Labels[LABEL.pipeline] ?? '').startsWith('lc-')) await removeContainer(engine.docker, c.Id);
    }
  }
  rmSync(root, { recursive: true, force: true });
});

function runState(stateDir: string, runId: string): RunState {
  return JSON.parse(readFileSync(join(stateDir, 'runs', runId, 'state.json'), 'utf8')) as RunState;
}

async function runningContainers(pipeline: string): Promise<string[]> {
  const list = await engine!.docker.listContainers({ filters: { label: [`${LABEL.pipeline}=${pipeline}`] } });
  return list.map((c) => c.Names[0]!.replace(/^\//, ''));
}

function start(dir: string, stateDir: string, origin: string, extra: string[] = []): DaemonProcess {
  const d = DaemonProcess.start(dir, [
    '--repo',
    origin,
    '--ref',
    'main',
    '--interval',
    '1s',
    '--state-dir',
    stateDir,
    ...extra,
  ]);
  daemons.push(d);
  return d;
}

describe.skipIf(!engine)('reconcile daemon: crash and shutdown', () => {
  it('kill -9 mid-run and a restart neither lose nor duplicate a run', { timeout: 180_000 }, async () => {
    const dir = join(root, 'kill');
    const origin = makeOrigin(dir);
    const stateDir = join(dir, 'state');
    origin.write(
      'lc-kill',
      dailySpec(
        'lc-kill',
        `  schedule: "0 0 * * *"\n  catchup: true\n  startDate: "${day(-2)}"`,
        'sleep 4; echo "done $PIPEWRIGHT_DS"',
      ),
    );
    origin.compile();
    origin.commit('lc-kill');
    const first = start(dir, stateDir, origin.dir);
    // The first run's container is running: kill the daemon without warning.
    await until(async () => (await runningContainers('lc-kill')).length === 1, 60_000, 'a running container');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const before = readState(stateDir).pipelines['lc-kill']!.runs;
    expect(before.map((r) => [r.ds, r.status])).toEqual([
      [day(-2), 'running'],
      [day(-1), 'queued'],
    ]);
    const second = start(dir, stateDir, origin.dir);
    await until(
      () => readState(stateDir).pipelines['lc-kill']!.runs.every((r) => r.status === 'succeeded'),
      90_000,
      'both runs succeeded after the restart',
    );
    const after = readState(stateDir).pipelines['lc-kill']!.runs;
    expect(after.map((r) => [r.ds, r.runId])).toEqual(before.map((r) => [r.ds, r.runId]));
    expect(
      readdirSync(join(stateDir, 'runs'))
        .filter((e) => /^\d{8}-/.test(e))
        .sort(),
    ).toEqual(after.map((r) => r.runId).sort());
    // the interrupted run was resumed: its container adopted, one attempt, one round of execution
    const resumed = runState(stateDir, before[0]!.runId);
    expect(resumed.tasks.main!.attempts).toHaveLength(1);
    expect(resumed.tasks.main!.status).toBe('succeeded');
    expect(second.messages().some((m) => /adopting/.test(m))).toBe(true);
    const ledger = readFileSync(join(stateDir, 'ledger.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; details: { runId: string } });
    expect(ledger.filter((e) => e.action === 'run.start').map((e) => e.details.runId)).toEqual(
      after.map((r) => r.runId),
    );
    expect(ledger.filter((e) => e.action === 'run.resume').map((e) => e.details.runId)).toEqual([before[0]!.runId]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM stops scheduling, lets the running task finish within --grace and exits 0', {
    timeout: 120_000,
  }, async () => {
    const dir = join(root, 'term');
    const origin = makeOrigin(dir);
    const stateDir = join(dir, 'state');
    origin.write(
      'lc-term',
      dailySpec(
        'lc-term',
        `  schedule: "0 0 * * *"\n  catchup: true\n  startDate: "${day(-2)}"`,
        'sleep 3; echo finished',
      ),
    );
    origin.compile();
    origin.commit('lc-term');
    const d = start(dir, stateDir, origin.dir, ['--grace', '60s']);
    await until(async () => (await runningContainers('lc-term')).length === 1, 60_000, 'a running container');
    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    const runs = readState(stateDir).pipelines['lc-term']!.runs;
    // the running one finished; the queued one was not started
    expect(runs.map((r) => [r.ds, r.status])).toEqual([
      [day(-2), 'succeeded'],
      [day(-1), 'queued'],
    ]);
    expect(d.messages()).toContain('finished');
    expect(d.messages().some((m) => m.startsWith('stopping'))).toBe(true);
    expect(await runningContainers('lc-term')).toEqual([]);
  });

  it('SIGTERM with a short grace exits 0 and the next start adopts the running container', {
    timeout: 120_000,
  }, async () => {
    const dir = join(root, 'grace');
    const origin = makeOrigin(dir);
    const stateDir = join(dir, 'state');
    origin.write(
      'lc-grace',
      dailySpec(
        'lc-grace',
        `  schedule: "0 0 * * *"\n  catchup: false\n  startDate: "${day(-2)}"`,
        'sleep 6; echo slow-done',
      ),
    );
    origin.compile();
    origin.commit('lc-grace');
    const d = start(dir, stateDir, origin.dir, ['--grace', '1s']);
    await until(async () => (await runningContainers('lc-grace')).length === 1, 60_000, 'a running container');
    const t0 = Date.now();
    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(d.messages().some((m) => /grace period over/.test(m))).toBe(true);
    expect(readState(stateDir).pipelines['lc-grace']!.runs.map((r) => r.status)).toEqual(['running']);
    expect(await runningContainers('lc-grace')).toHaveLength(1);
    const again = start(dir, stateDir, origin.dir);
    await until(
      () => readState(stateDir).pipelines['lc-grace']!.runs[0]!.status === 'succeeded',
      60_000,
      'adopted run done',
    );
    const run = runState(stateDir, readState(stateDir).pipelines['lc-grace']!.runs[0]!.runId);
    expect(run.tasks.main!.attempts).toHaveLength(1);
    expect(again.messages()).toContain('slow-done');
    again.child.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });
  });
});
