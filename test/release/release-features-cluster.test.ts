/**
 * Release features on the real control plane (kwok ends each Job's pod after sim.pipewright.dev/duration with
 * sim.pipewright.dev/exit-code, docs/kubernetes-local.md): SLA misses, retention of finished Jobs by completion time,
 * dates running in parallel under spec.concurrency, and a failing quality gate (`type: check`).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { dateIn } from '../../src/release/dates.js';
import { readLedger } from '../../src/runtime/ledger.js';
import { cleanup, cluster, clusterEnabled, requireCluster } from '../reconcile/support/cluster.js';
import { cli, deployed as deploy, jobs, type Obj } from './support.js';

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
        details: expect.objectContaining({ logicalDate: today, slaSeconds: 1, status: 'succeeded' }),
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
    expect(ledger(dir).find((x) => x.action === 'run.sla_miss')?.details).toMatchObject({ status: 'failed' });
  });

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
