/**
 * A finished run's state → metric observations (pure apart from the registry it feeds): what `pipewright run` records
 * for its textfile / Pushgateway, and what the reconcile daemon records for each run it schedules.
 */
import type { RunPlan } from '../runtime/plan.js';
import type { RunState } from '../runtime/state.js';
import type { PipewrightMetrics, RunStatusLabel, TaskStatusLabel } from './metrics.js';
import { expectedIntervalSeconds } from './schedule-interval.js';

const seconds = (from: string | undefined, to: string | undefined): number => {
  if (from === undefined || to === undefined) return 0;
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) && d > 0 ? d : 0;
};

export interface ObserveRunOptions {
  /** The run was cancelled (signal) before it finished. */
  aborted?: boolean;
}

/** Records the run and each of its tasks. Tasks left pending/running (an aborted run) record no duration. */
export function observeRunState(
  metrics: PipewrightMetrics,
  plan: RunPlan,
  state: RunState,
  options: ObserveRunOptions = {},
): void {
  const specIdOf = new Map(plan.tasks.map((t) => [t.id, t.specId]));
  for (const [id, task] of Object.entries(state.tasks)) {
    if (task.status === 'pending' || task.status === 'running') continue;
    const round = task.attempts.slice(task.firstAttempt ?? 0);
    metrics.observeTask({
      pipeline: state.pipeline,
      task: specIdOf.get(id) ?? id,
      status: task.status as TaskStatusLabel,
      durationSeconds: seconds(round[0]?.startedAt ?? task.startedAt, round.at(-1)?.finishedAt ?? task.finishedAt),
      retries: Math.max(0, round.length - 1),
      qualityGateFailed: task.type === 'check' && task.status === 'failed',
    });
  }
  // A scheduled pipeline's expected interval, so the textfile alone can drive PipewrightNoRecentSuccess.
  if (plan.schedule !== undefined) {
    metrics.setExpectedInterval(plan.pipeline, expectedIntervalSeconds(plan.schedule, plan.timezone, new Date()));
  }
  const status: RunStatusLabel = options.aborted ? 'aborted' : state.status === 'succeeded' ? 'succeeded' : 'failed';
  const finishedAt = state.finishedAt ?? new Date().toISOString();
  const duration = seconds(state.createdAt, finishedAt);
  metrics.observeRun({
    pipeline: state.pipeline,
    status,
    durationSeconds: duration,
    finishedAtMs: Date.parse(finishedAt),
    // A one-shot run has no scheduled time: its SLA counts from when the run was created.
    slaMissed: plan.slaSeconds !== undefined && duration > plan.slaSeconds,
  });
}
