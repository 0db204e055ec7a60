/**
 * The release runner's pure part: read a run plan ConfigMap (src/targets/kubernetes/run-plan.ts), name each attempt's
 * Job deterministically, build the Job from its template, and rebuild a run's state from the Jobs in the cluster
 * (the cluster is the runner's memory: a restarted runner re-attaches by name and never re-runs a succeeded task).
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { RunPlan, RunTask } from '../runtime/plan.js';
import type { AttemptRecord } from '../runtime/scheduler.js';
import type { RunState, RunTaskState } from '../runtime/state.js';
import { escapeKubernetesLiteral } from '../targets/kubernetes/expansion.js';
import { nameWithHash } from '../targets/kubernetes/names.js';
import { PIPELINE_KEY, type RunPlanPipeline, taskKey } from '../targets/kubernetes/run-plan.js';

export class RunPlanError extends Error {
  override name = 'RunPlanError';
}

export const RUN_LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  pipeline: 'pipewright.dev/pipeline',
  task: 'pipewright.dev/task',
  logicalDate: 'pipewright.dev/logical-date',
  attempt: 'pipewright.dev/attempt',
  runId: 'pipewright.dev/run-id',
} as const;

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes Job JSON is walked loosely
export type JobObject = Record<string, any>;

export interface LoadedRunPlan {
  facts: RunPlanPipeline;
  plan: RunPlan;
  templates: Map<string, JobObject>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses the run plan's data; every problem names the ConfigMap key. */
export function parseRunPlan(name: string, data: Record<string, string> | undefined): LoadedRunPlan {
  const read = (key: string): Record<string, unknown> => {
    const text = data?.[key];
    if (typeof text !== 'string') throw new RunPlanError(`run plan ${name} has no ${key}`);
    let value: unknown;
    try {
      value = parse(text, { maxAliasCount: 0 });
    } catch (e) {
      throw new RunPlanError(`run plan ${name}, ${key}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
    }
    if (!isRecord(value)) throw new RunPlanError(`run plan ${name}, ${key}: not a mapping`);
    return value;
  };
  const facts = read(PIPELINE_KEY) as unknown as RunPlanPipeline;
  if (typeof facts.pipeline !== 'string' || !Array.isArray(facts.tasks) || typeof facts.specHash !== 'string') {
    throw new RunPlanError(`run plan ${name}, ${PIPELINE_KEY}: pipeline, specHash and tasks are required`);
  }
  const templates = new Map<string, JobObject>();
  const tasks: RunTask[] = [];
  for (const id of facts.tasks) {
    const job = read(taskKey(id)) as JobObject;
    const a = (job.metadata?.annotations ?? {}) as Record<string, string>;
    const container = job.spec?.template?.spec?.containers?.[0];
    if (!container) throw new RunPlanError(`run plan ${name}, ${taskKey(id)}: no container`);
    templates.set(id, job);
    tasks.push({
      id,
      specId: a['pipewright.dev/spec-task'] ?? id,
      type: a['pipewright.dev/type'] === 'check' ? 'check' : 'task',
      image: String(container.image ?? ''),
      // The Job template holds argv and env; the runtime's Compose-notation fields stay empty.
      command: [],
      environment: {},
      needs: (a['pipewright.dev/needs'] ?? '').split(',').filter(Boolean).sort(),
      retries: Number(a['pipewright.dev/retries'] ?? 0),
      retryDelaySeconds: Number(a['pipewright.dev/retry-delay-seconds'] ?? 0),
      ...(typeof job.spec?.activeDeadlineSeconds === 'number'
        ? { timeoutSeconds: job.spec.activeDeadlineSeconds }
        : {}),
      secrets: [],
      labels: {},
      matrix: {},
    });
  }
  const plan: RunPlan = {
    pipeline: facts.pipeline,
    version: String(facts.version),
    specHash: facts.specHash,
    source: String(facts.source),
    concurrency: Number(facts.concurrency ?? 1),
    params: (facts.params ?? []).map((p) => ({ ...p })),
    tasks,
  };
  return { facts, plan, templates };
}

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** A run's id, the same on every machine and every restart: `<ds_nodash>-<hash8 of the pipeline>`. */
export function releaseRunId(pipeline: string, logicalDate: string): string {
  return `${logicalDate.replaceAll('-', '')}-${hash8(pipeline)}`;
}

/** `<pipeline>-<task>-<ds_nodash>-<attempt>` within 63 characters, ending in a hash of all four. */
export function jobName(pipeline: string, taskId: string, logicalDate: string, attempt: number): string {
  const base = `${pipeline}-${taskId}-${logicalDate.replaceAll('-', '')}-${attempt}`;
  return nameWithHash(base, hash8(`${pipeline}\0${taskId}\0${logicalDate}\0${attempt}`));
}

/** The Job of one attempt: the template with its name, run labels and the run's PIPEWRIGHT_* values filled in. */
export function jobForAttempt(
  template: JobObject,
  options: {
    name: string;
    namespace: string;
    pipeline: string;
    taskId: string;
    logicalDate: string;
    attempt: number;
    runId: string;
    specHash: string;
    vars: Record<string, string>;
  },
): JobObject {
  const job = structuredClone(template);
  const runLabels = {
    [RUN_LABEL.logicalDate]: options.logicalDate,
    [RUN_LABEL.attempt]: String(options.attempt),
    [RUN_LABEL.runId]: options.runId,
  };
  job.metadata = {
    ...job.metadata,
    name: options.name,
    namespace: options.namespace,
    labels: { ...job.metadata?.labels, ...runLabels },
    annotations: { ...job.metadata?.annotations, 'pipewright.dev/spec-hash': options.specHash },
  };
  job.spec.template.metadata = {
    ...job.spec.template.metadata,
    labels: { ...job.spec.template.metadata?.labels, ...runLabels },
  };
  for (const container of job.spec.template.spec.containers ?? []) {
    for (const e of container.env ?? []) {
      if (typeof e.name === 'string' && Object.hasOwn(options.vars, e.name) && e.valueFrom === undefined) {
        // Kubernetes expands $(VAR) in env values: a literal value is escaped like every other literal.
        e.value = escapeKubernetesLiteral(options.vars[e.name]!);
      }
    }
  }
  return job;
}

export type JobPhase = { done: false } | { done: true; succeeded: boolean; deadline: boolean; message: string };

export function jobPhase(job: JobObject): JobPhase {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete' || c.type === 'SuccessCriteriaMet')
      return { done: true, succeeded: true, deadline: false, message: '' };
    if (c.type === 'Failed')
      return {
        done: true,
        succeeded: false,
        deadline: c.reason === 'DeadlineExceeded',
        message: `${c.reason ?? ''}: ${c.message ?? ''}`,
      };
  }
  return { done: false };
}

/**
 * The state of a run rebuilt from its Jobs (label logical-date, one per attempt): a task with a succeeded attempt is
 * succeeded; finished failed attempts are earlier rounds (a new release gets a fresh retry budget, numbering
 * continues); an unfinished attempt is adopted by the scheduler.
 */
export function stateFromJobs(base: RunState, plan: RunPlan, jobs: readonly JobObject[]): RunState {
  const state = structuredClone(base);
  for (const task of plan.tasks) {
    const own = jobs
      .filter(
        (j) =>
          j.metadata?.labels?.[RUN_LABEL.task] !== undefined &&
          j.metadata.annotations?.['pipewright.dev/task'] === task.id,
      )
      .map((j) => ({ job: j, n: Number(j.metadata.labels[RUN_LABEL.attempt]) }))
      .filter((x) => Number.isInteger(x.n) && x.n > 0)
      .sort((a, b) => a.n - b.n);
    const attempts: AttemptRecord[] = [];
    let status: RunTaskState['status'] = 'pending';
    for (const { job, n } of own) {
      const phase = jobPhase(job);
      const startedAt = String(job.metadata.creationTimestamp ?? new Date(0).toISOString());
      const record: AttemptRecord = { n, startedAt, ref: { job: job.metadata.name } };
      if (phase.done) {
        record.finishedAt = String(job.status?.completionTime ?? startedAt);
        record.outcome = phase.succeeded
          ? { exitCode: 0 }
          : phase.deadline
            ? { exitCode: null, timedOut: true }
            : { exitCode: 1 };
        if (phase.succeeded) status = 'succeeded';
      } else status = 'running';
      attempts.push(record);
    }
    const entry: RunTaskState = {
      type: task.type,
      status:
        status === 'succeeded'
          ? 'succeeded'
          : attempts.some((a) => !a.outcome)
            ? 'running'
            : attempts.length
              ? 'failed'
              : 'pending',
      attempts,
    };
    if (entry.status === 'succeeded') entry.finishedAt = attempts.at(-1)!.finishedAt!;
    state.tasks[task.id] = entry;
  }
  return state;
}
