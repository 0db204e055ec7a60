/**
 * plan/apply against the real control plane (scripts/k8s-up.sh): create, idempotence (zero writes), update with a
 * field diff, replace, prune, --allow-empty, foreign, conflict, crash recovery, the bad-input errors, and drift of
 * unchanged objects (another field manager's edit, a raw apply under pipewright's own manager name). Each test
 * works in its own namespace. Skipped when no cluster answers, unless CI=true.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import { readLedger } from '../../src/runtime/ledger.js';
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

const env = () => ({ KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME });
const cli = (cwd: string, argv: string[], extraEnv: Record<string, string | undefined> = {}) =>
  runCliCapture(argv, { cwd, env: { ...env(), ...extraEnv } });

async function compiled(files: Record<string, string>): Promise<string> {
  const dir = await project(files);
  const r = await cli(dir, ['compile']);
  expect(r.code, r.stderr).toBe(0);
  commitAll(dir, 'compile');
  return dir;
}

async function recompile(dir: string, path: string, text: string | undefined): Promise<void> {
  if (text === undefined) {
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, path));
  } else writeFileSync(join(dir, path), text);
  const r = await cli(dir, ['compile']);
  expect(r.code, r.stderr).toBe(0);
  commitAll(dir);
}

function json(stdout: string) {
  return JSON.parse(stdout) as {
    summary: Record<string, number>;
    requests: Record<string, number>;
    actions: { action: string; kind: string; name: string; changes: { path: string }[]; reason: string | null }[];
    applied?: boolean;
  };
}

async function getObject(client: KubeClient, path: string) {
  // biome-ignore lint/suspicious/noExplicitAny: API objects are walked loosely in assertions
  return client.ok<Record<string, any>>('GET', path);
}

describe.runIf(clusterEnabled)('plan and apply on the control plane', () => {
  let client: KubeClient;
  beforeAll(() => {
    client = requireCluster();
  });
  afterAll(() => cleanup(cluster.client));

  it('creates in order, records each action in the ledger, and a second apply makes zero write calls', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }) });
    const commit = commitAll(dir);
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns, '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan for namespace');
    expect(plan.stdout).toContain('5 to create, 0 to update, 0 to replace, 0 to prune');
    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Apply complete: 5 created');
    const cm = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/orders-plan`);
    expect(cm.metadata.managedFields.map((f: { manager: string }) => f.manager)).toEqual(['pipewright']);
    const inventory = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/pipewright-inventory`);
    expect(inventory.data.objects.trim().split('\n')).toHaveLength(5);
    const ledger = readLedger(join(dir, '.pipewright/ledger.jsonl'));
    expect(ledger.map((r) => r.action)).toEqual(['k8s.create', 'k8s.create', 'k8s.create', 'k8s.create', 'k8s.create']);
    expect(
      ledger.every((r) => r.commit === commit && /^[0-9a-f]{64}$/.test(r.specHash) && r.pipeline === 'orders'),
    ).toBe(true);

    const again = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    const result = json(again.stdout);
    expect(result.summary.unchanged).toBe(5);
    expect(result.requests).toMatchObject({ write: 0, dryRun: 0 });
    expect(result.applied).toBe(false);
    const quiet = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns, '--detailed-exitcode']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain('No changes.');
  });

  it('updates one object for a one-task edit, with a field-level diff of the template lines', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }) });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    await recompile(
      dir,
      'pipelines/orders.yaml',
      spec('orders', { schedule: '0 5 * * *' }).replace('command: [echo, load,', 'command: [echo, LOAD,'),
    );
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    const result = json(plan.stdout);
    expect(result.summary).toMatchObject({ update: 1, unchanged: 4, create: 0 });
    const update = result.actions.find((a) => a.action === 'update')!;
    expect(update).toMatchObject({ kind: 'ConfigMap', name: 'orders-plan' });
    expect(update.changes.map((c) => c.path)).toEqual(['data["pipeline.yaml"]', 'data["task.load.yaml"]']);
    const text = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns]);
    expect(text.stdout).toMatch(/-\s+- load\n.*\+\s+- LOAD/s);
    const md = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns, '--format', 'markdown']);
    expect(md.stdout).toContain('<details><summary>update <code>ConfigMap/orders-plan</code></summary>');
    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    expect(json(apply.stdout).requests.write).toBe(1);
  });

  it('refuses a stale generated/k8s like run does', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders') });
    writeFileSync(join(dir, 'pipelines/orders.yaml'), spec('orders', { version: '1.0.1' }));
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('generated/k8s is not what `pipewright compile` writes for the specs now');
    expect(plan.stderr).toContain('stale    generated/k8s/orders.yaml');
  });

  it('prunes what is no longer generated, last, in reverse apply order', async () => {
    const ns = await namespace(client);
    const dir = await compiled({
      'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }),
      'pipelines/users.yaml': spec('users'),
    });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    await recompile(dir, 'pipelines/orders.yaml', undefined);
    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns]);
    expect(apply.code, apply.stderr).toBe(0);
    const lines = apply.stdout.split('\n');
    expect(lines.filter((l) => l.includes('will be pruned')).map((l) => l.trim().split(' ')[1])).toEqual([
      'CronJob.batch/orders',
      'ConfigMap/orders-plan',
      'RoleBinding.rbac.authorization.k8s.io/orders-runner',
      'Role.rbac.authorization.k8s.io/orders-runner',
      'ServiceAccount/orders-runner',
    ]);
    expect((await client.request('GET', `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`)).status).toBe(404);
    const inventory = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/pipewright-inventory`);
    expect(inventory.data.objects).not.toContain('orders');

    // Removing the last spec leaves nothing to compile: apply stops before it could prune everything.
    await recompile(dir, 'pipelines/orders.yaml', spec('orders'));
    const rmAll = (await import('node:fs')).rmSync;
    rmAll(join(dir, 'pipelines'), { recursive: true });
    const none = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^pipewright: .*pipelines/);
    expect((await client.request('GET', `/api/v1/namespaces/${ns}/configmaps/users-plan`)).status).toBe(200);
  });

  it('refuses to prune everything when no spec is left; --allow-empty prunes all of ours and nothing foreign', async () => {
    const ns = await namespace(client);
    const dir = await compiled({
      'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }),
      'pipelines/users.yaml': spec('users'),
    });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    // orders: 5 objects (with its CronJob), users: 4 (no schedule). Two objects that are not ours: one unlabelled, one labelled as pipewright's but in no inventory.
    for (const [name, labels] of [
      ['their-config', { team: 'other' }],
      ['hand-made', { 'app.kubernetes.io/managed-by': 'pipewright' }],
    ] as const) {
      await client.ok('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { keep: 'me' } },
      });
    }
    const ours = [
      `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`,
      `/api/v1/namespaces/${ns}/configmaps/orders-plan`,
      `/api/v1/namespaces/${ns}/configmaps/users-plan`,
      `/api/v1/namespaces/${ns}/serviceaccounts/orders-runner`,
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/users-runner`,
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/orders-runner`,
    ];
    const statuses = async (paths: string[]) =>
      Promise.all(paths.map(async (p) => (await client.request('GET', p)).status));

    // Every spec removed (the directory stays), generated/ removed with them: nothing is desired.
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'pipelines/orders.yaml'));
    rmSync(join(dir, 'pipelines/users.yaml'));
    writeFileSync(join(dir, 'pipelines/.gitkeep'), '');
    rmSync(join(dir, 'generated'), { recursive: true });
    commitAll(dir, 'remove every pipeline');
    for (const verb of ['plan', 'apply']) {
      const refused = await cli(dir, [verb, '--target', 'kubernetes', '--namespace', ns]);
      expect(refused.code, refused.stdout + refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(
        /^pipewright: no \*\.yaml or \*\.yml files in pipelines: nothing would be desired, so every object pipewright owns in the namespace would be pruned; nothing was changed \(pass --allow-empty/,
      );
    }
    expect(await statuses(ours)).toEqual(ours.map(() => 200));

    const plan = await cli(dir, [
      'plan',
      '--target',
      'kubernetes',
      '--namespace',
      ns,
      '--allow-empty',
      '--format',
      'json',
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(json(plan.stdout).summary).toMatchObject({ create: 0, update: 0, prune: 9, foreign: 0 });
    expect(await statuses(ours)).toEqual(ours.map(() => 200));

    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--allow-empty']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout.split('\n').filter((l) => l.includes('will be pruned'))).toHaveLength(9);
    expect(await statuses(ours)).toEqual(ours.map(() => 404));
    const inventory = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/pipewright-inventory`);
    expect(inventory.data?.objects ?? '').toBe('');
    for (const name of ['their-config', 'hand-made']) {
      const kept = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/${name}`);
      expect(kept.data).toEqual({ keep: 'me' });
    }
    const ledger = readFileSync(join(dir, '.pipewright/ledger.jsonl'), 'utf8');
    expect(ledger.split('\n').filter((l) => l.includes('"k8s.prune"'))).toHaveLength(9);

    // A Kubernetes tree left behind without specs is refused even with --allow-empty: it cannot be reviewed as empty.
    mkdirSync(join(dir, 'generated/k8s'), { recursive: true });
    writeFileSync(join(dir, 'generated/k8s/orders.yaml'), 'apiVersion: v1\n');
    const stale = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--allow-empty']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      'but generated/k8s still holds 1 generated file (orders.yaml): remove generated/k8s',
    );
  });

  it('refuses a name taken by a foreign object and touches nothing (no inventory either)', async () => {
    const ns = await namespace(client);
    await client.ok('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'orders-plan', labels: { team: 'other' } },
        data: { mine: 'yes' },
      },
    });
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders') });
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(
      /! ConfigMap\/orders-plan is not ours: refused.*\n.*already exists in namespace .* and is not pipewright's/,
    );
    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('nothing applied: 1 object blocked the plan (foreign');
    expect((await client.request('GET', `/api/v1/namespaces/${ns}/configmaps/pipewright-inventory`)).status).toBe(404);
    expect((await client.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/orders-runner`)).status).toBe(404);
    const foreign = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/orders-plan`);
    expect(foreign.data).toEqual({ mine: 'yes' });
  });

  it('reports a field another manager owns as a conflict; --force-conflicts takes it over', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }) });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    // Someone else takes the schedule with their own server-side apply.
    await client.ok('PATCH', `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`, {
      query: { fieldManager: 'ops-team', force: 'true' },
      contentType: 'application/apply-patch+yaml',
      body: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'orders' }, spec: { schedule: '0 7 * * *' } },
    });
    await recompile(dir, 'pipelines/orders.yaml', spec('orders', { schedule: '0 6 * * *' }));
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(/! CronJob.batch\/orders conflicts with another field manager.*\n.*ops-team/);
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(1);
    const forced = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--force-conflicts']);
    expect(forced.code, forced.stderr).toBe(0);
    const cron = await getObject(client, `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`);
    expect(cron.spec.schedule).toBe('0 6 * * *');
  });

  it('replaces an object whose immutable field differs (RoleBinding roleRef): deleted, then created', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders') });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    const path = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/orders-runner`;
    const old = await getObject(client, path);
    await client.ok('DELETE', path);
    // As an older pipewright would have applied it (same field manager), with another roleRef.
    await client.ok('PATCH', path, {
      query: { fieldManager: 'pipewright' },
      contentType: 'application/apply-patch+yaml',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'orders-runner', labels: old.metadata.labels, annotations: old.metadata.annotations },
        roleRef: { ...old.roleRef, name: 'something-else' },
        subjects: old.subjects,
      },
    });
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns]);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toMatch(/-\/\+ RoleBinding.rbac.authorization.k8s.io\/orders-runner must be replaced/);
    expect(plan.stdout).toContain('roleRef.name: "something-else" → "orders-runner"');
    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns]);
    expect(apply.code, apply.stderr).toBe(0);
    expect((await getObject(client, path)).roleRef.name).toBe('orders-runner');
  });

  it('recovers from a crash between two actions: inventory and cluster agree after the next apply', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders'), 'pipelines/users.yaml': spec('users') });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    // As if an apply died after writing the inventory (inventory first) but before creating users' run plan,
    // and a prune died after deleting orders' ServiceAccount but before updating the inventory.
    await client.ok('DELETE', `/api/v1/namespaces/${ns}/configmaps/users-plan`);
    await recompile(dir, 'pipelines/orders.yaml', undefined);
    await client.ok('DELETE', `/api/v1/namespaces/${ns}/serviceaccounts/orders-runner`);
    const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    const actions = json(plan.stdout)
      .actions.filter((a) => a.action !== 'unchanged')
      .map((a) => `${a.action} ${a.kind}/${a.name}`);
    expect(actions).toEqual([
      'create ConfigMap/users-plan',
      'prune ConfigMap/orders-plan',
      'prune RoleBinding/orders-runner',
      'prune Role/orders-runner',
      'forget ServiceAccount/orders-runner',
    ]);
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    const inventory = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/pipewright-inventory`);
    expect(inventory.data.objects).toBe(
      'core/ConfigMap/users-plan\ncore/ServiceAccount/users-runner\nrbac.authorization.k8s.io/Role/users-runner\nrbac.authorization.k8s.io/RoleBinding/users-runner\n',
    );
    const after = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    expect(json(after.stdout).requests.write).toBe(0);
  });

  it('bad input: no kubeconfig, unreachable server, missing namespace, RBAC forbidden — clear errors, exit 1', async () => {
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders') });
    const none = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', 'x'], {
      KUBECONFIG: join(dir, 'nope'),
      HOME: dir,
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no kubeconfig found \(looked at .*nope from KUBECONFIG\)/);
    const config = readFileSync(process.env.KUBECONFIG!, 'utf8');
    writeFileSync(join(dir, 'down.kubeconfig'), config.replace(/server: .*/, 'server: https://127.0.0.1:9'));
    const down = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', 'x'], {
      KUBECONFIG: join(dir, 'down.kubeconfig'),
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the Kubernetes API server at https:\/\/127.0.0.1:9 .*ECONNREFUSED/);
    const missing = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', 'kapply-does-not-exist']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('namespace kapply-does-not-exist does not exist');
    // A service account without any role: everything it asks is forbidden.
    const ns = await namespace(client);
    await client.ok('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { metadata: { name: 'nobody' } } });
    const token = await client.ok<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/serviceaccounts/nobody/token`,
      {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
      },
    );
    const limited = parse(config);
    limited.users = [{ name: 'nobody', user: { token: token.status.token } }];
    for (const c of limited.contexts) c.context.user = 'nobody';
    writeFileSync(join(dir, 'nobody.kubeconfig'), stringify(limited));
    const forbidden = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns], {
      KUBECONFIG: join(dir, 'nobody.kubeconfig'),
    });
    expect(forbidden.code, forbidden.stdout).toBe(1);
    expect(forbidden.stderr).toMatch(/forbidden by RBAC/);
    expect(forbidden.stderr).not.toContain(token.status.token);
    const usage = await cli(dir, ['plan', '--target', 'gitlab', '--detailed-exitcode']);
    expect(usage.code).toBe(1);
    expect((await cli(dir, ['plan', '--target', 'gitlab'])).code).toBe(2);
  });

  // Drift of unchanged objects: plan reads only metadata for objects verified since their last write
  // (src/reconcile/verified.ts) and compares in full the ones someone wrote, whatever the field manager.
  it('finds a field edited by another field manager; an edit of a field we do not set stays unchanged', async () => {
    const ns = await namespace(client);
    const dir = await compiled({ 'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }) });
    expect((await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns])).code).toBe(0);
    // nothing written since our apply: only metadata is read (GETs: the namespace and the inventory)
    const quiet = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    expect(json(quiet.stdout).requests).toMatchObject({ get: 2, write: 0, dryRun: 0 });

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
    const planJson = await cli(dir, ['plan', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    // the plan above compared the ServiceAccount in full (unchanged) and recorded it: only the CronJob is read now
    expect(json(planJson.stdout).requests).toMatchObject({ get: 3, write: 0, dryRun: 1 });
    const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--force-conflicts']);
    expect(apply.code, apply.stderr).toBe(0);
    const cron = await client.ok<{ spec: { schedule: string } }>(
      'GET',
      `/apis/batch/v1/namespaces/${ns}/cronjobs/orders`,
    );
    expect(cron.spec.schedule).toBe('0 5 * * *');
    const after = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns, '--format', 'json']);
    expect(json(after.stdout).requests).toMatchObject({ get: 2, write: 0, dryRun: 0 });
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
