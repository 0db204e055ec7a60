/**
 * The Kubernetes run plan: one ConfigMap per pipeline, `<pipeline>-plan`, from which `pipewright release` creates a
 * run's Jobs. Its data keys: `pipeline.yaml` (the pipeline-wide facts, {@link RunPlanPipeline}) and one
 * `task.<instance id>.yaml` per task instance (a `batch/v1` Job without a name). Both are YAML text written by the
 * one serializer, so a merge request shows them line by line.
 */
import { dnsLabel } from './names.js';

export const PIPELINE_KEY = 'pipeline.yaml';
const TASK_PREFIX = 'task.';
const TASK_SUFFIX = '.yaml';

/** Task instance ids are DNS-1123 labels, which ConfigMap keys (`[-._a-zA-Z0-9]+`) always accept. */
export function taskKey(taskId: string): string {
  return `${TASK_PREFIX}${taskId}${TASK_SUFFIX}`;
}

/** The task id of a `task.<id>.yaml` key, or undefined for any other key. */
export function taskIdOfKey(key: string): string | undefined {
  return key.startsWith(TASK_PREFIX) &&
    key.endsWith(TASK_SUFFIX) &&
    key.length > TASK_PREFIX.length + TASK_SUFFIX.length
    ? key.slice(TASK_PREFIX.length, -TASK_SUFFIX.length)
    : undefined;
}

export function runPlanName(pipeline: string): string {
  return dnsLabel(`${pipeline}-plan`);
}

/** `pipeline.yaml` of a run plan. */
export interface RunPlanPipeline {
  pipeline: string;
  version: string;
  specHash: string;
  /** Repository-relative spec file. */
  source: string;
  schedule?: string;
  timezone: string;
  enabled: boolean;
  catchup: boolean;
  startDate?: string;
  endDate?: string;
  concurrency: number;
  slaSeconds?: number;
  params: { name: string; env: string; default?: string; enum?: string[] }[];
  /** Task instance ids in topological order (each has a `task.<id>.yaml`). */
  tasks: string[];
}
