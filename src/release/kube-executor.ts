/**
 * The Kubernetes executor: each attempt is a Job created from the run plan's template, named deterministically, and
 * followed with a watch that is re-established (after a fresh GET, i.e. a re-list) whenever it ends — 410 Gone, a
 * server timeout, a dropped connection. An attempt whose Job already exists is adopted, never duplicated.
 */
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { collectionPath, objectPath, resourceType } from '../kube/resources.js';
import type { AttemptSpec, Executor, ExecutorContext, RunIdentity } from '../runtime/executor.js';
import type { AttemptHandle, AttemptOutcome } from '../runtime/scheduler.js';
import { type JobObject, jobForAttempt, jobName, jobPhase, RUN_LABEL } from './run-plan.js';

const JOB = resourceType('batch', 'Job');
const POD = resourceType('', 'Pod');

export interface KubeExecutorOptions {
  client: KubeClient;
  namespace: string;
  templates: ReadonlyMap<string, JobObject>;
  /** Jobs of this pipeline that finished more than this many seconds ago are deleted after each run (0 keeps them). */
  retentionSeconds: number;
  now?: () => Date;
  /**
   * The runner is being stopped (Ctrl-C, SIGTERM of its pod): running Jobs are left running — a runner started
   * again re-attaches to them — instead of being deleted like a timed-out attempt.
   */
  stopSignal?: AbortSignal;
  /** How long one watch request may last before the server ends it (default 60 s; the loop then reads and re-watches). */
  watchTimeoutSeconds?: number;
}

async function exitCodeOf(client: KubeClient, namespace: string, job: string): Promise<number> {
  const pods = await client
    .ok<{ items?: JobObject[] }>('GET', collectionPath(POD, namespace), {
      query: { labelSelector: `job-name=${job}` },
      list: true,
    })
    .catch(() => ({ items: [] as JobObject[] }));
  for (const pod of pods.items ?? []) {
    const code = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
    if (typeof code === 'number') return code;
  }
  return 1;
}

export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes' as const;

  constructor(private readonly options: KubeExecutorOptions) {}

  async launch(spec: AttemptSpec, context: ExecutorContext): Promise<AttemptHandle> {
    const { client, namespace } = this.options;
    const name = jobName(spec.run.pipeline, spec.task.id, spec.run.logicalDate, spec.attempt);
    spec.record.ref = { job: name };
    await context.persist();
    const path = objectPath(JOB, namespace, name);
    const existing = await client.request('GET', path);
    if (existing.status === 404) {
      const template = this.options.templates.get(spec.task.id);
      if (!template) throw new Error(`no template for task ${spec.task.id}`);
      const job = jobForAttempt(template, {
        name,
        namespace,
        pipeline: spec.run.pipeline,
        taskId: spec.task.id,
        logicalDate: spec.run.logicalDate,
        attempt: spec.attempt,
        runId: spec.run.runId,
        specHash: spec.run.specHash,
        vars: spec.env,
      });
      const created = await client.request('POST', collectionPath(JOB, namespace), { body: job });
      if (created.status === 409) context.note(spec.task.id, `Job ${name} already exists: adopting it`);
      else if (created.status >= 300) {
        const body = (created.body ?? {}) as { message?: string };
        return {
          done: Promise.resolve({
            exitCode: null,
            error: `cannot create Job ${name}: ${created.status} ${body.message ?? ''}`.trim(),
          }),
          kill: () => {},
        };
      } else context.note(spec.task.id, `Job ${name} created`);
    } else if (existing.status < 300) {
      context.note(spec.task.id, `Job ${name} exists: re-attached`);
    } else {
      const body = (existing.body ?? {}) as { message?: string };
      return {
        done: Promise.resolve({
          exitCode: null,
          error: `cannot read Job ${name}: ${existing.status} ${body.message ?? ''}`.trim(),
        }),
        kill: () => {},
      };
    }
    const abort = new AbortController();
    let killed = false;
    let left = false;
    const done = this.follow(name, abort.signal).then(async (outcome): Promise<AttemptOutcome> => {
      if (left)
        return { exitCode: null, error: `the runner stopped; Job ${name} keeps running (release again to re-attach)` };
      if (killed) return { exitCode: null, signal: 'SIGKILL' };
      return outcome;
    });
    return {
      done,
      kill: () => {
        if (killed || left) return;
        if (this.options.stopSignal?.aborted) {
          left = true;
          abort.abort();
          return;
        }
        killed = true;
        // A timeout or cancellation: the Job (and its pod) is deleted, then the follower stops.
        void client
          .request('DELETE', path, {
            body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
          })
          .finally(() => abort.abort());
      },
    };
  }

  /** Until the Job has finished: GET (the re-list), then watch from its resourceVersion; repeat when the watch ends. */
  private async follow(name: string, signal: AbortSignal): Promise<AttemptOutcome> {
    const { client, namespace } = this.options;
    for (;;) {
      if (signal.aborted) return { exitCode: null, signal: 'SIGKILL' };
      let job: JobObject;
      try {
        job = await client.ok<JobObject>('GET', objectPath(JOB, namespace, name));
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404)
          return { exitCode: null, error: `Job ${name} was deleted before it finished` };
        if (signal.aborted) return { exitCode: null, signal: 'SIGKILL' };
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      const phase = jobPhase(job);
      if (phase.done) {
        if (phase.succeeded) return { exitCode: 0 };
        if (phase.deadline)
          return { exitCode: null, timedOut: true, error: `activeDeadlineSeconds exceeded (${phase.message})` };
        return { exitCode: await exitCodeOf(client, namespace, name) };
      }
      let finished = false;
      const local = new AbortController();
      const stop = () => local.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        await client.watch(
          collectionPath(JOB, namespace),
          {
            fieldSelector: `metadata.name=${name}`,
            resourceVersion: String(job.metadata?.resourceVersion ?? ''),
            timeoutSeconds: String(this.options.watchTimeoutSeconds ?? 60),
          },
          (event) => {
            if (jobPhase(event.object as JobObject).done) {
              finished = true;
              local.abort();
            }
          },
          local.signal,
        );
      } catch {
        // unreachable for a moment: the loop re-reads
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        signal.removeEventListener('abort', stop);
      }
      void finished; // whatever ended the watch (finish, 410 Gone, timeout, drop), the next GET decides
    }
  }

  /** Retention: delete this pipeline's Jobs that finished longer ago than the retention (by completion time). */
  async finish(run: RunIdentity, _failed: ReadonlySet<string>, context: ExecutorContext): Promise<void> {
    const { client, namespace, retentionSeconds } = this.options;
    if (retentionSeconds <= 0) return;
    const now = this.options.now?.() ?? new Date();
    const cutoff = new Date(now.getTime() - retentionSeconds * 1000).toISOString();
    const list = await client.ok<{ items?: JobObject[] }>('GET', collectionPath(JOB, namespace), {
      query: {
        labelSelector: `${RUN_LABEL.managedBy}=pipewright,${RUN_LABEL.pipeline}=${run.pipeline},${RUN_LABEL.logicalDate}`,
      },
      list: true,
    });
    let removed = 0;
    for (const job of list.items ?? []) {
      if (!jobPhase(job).done) continue;
      const ended = String(
        job.status?.completionTime ??
          (job.status?.conditions ?? [])
            .map((c: { lastTransitionTime?: string }) => c.lastTransitionTime ?? '')
            .sort()
            .at(-1) ??
          '',
      );
      if (ended === '' || ended >= cutoff) continue;
      const res = await client.request('DELETE', objectPath(JOB, namespace, job.metadata.name), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
      if (res.status < 300 || res.status === 404) removed++;
    }
    if (removed > 0)
      context.note(
        'retention',
        `retention: deleted ${removed} Job${removed === 1 ? '' : 's'} finished before ${cutoff}`,
      );
  }
}
