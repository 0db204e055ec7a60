/**
 * The CronJob pipewright emits starts the runner: by hand (`kubectl create job --from=cronjob/…`, what an operator does
 * for an unscheduled run) and by the real cronjob controller on its schedule. For the scheduled run a copy with the
 * schedule `* * * * *` is applied, so the controller fires within about a minute.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_MANAGER, jobCondition, type KubeObject, manifestObjects, testCluster, waitFor } from './support.js';

const cluster = await testCluster();
const manifest = join(import.meta.dirname, '..', '..', 'generated', 'k8s', 'daily-orders.yaml');

describe.skipIf(!cluster)('the emitted CronJob produces runner Jobs (real cronjob controller)', () => {
  let ns = '';
  let cronJob: KubeObject;

  beforeAll(async () => {
    if (!cluster) return;
    ns = await cluster.freshNamespace('pw-cron');
    await cluster.kubectlOk(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', ns, '-f', manifest]);
    const found = manifestObjects(readFileSync(manifest, 'utf8')).find((o) => o.kind === 'CronJob');
    if (!found) throw new Error(`no CronJob in ${manifest}`);
    cronJob = found;
  });
  afterAll(async () => cluster?.cleanup());

  async function jobsOwnedBy(cronJobName: string): Promise<KubeObject[]> {
    if (!cluster) return [];
    const list = await cluster.getJson<{ items: KubeObject[] }>(['get', 'jobs', '-n', ns]);
    return list.items.filter((j) =>
      (j.metadata.ownerReferences ?? []).some((r) => r.kind === 'CronJob' && r.name === cronJobName),
    );
  }

  it('kubectl create job --from=cronjob/… makes a runner Job that runs to Complete', async () => {
    if (!cluster) return;
    const name = cronJob.metadata.name;
    const out = await cluster.kubectlOk(['create', 'job', '-n', ns, `--from=cronjob/${name}`, 'manual-run']);
    expect(out.trim()).toBe('job.batch/manual-run created');
    const job = await cluster.getJson(['get', 'job', 'manual-run', '-n', ns]);
    expect(job.spec.template.spec.serviceAccountName).toBe(
      cronJob.spec.jobTemplate.spec.template.spec.serviceAccountName,
    );
    expect(job.spec.template.spec.containers[0].args.slice(0, 2)).toEqual(['release', 'daily-orders']);
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    await waitFor(
      async () => !!jobCondition(await cluster.getJson(['get', 'job', 'manual-run', '-n', ns]), 'Complete'),
      45_000,
      'the manual runner Job to complete',
    );
    // The runner pod runs under the pipeline's own service account (it exists: the manifest created it).
    const pods = await cluster.getJson<{ items: KubeObject[] }>(['get', 'pods', '-n', ns, '-l', 'job-name=manual-run']);
    expect(pods.items.map((p) => p.spec.serviceAccountName)).toEqual(['daily-orders-runner']);
  });

  it('the cronjob controller starts a runner Job on the schedule', { timeout: 150_000 }, async () => {
    if (!cluster) return;
    // The same CronJob, applied under another name with a schedule that is due every minute.
    const everyMinute = structuredClone(cronJob);
    everyMinute.metadata = { ...everyMinute.metadata, name: 'daily-orders-every-minute' };
    everyMinute.spec.schedule = '* * * * *';
    await cluster.kubectlOk(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', ns, '-f', '-'], {
      input: JSON.stringify(everyMinute),
    });
    let jobs: KubeObject[] = [];
    await waitFor(
      async () => {
        jobs = await jobsOwnedBy('daily-orders-every-minute');
        return jobs.length > 0;
      },
      130_000,
      'the cronjob controller to create a Job',
    );
    const [job] = jobs;
    expect(job?.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toMatch(/:00Z$/);
    expect(job?.spec.template.spec.containers[0].args.slice(0, 2)).toEqual(['release', 'daily-orders']);
    // Stop it firing again while the namespace is being deleted.
    await cluster.kubectlOk([
      'patch',
      'cronjob',
      'daily-orders-every-minute',
      '-n',
      ns,
      '-p',
      '{"spec":{"suspend":true}}',
    ]);
    const status = (await cluster.getJson(['get', 'cronjob', 'daily-orders-every-minute', '-n', ns])).status;
    expect(status.lastScheduleTime).toMatch(/:00Z$/);
  });
});
