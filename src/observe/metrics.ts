/**
 * Every Prometheus metric pipewright exposes, in one registry (prom-client), with the functions the runtime
 * (`pipewright run`), the reconcile daemon (`/metrics`) and the apply driver call. Names follow Prometheus conventions:
 * `pipewright_` prefix, base units (`_seconds`), `_total` on counters.
 *
 * Label cardinality is bounded by construction: labels only carry values from closed sets (status, action, result,
 * stage, target) or names that come from the committed specs (pipeline, task spec id, object kind). Run ids, logical
 * dates, timestamps, error messages and matrix values are never labels: `labelValue` refuses anything else that looks
 * like an id or a date, so a caller cannot add an unbounded series by mistake.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Final status of a pipeline run. `aborted`: cancelled (signal) before it finished. */
export const RUN_STATUSES = ['succeeded', 'failed', 'aborted'] as const;
export type RunStatusLabel = (typeof RUN_STATUSES)[number];

export const TASK_STATUSES = ['succeeded', 'failed', 'upstream_failed', 'skipped'] as const;
export type TaskStatusLabel = (typeof TASK_STATUSES)[number];

/** Apply actions (src/reconcile/plan.ts ActionType, plus what the docker scheduler does to containers). */
export const APPLY_ACTIONS = [
  'create',
  'update',
  'replace',
  'prune',
  'unchanged',
  'conflict',
  'foreign',
  'forget',
  'error',
] as const;
export type ApplyActionLabel = (typeof APPLY_ACTIONS)[number];

export const RECONCILE_STAGES = ['git', 'compile', 'plan', 'apply', 'schedule', 'other'] as const;
export type ReconcileStage = (typeof RECONCILE_STAGES)[number];

/** Task durations: from one second to a day (batch tasks). */
const TASK_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400];
/** A reconcile cycle: milliseconds to minutes. */
const RECONCILE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Dates (with or without dashes, so run ids `20240115-1a2b3c4d` too) and UUIDs anywhere in the value. */
const ID_OR_DATE = /\d{4}-?\d{2}-?\d{2}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** A label value that may come from a spec name; throws on values shaped like dates, run ids or UUIDs. */
export function labelValue(value: string): string {
  if (value.length === 0 || value.length > 128 || ID_OR_DATE.test(value)) {
    throw new Error(`metric label value '${value.slice(0, 64)}' looks like an id or a date (unbounded cardinality)`);
  }
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`metric label ${what}='${value}' is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export interface TaskObservation {
  pipeline: string;
  /** Task id as written in the spec (matrix instances aggregate into it). */
  task: string;
  status: TaskStatusLabel;
  durationSeconds: number;
  /** Attempts beyond the first in this run. */
  retries: number;
  /** A `type: check` task that failed. */
  qualityGateFailed: boolean;
}

export interface RunObservation {
  pipeline: string;
  status: RunStatusLabel;
  durationSeconds: number;
  /** When the run finished (ms since the epoch). */
  finishedAtMs: number;
  /** The run finished after its SLA (spec.slaSeconds after the scheduled time). */
  slaMissed: boolean;
}

export interface ReconcileObservation {
  durationSeconds: number;
  /** The stage that failed, or undefined for a successful cycle. */
  errorStage?: ReconcileStage;
  finishedAtMs: number;
}

/**
 * The registry and its metrics. One instance per process: the daemon serves `registry` on /metrics,
 * `pipewright run` writes it to a textfile or pushes it.
 */
export class PipewrightMetrics {
  readonly registry = new Registry();

  readonly runs = new Counter({
    name: 'pipewright_runs_total',
    help: 'Pipeline runs that finished, by pipeline and final status.',
    labelNames: ['pipeline', 'status'] as const,
    registers: [this.registry],
  });
  readonly runDuration = new Histogram({
    name: 'pipewright_run_duration_seconds',
    help: 'Wall-clock duration of finished pipeline runs.',
    labelNames: ['pipeline', 'status'] as const,
    buckets: TASK_BUCKETS,
    registers: [this.registry],
  });
  readonly lastRun = new Gauge({
    name: 'pipewright_last_run_timestamp_seconds',
    help: 'When the last run of the pipeline finished (Unix time).',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });
  readonly lastRunSuccess = new Gauge({
    name: 'pipewright_last_run_success',
    help: '1 when the last finished run of the pipeline succeeded, 0 when it failed or was aborted.',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'pipewright_last_success_timestamp_seconds',
    help: 'When the last successful run of the pipeline finished (Unix time).',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });
  readonly expectedInterval = new Gauge({
    name: 'pipewright_pipeline_expected_interval_seconds',
    help: 'Longest gap between two scheduled runs of the pipeline (from its cron schedule); absent when unscheduled.',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });
  readonly taskDuration = new Histogram({
    name: 'pipewright_task_duration_seconds',
    help: 'Duration of finished tasks (all attempts), by pipeline, spec task id and final status.',
    labelNames: ['pipeline', 'task', 'status'] as const,
    buckets: TASK_BUCKETS,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'pipewright_task_retries_total',
    help: 'Task attempts beyond the first (retries), by pipeline and spec task id.',
    labelNames: ['pipeline', 'task'] as const,
    registers: [this.registry],
  });
  readonly slaMisses = new Counter({
    name: 'pipewright_sla_misses_total',
    help: 'Runs that finished (or were still running) after their SLA, by pipeline.',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });
  readonly qualityGateFailures = new Counter({
    name: 'pipewright_quality_gate_failures_total',
    help: 'Failed quality gates (type: check tasks), by pipeline and spec task id.',
    labelNames: ['pipeline', 'task'] as const,
    registers: [this.registry],
  });
  readonly reconcileCycles = new Counter({
    name: 'pipewright_reconcile_cycles_total',
    help: 'Reconcile cycles of the daemon, by result (ok or error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'pipewright_reconcile_errors_total',
    help: 'Failed reconcile cycles, by the stage that failed.',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'pipewright_reconcile_duration_seconds',
    help: 'Duration of reconcile cycles.',
    buckets: RECONCILE_BUCKETS,
    registers: [this.registry],
  });
  readonly reconcileLastSuccess = new Gauge({
    name: 'pipewright_reconcile_last_success_timestamp_seconds',
    help: 'When the last successful reconcile cycle finished (Unix time).',
    registers: [this.registry],
  });
  readonly applyActions = new Counter({
    name: 'pipewright_apply_actions_total',
    help: 'Actions of plan/apply, by target, object kind and action.',
    labelNames: ['target', 'kind', 'action'] as const,
    registers: [this.registry],
  });
  readonly drift = new Gauge({
    name: 'pipewright_objects_in_drift',
    help: 'Objects whose live state differs from generated/ at the last reconcile, by target and object kind.',
    labelNames: ['target', 'kind'] as const,
    registers: [this.registry],
  });
  readonly schedulerLag = new Gauge({
    name: 'pipewright_scheduler_lag_seconds',
    help: 'Delay between the scheduled time of the last due run and its start, by pipeline.',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });
  readonly generatedStale = new Gauge({
    name: 'pipewright_generated_stale_files',
    help: 'Files under generated/ that differ from what compile produces for the specs at the followed revision.',
    registers: [this.registry],
  });

  /** A task finished in a run (called once per task instance when the run ends). */
  observeTask(o: TaskObservation): void {
    const pipeline = labelValue(o.pipeline);
    const task = labelValue(o.task);
    const status = oneOf(o.status, TASK_STATUSES, 'status');
    if (status !== 'upstream_failed' && status !== 'skipped') {
      this.taskDuration.observe({ pipeline, task, status }, Math.max(0, o.durationSeconds));
    }
    // Touch the counters so a zero is exposed too: absent series make rate() and alerts blind.
    this.retries.inc({ pipeline, task }, Math.max(0, o.retries));
    this.qualityGateFailures.inc({ pipeline, task }, o.qualityGateFailed ? 1 : 0);
  }

  /** A pipeline run reached its final status. */
  observeRun(o: RunObservation): void {
    const pipeline = labelValue(o.pipeline);
    const status = oneOf(o.status, RUN_STATUSES, 'status');
    for (const s of RUN_STATUSES) this.runs.inc({ pipeline, status: s }, s === status ? 1 : 0);
    this.runDuration.observe({ pipeline, status }, Math.max(0, o.durationSeconds));
    const seconds = o.finishedAtMs / 1000;
    this.lastRun.set({ pipeline }, seconds);
    this.lastRunSuccess.set({ pipeline }, status === 'succeeded' ? 1 : 0);
    if (status === 'succeeded') this.lastSuccess.set({ pipeline }, seconds);
    this.slaMisses.inc({ pipeline }, o.slaMissed ? 1 : 0);
  }

  /** The pipeline's expected interval between successes (the daemon sets it from the schedule). */
  setExpectedInterval(pipeline: string, seconds: number | undefined): void {
    if (seconds === undefined) this.expectedInterval.remove({ pipeline: labelValue(pipeline) });
    else this.expectedInterval.set({ pipeline: labelValue(pipeline) }, seconds);
  }

  /** An SLA passed while a run was still going (the daemon's scheduler notices before the run ends). */
  slaMissed(pipeline: string): void {
    this.slaMisses.inc({ pipeline: labelValue(pipeline) });
  }

  /** A due run started `lagSeconds` after its scheduled time. */
  observeSchedulerLag(pipeline: string, lagSeconds: number): void {
    this.schedulerLag.set({ pipeline: labelValue(pipeline) }, Math.max(0, lagSeconds));
  }

  /** One reconcile cycle of the daemon ended. */
  observeReconcile(o: ReconcileObservation): void {
    this.reconcileDuration.observe(Math.max(0, o.durationSeconds));
    if (o.errorStage === undefined) {
      this.reconcileCycles.inc({ result: 'ok' });
      this.reconcileCycles.inc({ result: 'error' }, 0);
      this.reconcileLastSuccess.set(o.finishedAtMs / 1000);
    } else {
      this.reconcileCycles.inc({ result: 'error' });
      this.reconcileCycles.inc({ result: 'ok' }, 0);
      this.reconcileErrors.inc({ stage: oneOf(o.errorStage, RECONCILE_STAGES, 'stage') });
    }
  }

  /** An apply action was carried out (or planned and refused) for one object. */
  observeApplyAction(target: string, kind: string, action: ApplyActionLabel): void {
    this.applyActions.inc({
      target: labelValue(target),
      kind: labelValue(kind),
      action: oneOf(action, APPLY_ACTIONS, 'action'),
    });
  }

  /** Objects in drift after a reconcile, per object kind of one target (kinds absent from the map are set to 0). */
  setDrift(target: string, byKind: Readonly<Record<string, number>>): void {
    const t = labelValue(target);
    for (const [kind, count] of Object.entries(byKind)) this.drift.set({ target: t, kind: labelValue(kind) }, count);
  }

  /** How many files under generated/ are stale (0 = fresh). */
  setGeneratedStale(files: number): void {
    this.generatedStale.set(Math.max(0, files));
  }

  /** The Prometheus text exposition (what /metrics serves and the textfile holds). */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
