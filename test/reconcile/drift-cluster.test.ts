/**
 * Drift of objects whose desired state did not change, against the real control plane (scripts/k8s-up.sh): plan reads
 * only metadata for objects verified since their last write (src/reconcile/verified.ts) and compares in full the ones
 * someone wrote — with another field manager (kubectl edit's Update) or with pipewright's own manager name (a raw
 * server-side apply that keeps the applied-hash annotation). The plan reports them as before. Skipped when no cluster
 * answers, unless CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { runCliCapture } from '../helpers/cli.js';
import {
  cleanup,
  cluster,
  clusterEnabled,
  commitAll,
  namespace,
  project,
  requireCluster,
  spec,
} from './support/cluster.js';

const cli = (cwd: string, argv: string[]) =>
  runCliCapture(argv, { cwd, env: { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME } });

async function compiled(files: Record<string, string>): Promise<string> {
  const dir = await project(files);
  const r = await cli(dir, ['compile']);
  expect(r.code, r.stderr).toBe(0);
  commitAll(dir, 'compile');
  return dir;
}

function requests(stdout: string): Record<string, number> {
  return (JSON.parse(stdout) as { requests: Record<string, number> }).requests;
}

describe.runIf(clusterEnabled)('drift of unchanged objects on the control plane', () => {
  let client: KubeClient;
  beforeAll(() => {
    client = requireCluster();
  });
  afterAll(() => cleanup(cluster.client));

  it('finds a field edited by another field manager; an edit of a field we do not set stays unchanged', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }) });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    // nothing written since our apply: only metadata is read (GETs: the namespace and the inventory)
    const quiet = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    expect(requests(quiet.stdout)).toMatchObject({ get: 2, write: 0, dryRun: 0 });

    // as `kubectl edit` does: an Update (merge patch) under another manager, of a field we set …
    await client.ok('PATCH', `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`, {
      query: { fieldManager: 'kubectl-edit' },
      contentType: 'application/merge-patch+json',
      body: { spec: { schedule: '0 7 * * *' } },
    });
    // … and of a field we do not set (a label of someone else's on the ServiceAccount)
    await client.ok('PATCH', `/api/v1/namespaces/${ns}/serviceaccounts/orders-runner`, {
      query: { fieldManager: 'kubectl-label' },
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { team: 'ops' } } },
    });
    // the schedule is now kubectl-edit's: found, and reported as a conflict as it was before (an apply would take it)
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns]);
    expect(plan.code, plan.stdout).toBe(1);
    expect(plan.stdout).toMatch(/! CronJob.batch\/orders conflicts with another field manager.*\n.*kubectl-edit/);
    expect(plan.stdout).not.toMatch(/ServiceAccount\/orders-runner/);
    const json = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    // the plan above compared the ServiceAccount in full (unchanged) and recorded it: only the CronJob is read now
    expect(requests(json.stdout)).toMatchObject({ get: 3, write: 0, dryRun: 1 });
    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--force-conflicts']);
    expect(apply.code, apply.stderr).toBe(0);
    const cron = await client.ok<{ spec: { schedule: string } }>(
      'GET',
      `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`,
    );
    expect(cron.spec.schedule).toBe('0 5 * * *');
    const after = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    expect(requests(after.stdout)).toMatchObject({ get: 2, write: 0, dryRun: 0 });
  });

  it("finds a raw server-side apply under pipewright's own manager name that keeps the applied-hash annotation", async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }) });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    const path = `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`;
    // biome-ignore lint/suspicious/noExplicitAny: an API object walked loosely
    const live = await client.ok<Record<string, any>>('GET', path);
    await client.ok('PATCH', path, {
      query: { fieldManager: 'pipewright' },
      contentType: 'application/apply-patch+yaml',
      body: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'orders', labels: live.metadata.labels, annotations: live.metadata.annotations },
        spec: { ...live.spec, schedule: '0 9 * * *' },
      },
    });
    // biome-ignore lint/suspicious/noExplicitAny: an API object walked loosely
    const edited = await client.ok<Record<string, any>>('GET', path);
    // what metadata alone shows is the same as after our apply: one manager, operation Apply, the same annotation
    expect(edited.metadata.managedFields.map((f: { manager: string; operation: string }) => f.manager)).toEqual([
      'pipewright',
    ]);
    expect(edited.metadata.annotations).toEqual(live.metadata.annotations);
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('0 to create, 1 to update, 0 to replace, 0 to prune');
    expect(plan.stdout).toContain('spec.schedule: "0 9 * * *" → "0 5 * * *"');
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    expect((await client.ok<{ spec: { schedule: string } }>('GET', path)).spec.schedule).toBe('0 5 * * *');
  });
});
