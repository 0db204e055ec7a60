/**
 * `pipewright reconcile --target kubernetes` as a real process, following a real git repository, against the real
 * control plane (scripts/k8s-up.sh): the first good commit is applied, a commit that changes one pipeline updates
 * exactly one object, a removed pipeline is pruned; plan counts in /status.json, actions in /metrics and the
 * ledger. Skipped when no cluster answers, unless CI=true.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { readLedger } from '../../src/runtime/ledger.js';
import { cleanup, cluster, clusterEnabled, namespace, requireCluster, spec } from '../reconcile/support/cluster.js';
import { DaemonProcess, makeOrigin, tempRoot, until } from './support.js';

const daemons: DaemonProcess[] = [];

async function cronJobs(client: KubeClient, ns: string): Promise<Record<string, string>> {
  const list = await client.ok<{ items: { metadata: { name: string }; spec: { schedule: string } }[] }>(
    'GET',
    `/apis/batch/v1/namespaces/${ns}/cronjobs`,
  );
  return Object.fromEntries(list.items.map((c) => [c.metadata.name, c.spec.schedule]));
}

describe.runIf(clusterEnabled)('reconcile --target kubernetes on the control plane', () => {
  let client: KubeClient;
  beforeAll(() => {
    client = requireCluster();
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  });
  afterAll(() => cleanup(cluster.client));

  it('applies the followed commit, updates the one changed object, prunes a removed pipeline', async () => {
    const ns = await namespace(client);
    const root = tempRoot('pw-loopk-');
    const origin = makeOrigin(root);
    origin.write('orders', spec('orders', { schedule: '0 5 * * *' }));
    origin.write('events', spec('events', { schedule: '0 7 * * *' }));
    origin.compile();
    const c1 = origin.commit('two pipelines');
    const stateDir = join(root, 'state');
    const ledger = () => readLedger(join(stateDir, 'ledger.jsonl'));
    const d = DaemonProcess.start(root, [
      '--repo',
      origin.dir,
      '--ref',
      'main',
      '--interval',
      '1s',
      '--target',
      'kubernetes',
      '--namespace',
      ns,
      '--state-dir',
      stateDir,
    ]);
    daemons.push(d);

    // 1. the first good commit is applied; the next cycle finds nothing to change
    await until(
      async () => {
        const s = await d.status();
        return s.lastCycle?.ok === true && s.lastCycle.commit === c1 && ledger().some((r) => r.commit === c1);
      },
      60_000,
      'the first commit to be applied',
    );
    const created = ledger().filter((r) => r.commit === c1);
    expect(created.length).toBeGreaterThan(0);
    expect(created.every((r) => r.action === 'k8s.create' && r.result === 'ok')).toBe(true);
    const jobs1 = await cronJobs(client, ns);
    expect(Object.values(jobs1).sort()).toEqual(['0 5 * * *', '0 7 * * *']);
    await until(
      async () => {
        const k = (await d.status()).kubernetes as { plan?: Record<string, number>; applied?: boolean };
        return k.applied === false && k.plan?.unchanged === created.length;
      },
      30_000,
      'a no-op plan over everything applied',
    );
    const quiet = (await d.status()).kubernetes as Record<string, unknown>;
    expect(quiet).toMatchObject({ namespace: ns, commit: c1, plan: { create: 0, update: 0, prune: 0 } });
    expect(quiet.error).toBeUndefined();

    // 2. one pipeline's task graph changes (load no longer waits for extract): its plan ConfigMap is the one
    // object updated, nothing else is written
    origin.write('orders', spec('orders', { schedule: '0 5 * * *', tasks: { extract: [], load: [] } }));
    origin.compile();
    const c2 = origin.commit('orders: load and extract in parallel');
    await until(
      async () => (await d.status()).lastCycle?.commit === c2 && ledger().some((r) => r.commit === c2),
      60_000,
      'the change to be applied',
    );
    const updated = ledger().filter((r) => r.commit === c2);
    expect(updated.map((r) => [r.action, r.pipeline, r.details?.kind, r.result])).toEqual([
      ['k8s.update', 'orders', 'ConfigMap', 'ok'],
    ]);

    // 3. a removed pipeline is pruned
    origin.remove('events');
    origin.compile();
    const c3 = origin.commit('drop events');
    await until(
      async () => (await d.status()).lastCycle?.commit === c3 && ledger().some((r) => r.commit === c3),
      60_000,
      'the removal to be applied',
    );
    await until(
      async () => ((await d.status()).kubernetes as { plan?: { prune: number } }).plan?.prune === 0,
      30_000,
      'a plan with nothing left to prune',
    );
    const pruned = ledger().filter((r) => r.commit === c3);
    expect(pruned.length).toBeGreaterThan(0);
    expect(pruned.every((r) => r.action === 'k8s.prune' && r.pipeline === 'events' && r.result === 'ok')).toBe(true);
    expect(Object.values(await cronJobs(client, ns))).toEqual(['0 5 * * *']);

    const metrics = (await d.get('/metrics')).body;
    expect(metrics).toMatch(/pipewright_apply_actions_total\{target="kubernetes",kind="ConfigMap",action="update"\} 1/);
    expect(metrics).toMatch(/pipewright_apply_actions_total\{target="kubernetes",kind="CronJob",action="prune"\} 1/);
    const status = await d.status();
    expect(status.target).toBe('kubernetes');
    expect(status.lastGood?.commit).toBe(c3);
  }, 240_000);

  it('a plan apply would refuse fails the cycle (stage plan) and is retried until the cluster allows it', async () => {
    const ns = await namespace(client);
    // a ConfigMap with the name of the pipeline's plan, not labelled as pipewright's
    await client.ok('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders-plan' }, data: { mine: 'yes' } },
    });
    const root = tempRoot('pw-loopk-');
    const origin = makeOrigin(root);
    origin.write('orders', spec('orders', { schedule: '0 5 * * *' }));
    origin.compile();
    const c1 = origin.commit('orders');
    const stateDir = join(root, 'state');
    const d = DaemonProcess.start(root, [
      '--repo',
      origin.dir,
      '--interval',
      '1s',
      '--target',
      'k8s',
      '--namespace',
      ns,
      '--state-dir',
      stateDir,
    ]);
    daemons.push(d);
    await until(async () => (await d.status()).lastCycle !== undefined, 60_000, 'a first cycle');
    const failed = await d.status();
    expect(failed.lastCycle).toMatchObject({ ok: false, stage: 'plan', commit: c1 });
    expect(failed.lastCycle?.error).toContain('foreign');
    expect(failed.lastGood?.commit).toBe(c1);
    expect(failed.kubernetes).toMatchObject({ namespace: ns, applied: false, error: { stage: 'plan' } });
    expect((await d.get('/readyz')).status).toBe(503);
    expect(readLedger(join(stateDir, 'ledger.jsonl'))).toEqual([]);
    expect(await d.get('/metrics').then((r) => r.body)).toMatch(
      /pipewright_reconcile_errors_total\{stage="plan"\} [1-9]/,
    );
    const foreign = await client.ok<{ data: Record<string, string> }>(
      'GET',
      `/api/v1/namespaces/${ns}/configmaps/orders-plan`,
    );
    expect(foreign.data).toEqual({ mine: 'yes' });

    await client.ok('DELETE', `/api/v1/namespaces/${ns}/configmaps/orders-plan`);
    await until(async () => (await d.get('/readyz')).status === 200, 60_000, 'a cycle that applies');
    expect(Object.values(await cronJobs(client, ns))).toEqual(['0 5 * * *']);
    expect(((await d.status()).kubernetes as { error?: unknown }).error).toBeUndefined();
  }, 180_000);
});
