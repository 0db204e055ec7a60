/**
 * Release features on the real control plane (kwok ends each Job's pod after sim.pipewright.dev/duration with
 * sim.pipewright.dev/exit-code, docs/kubernetes-local.md): SLA misses, retention of finished Jobs by completion time,
 * dates running in parallel under spec.concurrency, and a failing quality gate (`type: check`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { dateIn } from '../../src/release/dates.js';
import { readLedger } from '../../src/runtime/ledger.js';
import { cleanup, cluster, clusterEnabled, requireCluster } from '../reconcile/support/cluster.js';
import { cli, deployed as deploy, jobs, kubeEnv, type Obj } from './support.js';

function pipeline(spec: string[], tasks: string[]): string {
  return [
    'apiVersion: pipewright.dev/v1',
    'kind: Pipeline',
    'metadata: {name: feat, version: 1.0.0, owner: data}',
    'spec:',
    ...spec,
    '  defaults: {image: "busybox:1.36", retries: 0, timeout: 1m}',
    '  tasks:',
    ...tasks,
    '',
  ].join('\n');
}

const deployed = (client: KubeClient, spec: string, sim: Record<string, Record<string, string>> = {}) =>
  deploy(client, 'feat', spec, { sim, prefix: 'kfinish' });

const ledger = (dir: string) => readLedger(join(dir, '.pipewright/ledger.jsonl'));

/** The built CLI as a child process (the test watches the ledger while it runs). */
function cliProcess(cwd: string, argv: string[]) {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../dist/cli.js'), ...argv], {
    cwd,
    env: { ...kubeEnv(), PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d) => {
    text += d;
  });
  child.stderr.on('data', (d) => {
    text += d;
  });
  return {
    get exitCode() {
      return child.exitCode;
    },
    output: () => text,
    done: new Promise<number | null>((r) => child.on('close', (code) => r(code))),
  };
}

describe.runIf(clusterEnabled)('release features on the control plane', () => {
  let client: KubeClient;
  beforeAll(() => {
    client = requireCluster();
  });
  afterAll(() => cleanup(cluster.client));

  it('records an SLA miss: a scheduled run not succeeded by its tick + sla is in the ledger, the run record and `runs`', async () => {
    // Daily at 00:00 UTC with a 1 s SLA: today's run, started now, cannot be done by 00:00:01.
    const spec = pipeline(
      ['  schedule: "0 0 * * *"', '  timezone: UTC', '  sla: 1s'],
      ['    a: {command: [echo, a]}', '    b: {command: [echo, b], needs: [a]}'],
    );
    const { ns, dir } = await deployed(client, spec);
    const today = dateIn(new Date(), 'UTC');
    const r = await cli(dir, ['release', 'feat', '--namespace', ns, '--scheduled']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`[release] » SLA missed: feat ${today} finished `);
    expect(r.stdout).toContain(`due by ${today}T00:00:01.000Z`);
    const misses = ledger(dir).filter((x) => x.action === 'run.sla_miss');
    expect(misses).toEqual([
      expect.objectContaining({
        pipeline: 'feat',
        result: 'missed',
        // due long before the run started: reported when it started, while running (the record has the end)
        details: expect.objectContaining({ logicalDate: today, slaSeconds: 1, status: 'running' }),
      }),
    ]);
    const runs = JSON.parse((await cli(dir, ['runs', '--format', 'json'])).stdout);
    expect(runs).toEqual([
      expect.objectContaining({
        logicalDate: today,
        status: 'succeeded',
        slaMissed: { dueBy: `${today}T00:00:01.000Z` },
      }),
    ]);
    const text = (await cli(dir, ['runs'])).stdout;
    expect(text).toMatch(new RegExp(`succeeded .* missed \\(due ${today}T00:00:01Z\\)`));

    // The same pipeline with a 2-day SLA: no miss recorded, `runs` shows none.
    const ok = await deployed(client, spec.replace('sla: 1s', 'sla: 2d'));
    expect((await cli(ok.dir, ['release', 'feat', '--namespace', ok.ns, '--scheduled'])).code).toBe(0);
    expect(ledger(ok.dir).filter((x) => x.action === 'run.sla_miss')).toEqual([]);
    expect(JSON.parse((await cli(ok.dir, ['runs', '--format', 'json'])).stdout)[0].slaMissed).toBeNull();
  });

  it('a failed scheduled run past its due time is an SLA miss too', async () => {
    const spec = pipeline(['  schedule: "0 0 * * *"', '  timezone: UTC', '  sla: 1s'], ['    a: {command: [echo, a]}']);
    const { ns, dir } = await deployed(client, spec, { a: { 'sim.pipewright.dev/exit-code': '4' } });
    const r = await cli(dir, ['release', 'feat', '--namespace', ns, '--scheduled']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/SLA missed: feat \S+ failed, due by/);
    expect(
      ledger(dir)
        .filter((x) => x.action === 'run.sla_miss')
        .map((x) => x.details),
    ).toEqual([expect.objectContaining({ status: 'running' })]);
  });

  it('reports an SLA miss while the run is still going: when tick + sla passes, not when the run ends', async () => {
    // Daily at 00:00 UTC; the SLA ends 25 s from now, and task a runs 45 s (kwok ends its pod after the annotation's
    // duration), so the due time passes in the middle of the run.
    let now = new Date();
    if (now.getUTCHours() === 23 && now.getUTCMinutes() >= 58) {
      // too close to midnight for today's tick: wait for tomorrow's
      await new Promise((r) => setTimeout(r, 24 * 60 * 60 * 1000 - (now.getTime() % (24 * 60 * 60 * 1000)) + 1000));
      now = new Date();
    }
    const slaSeconds = Math.floor((now.getTime() % (24 * 60 * 60 * 1000)) / 1000) + 25;
    const spec = pipeline(
      ['  schedule: "0 0 * * *"', '  timezone: UTC', `  sla: ${slaSeconds}s`],
      ['    a: {command: [echo, a]}', '    b: {command: [echo, b], needs: [a]}'],
    );
    const { ns, dir } = await deployed(client, spec, { a: { 'sim.pipewright.dev/duration': '45s' } });
    const today = dateIn(now, 'UTC');
    const dueBy = Date.parse(`${today}T00:00:00Z`) + slaSeconds * 1000;
    expect(Date.now(), 'deploying took longer than the SLA margin').toBeLessThan(dueBy);
    const release = cliProcess(dir, ['release', 'feat', '--namespace', ns, '--scheduled']);
    const misses = () =>
      existsSync(join(dir, '.pipewright/ledger.jsonl')) ? ledger(dir).filter((x) => x.action === 'run.sla_miss') : [];
    // The miss is in the ledger while the release is still running (task a has ~20 s to go).
    while (misses().length === 0) {
      expect(release.exitCode, release.output()).toBeNull();
      await new Promise((r) => setTimeout(r, 250));
    }
    const seen = Date.now();
    expect(release.exitCode, 'the release ended before the miss was recorded').toBeNull();
    expect(seen).toBeGreaterThanOrEqual(dueBy);
    expect(misses()).toEqual([
      expect.objectContaining({
        pipeline: 'feat',
        result: 'missed',
        details: expect.objectContaining({
          logicalDate: today,
          slaSeconds,
          status: 'running',
          dueBy: new Date(dueBy).toISOString(),
        }),
      }),
    ]);
    const detectedAt = Date.parse(misses()[0]!.details.detectedAt as string);
    expect(detectedAt).toBeGreaterThanOrEqual(dueBy);
    expect(detectedAt - dueBy).toBeLessThan(5000);
    expect(release.output()).toContain(`SLA missed: feat ${today} is running at `);
    const code = await release.done;
    expect(code, release.output()).toBe(0);
    // Still one event; the run record has the final status.
    expect(misses()).toHaveLength(1);
    const runs = JSON.parse((await cli(dir, ['runs', '--format', 'json'])).stdout);
    expect(runs).toEqual([
      expect.objectContaining({ status: 'succeeded', slaMissed: { dueBy: new Date(dueBy).toISOString() } }),
    ]);
  }, 240_000);

  it('retention deletes Jobs that finished longer ago than --retention (by completion time) and keeps the rest', async () => {
    const spec = pipeline([], ['    a: {command: [echo, a]}', '    b: {command: [echo, b], needs: [a]}']);
    const { ns, dir } = await deployed(client, spec);
    const first = await cli(dir, [
      'release',
      'feat',
      '--namespace',
      ns,
      '--date',
      '2024-02-01',
      '--retention-days',
      '0',
    ]);
    expect(first.code, first.stdout).toBe(0);
    expect((await jobs(client, ns)).map((j) => j.metadata.labels['pipewright.dev/logical-date'])).toEqual([
      '2024-02-01',
      '2024-02-01',
    ]);
    // Let the first date's Jobs age past a 6 s retention; the second date's Jobs finish within it.
    await new Promise((r) => setTimeout(r, 7000));
    const second = await cli(dir, ['release', 'feat', '--namespace', ns, '--date', '2024-02-02', '--retention', '6s']);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toMatch(/\[retention\s*\] » retention: deleted 2 Jobs finished before /);
    // Background deletion: the Jobs carry a deletionTimestamp at once and disappear shortly after.
    const deadline = Date.now() + 20_000;
    let left: Obj[] = await jobs(client, ns);
    while (
      left.some((j) => j.metadata.labels['pipewright.dev/logical-date'] === '2024-02-01') &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 500));
      left = await jobs(client, ns);
    }
    expect(left.map((j) => j.metadata.labels['pipewright.dev/logical-date'])).toEqual(['2024-02-02', '2024-02-02']);
    expect(left.every((j) => j.status.completionTime)).toBe(true);
    // Usage errors are positioned and exit 2.
    const bad = await cli(dir, ['release', 'feat', '--namespace', ns, '--date', '2024-02-02', '--retention', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--retention must be a duration such as 30s, 12h or 7d (got 'soon')");
  }, 60_000);

  it('runs two dates in parallel under spec.concurrency: 2, one at a time with concurrency 1', async () => {
    const tasks = ['    a: {command: [echo, a]}'];
    const sim = { a: { 'sim.pipewright.dev/duration': '4s' } };
    const overlapOf = async (ns: string) => {
      const [d1, d2] = (await jobs(client, ns)) as [Obj, Obj];
      expect([d1, d2].map((j) => j.metadata.labels['pipewright.dev/logical-date'])).toEqual([
        '2024-03-01',
        '2024-03-02',
      ]);
      // The later date's Job was created before the earlier one completed: they ran at the same time.
      return Date.parse(d2.metadata.creationTimestamp) < Date.parse(d1.status.completionTime);
    };
    const par = await deployed(client, pipeline(['  concurrency: 2'], tasks), sim);
    const r = await cli(par.dir, ['release', 'feat', '--namespace', par.ns, '--backfill', '2024-03-01..2024-03-02']);
    expect(r.code, r.stdout).toBe(0);
    expect(await overlapOf(par.ns)).toBe(true);

    const seq = await deployed(client, pipeline(['  concurrency: 1'], tasks), sim);
    const s = await cli(seq.dir, ['release', 'feat', '--namespace', seq.ns, '--backfill', '2024-03-01..2024-03-02']);
    expect(s.code, s.stdout).toBe(0);
    expect(await overlapOf(seq.ns)).toBe(false);
  }, 60_000);

  it('a failing quality gate (type: check) blocks its dependants with upstream_failed and says so', async () => {
    const spec = pipeline(
      [],
      [
        '    load: {command: [echo, load]}',
        '    rows-check: {type: check, command: [echo, check], needs: [load]}',
        '    publish: {command: [echo, publish], needs: [rows-check]}',
        '    report: {command: [echo, report], needs: [publish]}',
      ],
    );
    const { ns, dir } = await deployed(client, spec, { 'rows-check': { 'sim.pipewright.dev/exit-code': '1' } });
    const r = await cli(dir, ['release', 'feat', '--namespace', ns, '--date', '2024-04-01']);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/\[rows-check\s*\] » quality gate failed: downstream tasks are blocked/);
    expect(r.stdout).toMatch(/rows-check\s+failed \(quality gate\)\s+1\s+1/);
    expect(r.stdout).toMatch(/publish\s+upstream_failed\s+0/);
    expect(r.stdout).toContain('failed (quality gate failed: rows-check; 2 blocked upstream)');
    const json = await cli(dir, ['release', 'feat', '--namespace', ns, '--date', '2024-04-02', '--format', 'json']);
    const byId = Object.fromEntries(JSON.parse(json.stdout)[0].tasks.map((t: Obj) => [t.id, t.status]));
    expect(byId).toEqual({
      load: 'succeeded',
      'rows-check': 'failed',
      publish: 'upstream_failed',
      report: 'upstream_failed',
    });
    const names = (await jobs(client, ns)).map((j) => j.metadata.name);
    expect(names.some((n) => n.startsWith('feat-publish-') || n.startsWith('feat-report-'))).toBe(false);
    const finish = ledger(dir).filter((x) => x.action === 'run.finish');
    expect(finish.map((x) => x.result)).toEqual(['failed', 'failed']);
  });
});
