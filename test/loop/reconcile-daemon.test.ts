/**
 * `pipewright reconcile` as a real process, following a real git repository, running on the real engine.
 * One daemon follows `main` while commits land between cycles: a spec added, changed, disabled, removed, and bad
 * commits (invalid spec, a cron that never fires, stale generated/), a ref that vanishes and a remote that becomes
 * unreachable — each is reported and the daemon keeps serving the last good commit.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/runtime/docker-executor.js';
import { removeContainer, testEngine } from '../runtime/support.js';
import { DaemonProcess, dailySpec, day, git, makeOrigin, readState, tempRoot, until } from './support.js';

const engine = await testEngine();
const root = tempRoot('pw-loop-');
const daemons: DaemonProcess[] = [];

afterAll(async () => {
  for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL');
  if (engine) {
    const list = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.managedBy}=pipewright`] },
    });
    for (const c of list) {
      if ((c.Labels[LABEL.pipeline] ?? '').startsWith('lp-')) await removeContainer(engine.docker, c.Id);
    }
  }
  rmSync(root, { recursive: true, force: true });
});

const runsOf = (stateDir: string, pipeline: string) => readState(stateDir).pipelines[pipeline]?.runs ?? [];

describe.skipIf(!engine)('reconcile daemon following a branch', () => {
  it('schedules, follows changes, refuses bad commits and keeps serving the last good one', {
    timeout: 240_000,
  }, async () => {
    const origin = makeOrigin(root);
    const stateDir = join(root, 'state');
    // 1. lp-a: daily at midnight UTC, catchup from three days ago: exactly three intervals are due, oldest first.
    origin.write('lp-a', dailySpec('lp-a', `  schedule: "0 0 * * *"\n  catchup: true\n  startDate: "${day(-3)}"`));
    origin.compile();
    const c1 = origin.commit('add lp-a');
    const d = DaemonProcess.start(root, [
      '--repo',
      origin.dir,
      '--ref',
      'main',
      '--interval',
      '1s',
      '--state-dir',
      stateDir,
    ]);
    daemons.push(d);
    await until(
      () =>
        existsSync(join(stateDir, 'state.json')) &&
        runsOf(stateDir, 'lp-a').filter((r) => r.status === 'succeeded').length === 3,
      60_000,
      'lp-a catch-up',
    );
    expect(runsOf(stateDir, 'lp-a').map((r) => r.ds)).toEqual([day(-3), day(-2), day(-1)]);
    expect(d.messages()).toContain(`lp-a ds=${day(-3)} ts=${day(-3)}T00:00:00.000Z`);
    expect((await d.get('/healthz')).status).toBe(200);
    expect((await d.get('/readyz')).status).toBe(200);
    let status = await d.status();
    expect(status.lastGood?.commit).toBe(c1);
    expect(status.pipelines.map((p) => [p.name, p.nextDue])).toEqual([['lp-a', `${day(1)}T00:00:00.000Z`]]);
    const metrics = await d.get('/metrics');
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('pipewright_runs_total{pipeline="lp-a",status="succeeded"} 3');
    expect(metrics.body).toContain('pipewright_pipeline_expected_interval_seconds{pipeline="lp-a"} 86400');
    expect(metrics.body).toMatch(/pipewright_reconcile_cycles_total\{result="ok"\} [1-9]/);
    expect(metrics.body).toMatch(/pipewright_scheduler_lag_seconds\{pipeline="lp-a"\} \d/);
    expect(metrics.body).toContain('pipewright_sla_misses_total');
    const page = await d.get('/');
    expect(page.type).toMatch(/text\/html/);
    expect(page.body).toContain('lp-a');

    // 2. added (lp-b, catchup false: only the latest interval) and changed (lp-a every 6 hours, new command).
    origin.write('lp-b', dailySpec('lp-b', `  schedule: "0 0 * * *"\n  catchup: false\n  startDate: "${day(-5)}"`));
    origin.write(
      'lp-a',
      dailySpec(
        'lp-a',
        `  schedule: "0 */6 * * *"\n  catchup: true\n  startDate: "${day(-3)}"`,
        'echo "lp-a v2 ts=$PIPEWRIGHT_TS"',
      ),
    );
    origin.compile();
    const c2 = origin.commit('add lp-b, lp-a every 6 hours');
    await until(async () => (await d.status()).lastGood?.commit === c2, 30_000, 'commit 2 served');
    await until(() => runsOf(stateDir, 'lp-b').some((r) => r.status === 'succeeded'), 60_000, 'lp-b run');
    expect(runsOf(stateDir, 'lp-b').map((r) => r.ds)).toEqual([day(-1)]);
    // lp-a continues after its watermark (yesterday 00:00) on the new schedule: 06:00, 12:00, 18:00 yesterday, …
    await until(
      () => runsOf(stateDir, 'lp-a').filter((r) => r.status === 'succeeded').length >= 6,
      60_000,
      'lp-a v2 runs',
    );
    const a = runsOf(stateDir, 'lp-a');
    expect(a[3]!.start).toBe(`${day(-1)}T06:00:00.000Z`);
    expect(new Set(a.map((r) => r.start)).size).toBe(a.length); // no interval twice
    expect(
      a
        .slice(3)
        .filter((r) => r.status !== 'queued')
        .every((r) => r.commit === c2),
    ).toBe(true);
    expect(d.messages()).toContain(`lp-a v2 ts=${day(-1)}T06:00:00.000Z`);

    // 3. disabled: lp-c with due intervals never starts.
    origin.write(
      'lp-c',
      dailySpec('lp-c', `  schedule: "0 0 * * *"\n  catchup: true\n  enabled: false\n  startDate: "${day(-3)}"`),
    );
    origin.compile();
    const c3 = origin.commit('add lp-c, disabled');
    await until(async () => (await d.status()).lastGood?.commit === c3, 30_000, 'commit 3 served');
    await new Promise((r) => setTimeout(r, 2500)); // a few 1 s cycles
    expect(runsOf(stateDir, 'lp-c')).toEqual([]);
    status = await d.status();
    expect(status.pipelines.find((p) => p.name === 'lp-c')).toMatchObject({ enabled: false });
    expect(status.pipelines.find((p) => p.name === 'lp-c')?.nextDue).toBeUndefined();

    // 4. bad commits: each refused with its reason, c3 stays in service, /readyz says why.
    origin.write('lp-d', dailySpec('lp-d', '  schedule: "0 0 31 2 *"')); // a cron that never fires
    // not compiled: compile refuses the spec (PW205), so the commit carries the spec alone
    const bad1 = origin.commit('a cron that never fires');
    await until(async () => (await d.status()).refused?.commit === bad1, 30_000, 'never-firing cron refused');
    status = await d.status();
    expect(status.lastGood?.commit).toBe(c3);
    expect(status.refused!.reasons.join('\n')).toMatch(
      /never runs: day-of-month '31' does not occur in month '2'.*PW205/,
    );
    const ready = await d.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toContain(bad1.slice(0, 12));
    origin.remove('lp-d');
    origin.write('lp-a', `${dailySpec('lp-a', '  schedule: "0 */6 * * *"')}\n  oops: [unclosed\n`);
    const bad2 = origin.commit('invalid YAML');
    await until(async () => (await d.status()).refused?.commit === bad2, 30_000, 'invalid spec refused');
    expect((await d.status()).refused!.reasons.join('\n')).toMatch(/pipelines\/lp-a\.yaml:\d+:\d+: error/);
    git(origin.dir, 'checkout', '-q', c3, '--', 'pipelines');
    origin.write('lp-b', dailySpec('lp-b', `  schedule: "0 0 * * *"\n  catchup: false\n  startDate: "${day(-4)}"`)); // not compiled
    const stale = origin.commit('spec edited, generated/ not recompiled');
    await until(async () => (await d.status()).refused?.commit === stale, 30_000, 'stale generated/ refused');
    expect((await d.status()).refused!.reasons.join('\n')).toMatch(/stale: generated\/.*lp-b/);
    const afterStale = (await d.get('/metrics')).body;
    expect(afterStale).toMatch(/pipewright_generated_stale_files [1-9]/);
    expect(afterStale).toMatch(/pipewright_reconcile_errors_total\{stage="compile"\} [1-9]/);
    expect((await d.status()).lastGood?.commit).toBe(c3);
    expect(d.child.exitCode).toBeNull();

    // 5. the ref vanishes, then the remote becomes unreachable: reported, still serving c3.
    git(origin.dir, 'checkout', '-q', c3);
    git(origin.dir, 'branch', '-q', '-f', 'main', c3);
    git(origin.dir, 'branch', '-q', '-m', 'main', 'elsewhere');
    await until(
      async () => /ref 'main' does not exist/.test((await d.status()).lastCycle?.error ?? ''),
      30_000,
      'missing ref reported',
    );
    expect((await d.status()).lastGood?.commit).toBe(c3);
    git(origin.dir, 'branch', '-q', '-m', 'elsewhere', 'main');
    const moved = `${origin.dir}-away`;
    renameSync(origin.dir, moved);
    await until(
      async () => /cannot fetch/.test((await d.status()).lastCycle?.error ?? ''),
      30_000,
      'unreachable remote reported',
    );
    expect((await d.get('/readyz')).status).toBe(503);
    expect((await d.status()).lastGood?.commit).toBe(c3);
    renameSync(moved, origin.dir);
    await until(async () => (await d.get('/readyz')).status === 200, 30_000, 'recovered');

    // 6. removed: lp-b leaves the branch; its leftover container (ours) is pruned, a foreign one is not touched.
    const lpbRun = runsOf(stateDir, 'lp-b')[0]!.runId;
    const ours = await engine!.docker.createContainer({
      name: `pw-lp-b-leftover-${lpbRun}`,
      Image: 'localhost/pipewright-test:1',
      Cmd: ['true'],
      Labels: { [LABEL.managedBy]: 'pipewright', [LABEL.pipeline]: 'lp-b', [LABEL.runId]: lpbRun },
    });
    const foreign = await engine!.docker.createContainer({
      name: `lp-b-foreign-${process.pid}`,
      Image: 'localhost/pipewright-test:1',
      Cmd: ['true'],
      Labels: { [LABEL.managedBy]: 'pipewright', [LABEL.pipeline]: 'lp-b', [LABEL.runId]: '20000101-00000000' },
    });
    git(origin.dir, 'checkout', '-q', 'main');
    origin.remove('lp-b');
    origin.compile();
    const c4 = origin.commit('remove lp-b');
    await until(async () => (await d.status()).lastGood?.commit === c4, 30_000, 'commit 4 served');
    status = await d.status();
    expect(status.removed).toEqual(['lp-b']);
    expect(status.pipelines.map((p) => p.name)).toEqual(['lp-a', 'lp-c']);
    await until(async () => !(await exists(ours.id)), 20_000, 'leftover container pruned');
    expect(await exists(foreign.id)).toBe(true);
    await removeContainer(engine!.docker, foreign.id);

    // Every recorded interval ran exactly once: one run directory per entry.
    const all = Object.values(readState(stateDir).pipelines).flatMap((p) => p.runs);
    expect(
      readdirSync(join(stateDir, 'runs'))
        .filter((e) => /^\d{8}-/.test(e))
        .sort(),
    ).toEqual(all.map((r) => r.runId).sort());

    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
  });

  async function exists(id: string): Promise<boolean> {
    try {
      await engine!.docker.getContainer(id).inspect();
      return true;
    } catch {
      return false;
    }
  }
});
