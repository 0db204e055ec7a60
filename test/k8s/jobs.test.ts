/**
 * A task Job as the runner releases it: the task's Job template read from the applied run plan ConfigMap
 * (`<pipeline>-plan`, key `task.<id>.yaml`), given a name and its PIPEWRIGHT_* values, and created in the namespace.
 * The real Job controller drives it; kwok plays the kubelet, ending each pod as its sim.pipewright.dev/* annotations
 * say (scripts/k8s/stages/pod-job-finish.yaml). So: success → Complete; a failing task → Failed after backoffLimit
 * retries (the emitted templates set 0: the runner retries by itself; a copy with backoffLimit 1 shows the Job
 * controller's own retry); a task that outlives activeDeadlineSeconds → Failed with DeadlineExceeded.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIELD_MANAGER, jobCondition, type KubeObject, testCluster, waitFor } from './support.js';

const cluster = await testCluster();
const manifest = join(import.meta.dirname, '..', '..', 'generated', 'k8s', 'daily-orders.yaml');

/** The value the runner would give each run-time variable for the run of 2024-01-15. */
const RUN_VALUES: Record<string, string> = {
  PIPEWRIGHT_DS: '2024-01-15',
  PIPEWRIGHT_DS_NODASH: '20240115',
  PIPEWRIGHT_RUN_ID: 'manual__2024-01-15',
};

/** The runner's release of a task template: named, values filled (a literal `$` escaped as `$$`). */
function release(template: KubeObject, name: string, annotations: Record<string, string>, spec: object = {}) {
  const job = structuredClone(template);
  job.metadata = { ...job.metadata, name };
  job.spec = { ...job.spec, ...spec };
  job.spec.template.metadata.annotations = { ...job.spec.template.metadata.annotations, ...annotations };
  for (const container of job.spec.template.spec.containers as { env?: { name: string; value?: string }[] }[]) {
    for (const env of container.env ?? []) {
      if (env.name.startsWith('PIPEWRIGHT_') && env.value !== undefined) {
        env.value = (RUN_VALUES[env.name] ?? `value-of-${env.name}`).replaceAll('$', '$$$$');
      }
    }
  }
  return job;
}

describe.skipIf(!cluster)('released task Jobs run through the Job controller (pods simulated by kwok)', () => {
  let ns = '';
  let extract: KubeObject;

  beforeAll(async () => {
    if (!cluster) return;
    ns = await cluster.freshNamespace('pw-jobs');
    await cluster.kubectlOk(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', ns, '-f', manifest]);
    // What the runner reads: the plan as stored by the API server.
    const plan = await cluster.getJson(['get', 'configmap', 'daily-orders-plan', '-n', ns]);
    const text = (plan as KubeObject & { data?: Record<string, string> }).data?.['task.extract.yaml'];
    if (!text) throw new Error('the run plan daily-orders-plan has no task.extract.yaml');
    extract = parse(text) as KubeObject;
  });
  afterAll(async () => cluster?.cleanup());

  async function createAndWait(job: object, name: string, until: (job: KubeObject) => boolean, timeoutMs: number) {
    if (!cluster) throw new Error('no cluster');
    await cluster.kubectlOk(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(job) });
    let last: KubeObject | undefined;
    await waitFor(
      async () => {
        const job = await cluster.getJson(['get', 'job', name, '-n', ns]);
        last = job;
        return until(job);
      },
      timeoutMs,
      `job ${name}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last status: ${JSON.stringify(last?.status)}`);
    });
    return last as KubeObject;
  }

  async function pods(job: string): Promise<KubeObject[]> {
    if (!cluster) return [];
    const list = await cluster.getJson<{ items: KubeObject[] }>(['get', 'pods', '-n', ns, '-l', `job-name=${job}`]);
    return list.items;
  }

  it('applying the manifest starts nothing: no Job, no pod until a run is released', async () => {
    if (!cluster) return;
    expect(extract.kind).toBe('Job');
    expect(extract.metadata.name).toBeUndefined();
    const jobs = await cluster.getJson<{ items: KubeObject[] }>(['get', 'jobs', '-n', ns]);
    expect(jobs.items).toEqual([]);
    const pods = await cluster.getJson<{ items: KubeObject[] }>(['get', 'pods', '-n', ns]);
    expect(pods.items).toEqual([]);
  });

  it('a released task that succeeds ends Complete, its pod Succeeded after the simulated duration', async () => {
    const name = 'extract-run-ok';
    const job = release(extract, name, { 'sim.pipewright.dev/duration': '2s' });
    const started = Date.now();
    const done = await createAndWait(
      job,
      name,
      (j) => !!jobCondition(j, 'Complete') || !!jobCondition(j, 'Failed'),
      45_000,
    );
    expect(jobCondition(done, 'Complete')).toBeDefined();
    expect(done.status.succeeded).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const [pod, ...more] = await pods(name);
    expect(more).toEqual([]);
    expect(pod?.status.phase).toBe('Succeeded');
    expect(pod?.spec.nodeName).toBe('pipewright-node-1');
    const container = pod?.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'PIPEWRIGHT_DS', value: '2024-01-15' });
    expect(container.args).toContain('$(PIPEWRIGHT_DS)');
    expect(pod?.status.containerStatuses[0].state.terminated.exitCode).toBe(0);
  });

  it('a released task that fails ends Failed at once: the template leaves retries to the runner', async () => {
    const name = 'extract-run-fail';
    expect(extract.spec.backoffLimit).toBe(0);
    const job = release(extract, name, { 'sim.pipewright.dev/exit-code': '3' });
    const done = await createAndWait(
      job,
      name,
      (j) => !!jobCondition(j, 'Failed') || !!jobCondition(j, 'Complete'),
      45_000,
    );
    expect(jobCondition(done, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(done.status.failed).toBe(1);
    const [pod, ...more] = await pods(name);
    expect(more).toEqual([]);
    expect(pod?.status.phase).toBe('Failed');
    expect(pod?.status.containerStatuses[0].state.terminated.exitCode).toBe(3);
  });

  it('with backoffLimit 1 the Job controller retries once, then ends Failed with every pod failed', async () => {
    const name = 'extract-run-retry';
    const job = release(extract, name, { 'sim.pipewright.dev/exit-code': '42' }, { backoffLimit: 1 });
    // The Job controller waits 10s before the retry (its back-off), so this takes about 15s.
    const done = await createAndWait(
      job,
      name,
      (j) => !!jobCondition(j, 'Failed') || !!jobCondition(j, 'Complete'),
      60_000,
    );
    expect(jobCondition(done, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(done.status.failed).toBe(2);
    expect(done.status.succeeded ?? 0).toBe(0);
    const failed = await pods(name);
    expect(failed).toHaveLength(2);
    for (const pod of failed) {
      expect(pod.status.phase).toBe('Failed');
      expect(pod.status.containerStatuses[0].state.terminated.exitCode).toBe(42);
    }
  });

  it('kwok ends only pods owned by a Job: a bare pod with the same annotations stays Running', async () => {
    if (!cluster) return;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare', annotations: { 'sim.pipewright.dev/duration': '1s' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20.20-alpine' }] },
    };
    await cluster.kubectlOk(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(pod) });
    await waitFor(
      async () => (await cluster.getJson(['get', 'pod', 'bare', '-n', ns])).status?.phase === 'Running',
      30_000,
      'the bare pod to run',
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await cluster.getJson(['get', 'pod', 'bare', '-n', ns])).status.phase).toBe('Running');
  });

  it('a released task that outlives activeDeadlineSeconds ends Failed with DeadlineExceeded', async () => {
    const name = 'extract-run-slow';
    const job = release(extract, name, { 'sim.pipewright.dev/duration': '10m' }, { activeDeadlineSeconds: 3 });
    const done = await createAndWait(
      job,
      name,
      (j) => !!jobCondition(j, 'Failed') || !!jobCondition(j, 'Complete'),
      45_000,
    );
    expect(jobCondition(done, 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(done.status.succeeded ?? 0).toBe(0);
  });
});
