/**
 * `pipewright release` on the real control plane: kwok ends each Job's pod after sim.pipewright.dev/duration with
 * sim.pipewright.dev/exit-code (docs/kubernetes-local.md), set here on the task templates of the applied run plan.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import { dateIn } from '../../src/release/dates.js';
import { readLedger } from '../../src/runtime/ledger.js';
import { runCliCapture } from '../helpers/cli.js';
import { cleanup, cluster, clusterEnabled, namespace, project, requireCluster } from '../reconcile/support/cluster.js';
import { cli, deployed as deploy, kubeEnv as env, jobs, type Obj } from './support.js';

function fanSpec(extra: string[] = [], defaults = 'retries: 1, retryDelay: 1s, timeout: 1m'): string {
  return [
    'apiVersion: pipewright.dev/v1',
    'kind: Pipeline',
    'metadata: {name: fan, version: 1.0.0, owner: data}',
    'spec:',
    ...extra,
    `  defaults: {image: "busybox:1.36", ${defaults}}`,
    '  tasks:',
    '    a: {command: [echo, "{{ ds }}"]}',
    '    b: {command: [echo, b]}',
    '    c: {command: [echo, c], needs: [a, b]}',
    '',
  ].join('\n');
}

const deployed = (client: KubeClient, spec: string, sim: Record<string, Record<string, string>> = {}) =>
  deploy(client, 'fan', spec, { sim });

describe.runIf(clusterEnabled)('release on the control plane', () => {
  let client: KubeClient;
  beforeAll(() => {
    client = requireCluster();
  });
  afterAll(() => cleanup(cluster.client));

  it('runs a fan-in DAG in order with the PIPEWRIGHT_* values filled, records it, and never re-runs a success', async () => {
    const { ns, dir } = await deployed(client, fanSpec());
    const r = await cli(dir, ['release', 'fan', '--target', 'kubernetes', '--namespace', ns, '--date', '2024-01-15']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const all = await jobs(client, ns);
    expect(all.map((j) => j.metadata.name)).toEqual([
      expect.stringMatching(/^fan-a-20240115-1-[0-9a-f]{8}$/),
      expect.stringMatching(/^fan-b-20240115-1-[0-9a-f]{8}$/),
      expect.stringMatching(/^fan-c-20240115-1-[0-9a-f]{8}$/),
    ]);
    const [a, b, c] = all as [Obj, Obj, Obj];
    expect(Date.parse(c.metadata.creationTimestamp)).toBeGreaterThanOrEqual(Date.parse(a.status.completionTime));
    expect(Date.parse(c.metadata.creationTimestamp)).toBeGreaterThanOrEqual(Date.parse(b.status.completionTime));
    const env = a.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'PIPEWRIGHT_DS', value: '2024-01-15' });
    expect(a.metadata.labels).toMatchObject({
      'pipewright.dev/logical-date': '2024-01-15',
      'pipewright.dev/attempt': '1',
    });
    const runs = await cli(dir, ['runs', '--format', 'json']);
    expect(JSON.parse(runs.stdout)).toEqual([
      expect.objectContaining({ pipeline: 'fan', executor: 'kubernetes', status: 'succeeded', tasks: 3 }),
    ]);
    const ledger = readLedger(join(dir, '.pipewright/ledger.jsonl')).filter(
      (x) => x.action.startsWith('run.') || x.action === 'task.attempt',
    );
    expect(ledger.map((x) => `${x.action}:${x.result}`)).toEqual([
      'run.start:started',
      'task.attempt:succeeded',
      'task.attempt:succeeded',
      'task.attempt:succeeded',
      'run.finish:succeeded',
    ]);
    const again = await cli(dir, ['release', 'fan', '--namespace', ns, '--date', '2024-01-15']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('every task already succeeded');
    expect((await jobs(client, ns)).length).toBe(3);
  });

  it('retries a failing task after retryDelay, then blocks its dependants (upstream_failed) while b finishes', async () => {
    const { ns, dir } = await deployed(client, fanSpec(), { a: { 'sim.pipewright.dev/exit-code': '3' } });
    const r = await cli(dir, ['release', 'fan', '--namespace', ns, '--date', '2024-01-16', '--format', 'json']);
    expect(r.code).toBe(1);
    const [result] = JSON.parse(r.stdout);
    const byId = Object.fromEntries(result.tasks.map((t: Obj) => [t.id, t]));
    expect(byId.a).toMatchObject({ status: 'failed', attempts: 2, exitCode: 3 });
    expect(byId.b).toMatchObject({ status: 'succeeded' });
    expect(byId.c).toMatchObject({ status: 'upstream_failed', attempts: 0 });
    const names = (await jobs(client, ns)).map((j) => j.metadata.name);
    expect(names.filter((n) => n.startsWith('fan-a-'))).toHaveLength(2);
    expect(names.some((n) => n.startsWith('fan-c-'))).toBe(false);
  });

  it('times a task out (activeDeadlineSeconds / the runner) and counts it as a failed attempt', async () => {
    const { ns, dir } = await deployed(client, fanSpec([], 'retries: 0, timeout: 2s'), {
      a: { 'sim.pipewright.dev/duration': '30s' },
    });
    const r = await cli(dir, ['release', 'fan', '--namespace', ns, '--date', '2024-01-17']);
    expect(r.code).toBe(1);
    const attempts = readLedger(join(dir, '.pipewright/ledger.jsonl')).filter((x) => x.action === 'task.attempt');
    expect(attempts.find((x) => x.details.task === 'a')?.result).toBe('timed_out');
  });

  it('catches up the missed scheduled dates since startDate, oldest first', async () => {
    const now = new Date();
    const day = (n: number) => dateIn(new Date(now.getTime() - n * 86_400_000), 'UTC');
    const { ns, dir } = await deployed(
      client,
      fanSpec(['  schedule: "0 0 * * *"', '  timezone: UTC', '  catchup: true', `  startDate: "${day(2)}"`]),
    );
    const r = await cli(dir, ['release', 'fan', '--namespace', ns, '--scheduled', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((x: Obj) => x.logicalDate)).toEqual([day(2), day(1), day(0)]);
    const dates = new Set((await jobs(client, ns)).map((j) => j.metadata.labels['pipewright.dev/logical-date']));
    expect([...dates].sort()).toEqual([day(2), day(1), day(0)]);
  });

  it('a runner killed mid-run is resumed: it re-attaches by name and re-runs nothing that succeeded', async () => {
    const { ns, dir } = await deployed(client, fanSpec(), { c: { 'sim.pipewright.dev/duration': '4s' } });
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../dist/cli.js'), 'release', 'fan', '--namespace', ns, '--date', '2024-01-18'],
      {
        cwd: dir,
        env: { ...env(), PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`c never started:\n${output}`)), 30_000);
      child.stdout.on('data', () => {
        if (/\[c\s*\] » Job fan-c-/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const resumed = await cli(dir, ['release', 'fan', '--namespace', ns, '--date', '2024-01-18']);
    expect(resumed.code, resumed.stdout).toBe(0);
    expect(resumed.stdout).toContain('resuming fan 1.0.0 for 2024-01-18');
    expect(resumed.stdout).toMatch(/\[c\s*\] » Job fan-c-20240118-1-[0-9a-f]{8} exists: re-attached/);
    expect(resumed.stdout).not.toMatch(/\[a\s*\] »/);
    expect((await jobs(client, ns)).map((j) => j.metadata.name.replace(/-[0-9a-f]{8}$/, ''))).toEqual([
      'fan-a-20240118-1',
      'fan-b-20240118-1',
      'fan-c-20240118-1',
    ]);
  });

  it('stopped with SIGTERM, the runner leaves running Jobs running and a new runner finishes the run', async () => {
    const { ns, dir } = await deployed(client, fanSpec(), { a: { 'sim.pipewright.dev/duration': '5s' } });
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../dist/cli.js'), 'release', 'fan', '--namespace', ns, '--date', '2024-01-19'],
      {
        cwd: dir,
        env: { ...env(), PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`a never started:\n${output}`)), 30_000);
      child.stdout.on('data', () => {
        if (/\[a\s*\] » Job fan-a-/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code, output).toBe(1);
    expect(output).toContain('stopped: running Jobs keep running');
    const names = (await jobs(client, ns)).map((j) => j.metadata.name.replace(/-[0-9a-f]{8}$/, ''));
    expect(names).toContain('fan-a-20240119-1');
    const resumed = await cli(dir, ['release', 'fan', '--namespace', ns, '--date', '2024-01-19']);
    expect(resumed.code, resumed.stdout).toBe(0);
    // a's Job ran on without the runner (re-attached, or already finished when the new runner looked): never re-created.
    expect(resumed.stdout).not.toMatch(/Job fan-a-\S+ created/);
    expect((await jobs(client, ns)).map((j) => j.metadata.name.replace(/-[0-9a-f]{8}$/, ''))).toEqual([
      'fan-a-20240119-1',
      'fan-b-20240119-1',
      'fan-c-20240119-1',
    ]);
  });

  it("runs with the generated runner ServiceAccount's own token: the Role grants what release needs", async () => {
    // What the CronJob's pod would present in-cluster (kwok runs no container, so the token is requested here).
    const { ns, dir } = await deployed(client, fanSpec());
    const token = await client.ok<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/serviceaccounts/fan-runner/token`,
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } } },
    );
    const config = parse(readFileSync(process.env.KUBECONFIG!, 'utf8'));
    config.users = [{ name: 'fan-runner', user: { token: token.status.token } }];
    for (const c of config.contexts) c.context.user = 'fan-runner';
    writeFileSync(join(dir, 'runner.kubeconfig'), stringify(config));
    const asRunner = (argv: string[]) =>
      runCliCapture(argv, { cwd: dir, env: { ...env(), KUBECONFIG: join(dir, 'runner.kubeconfig') } });
    const r = await asRunner(['release', 'fan', '--namespace', ns, '--date', '2024-01-20', '--retention', '1s']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runs = JSON.parse((await cli(dir, ['runs', '--format', 'json'])).stdout);
    expect(runs).toEqual([expect.objectContaining({ logicalDate: '2024-01-20', status: 'succeeded' })]);
    // --retention 1s: the finished Jobs were deleted with the same token (the Role's delete verb)
    await new Promise((r) => setTimeout(r, 1500));
    const again = await asRunner(['release', 'fan', '--namespace', ns, '--date', '2024-01-21', '--retention', '1s']);
    expect(again.code, again.stderr).toBe(0);
    expect((await jobs(client, ns)).map((j) => j.metadata.labels['pipewright.dev/logical-date'])).not.toContain(
      '2024-01-20',
    );
    // Anything else stays forbidden to it: another pipeline's run plan cannot be read.
    const other = await asRunner(['release', 'other', '--namespace', ns, '--date', '2024-01-20']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/forbidden by RBAC/);
    expect(other.stderr).not.toContain(token.status.token);
  });

  it('says clearly when there is no run plan', async () => {
    const ns = await namespace(client);
    const dir = await project({});
    const r = await cli(dir, ['release', 'nope', '--namespace', ns, '--date', '2024-01-15']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no run plan ConfigMap ${ns}/nope-plan: apply the pipeline first`);
  });

  it('the CronJob fires through the cronjob controller and creates its runner Job', async () => {
    const { ns } = await deployed(client, fanSpec(['  schedule: "* * * * *"', '  timezone: UTC']));
    const deadline = Date.now() + 90_000;
    let runner: Obj | undefined;
    while (!runner && Date.now() < deadline) {
      runner = (await jobs(client, ns)).find((j) => j.metadata.ownerReferences?.[0]?.kind === 'CronJob');
      if (!runner) await new Promise((r) => setTimeout(r, 2000));
    }
    expect(runner, 'no runner Job within 90 s').toBeDefined();
    const container = runner!.spec.template.spec.containers[0];
    expect(container.args).toEqual([
      'release',
      'fan',
      '--target',
      'kubernetes',
      '--namespace',
      '$(PIPEWRIGHT_NAMESPACE)',
      '--scheduled',
    ]);
    expect(runner!.spec.template.spec.serviceAccountName).toBe('fan-runner');
  }, 120_000);
});
