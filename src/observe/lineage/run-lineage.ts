/**
 * The run observer that turns a pipewright run into OpenLineage events: the pipeline run START when the run starts,
 * each task instance START at its first attempt and COMPLETE/FAIL when it ends, tasks cut short by a cancellation
 * ABORT, then the pipeline run COMPLETE, FAIL or ABORT. runIds derive from pipewright's run id (ids.ts), so a resumed
 * run continues the same OpenLineage runs.
 */
import { resolve } from 'node:path';
import type { RunPlan } from '../../runtime/plan.js';
import { runVariables } from '../../runtime/resolve.js';
import type { RunObserver } from '../../runtime/run.js';
import type { RunState } from '../../runtime/state.js';
import { interpolateCompose } from '../../targets/compose/interpolate.js';
import type { LineageConfig } from './config.js';
import { type RunEventType, runEvent } from './events.js';
import { pipelineRunUuid, taskRunUuid } from './ids.js';
import type { Transport } from './transport.js';

export interface RunLineageOptions {
  plan: RunPlan;
  config: LineageConfig;
  transport: Transport;
  /** Project root (spec path → file: URL when no repository URL is configured). */
  root: string;
  commit: string | null;
  /** pipewright's own producer URI (with its version). */
  producer: string;
  now?: () => Date;
}

export function runLineageObserver(options: RunLineageOptions): RunObserver {
  const { plan, config, transport } = options;
  const now = options.now ?? (() => new Date());
  const tasks = new Map(plan.tasks.map((t) => [t.id, t]));
  const started = new Set<string>();
  const context = (state: RunState) => ({
    namespace: config.namespace,
    producer: options.producer,
    pipeline: plan.pipeline,
    logicalDate: state.logicalDate,
    specPath: plan.source,
    specAbsolutePath: resolve(options.root, plan.source || '.'),
    commit: options.commit,
    ...(config.repositoryUrl ? { repositoryUrl: config.repositoryUrl } : {}),
  });
  const datasets = (state: RunState, texts: readonly string[] | undefined): string[] => {
    const vars = runVariables(plan, { logicalDate: state.logicalDate, runId: state.runId, params: state.params });
    return (texts ?? []).map((t) => interpolateCompose(t, vars));
  };
  const taskEvent = (state: RunState, taskId: string, type: RunEventType, error?: string) => {
    const task = tasks.get(taskId);
    transport.emit(
      runEvent(context(state), {
        type,
        time: now(),
        runUuid: taskRunUuid(state.runId, taskId),
        task: taskId,
        parentRunUuid: pipelineRunUuid(state.runId),
        inputs: datasets(state, task?.inputs),
        outputs: datasets(state, task?.outputs),
        ...(error !== undefined ? { error } : {}),
      }),
    );
  };
  const allDatasets = (state: RunState, key: 'inputs' | 'outputs') =>
    datasets(
      state,
      plan.tasks.flatMap((t) => t[key] ?? []),
    );

  return {
    runStarted(state) {
      transport.emit(
        runEvent(context(state), {
          type: 'START',
          time: now(),
          runUuid: pipelineRunUuid(state.runId),
          inputs: allDatasets(state, 'inputs'),
          outputs: allDatasets(state, 'outputs'),
        }),
      );
    },
    taskStarted(taskId, state) {
      started.add(taskId);
      taskEvent(state, taskId, 'START');
    },
    taskFinished(taskId, state) {
      if (!started.has(taskId)) return; // never ran (upstream_failed, skipped): no run to close
      const t = state.tasks[taskId]!;
      if (t.status === 'succeeded') taskEvent(state, taskId, 'COMPLETE');
      else {
        const last = t.attempts.at(-1)?.outcome;
        const why = last?.timedOut
          ? 'timed out'
          : (last?.error ??
            (last?.exitCode === null ? `killed by ${last?.signal ?? 'a signal'}` : `exit ${last?.exitCode}`));
        taskEvent(state, taskId, 'FAIL', `task ${taskId} failed after ${t.attempts.length} attempt(s): ${why}`);
      }
      started.delete(taskId);
    },
    runFinished(state, aborted) {
      for (const taskId of started) taskEvent(state, taskId, 'ABORT', 'the run was cancelled');
      started.clear();
      const failed = Object.entries(state.tasks)
        .filter(([, t]) => t.status !== 'succeeded')
        .map(([id]) => id);
      const type: RunEventType = aborted ? 'ABORT' : state.status === 'succeeded' ? 'COMPLETE' : 'FAIL';
      transport.emit(
        runEvent(context(state), {
          type,
          time: now(),
          runUuid: pipelineRunUuid(state.runId),
          inputs: allDatasets(state, 'inputs'),
          outputs: allDatasets(state, 'outputs'),
          ...(type !== 'COMPLETE'
            ? { error: aborted ? 'the run was cancelled' : `tasks not succeeded: ${failed.sort().join(', ')}` }
            : {}),
        }),
      );
    },
  };
}
