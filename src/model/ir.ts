/**
 * PipelineIR: what every later stage (compile, diff, runtime) consumes. Produced by normalizePipeline from a valid
 * spec: defaults applied, matrix expanded, durations/quantities resolved, tasks in a stable topological order.
 * Pure data, JSON-serialisable, deterministic (sorted maps), no source positions (those stay in SpecDocument).
 */

/** A piece of a templated string: literal text or a reference to a run-time variable. */
export type Segment = { text: string } | { ref: RuntimeRef };

/** Template references that survive compilation (matrix refs are resolved at normalize time). */
export type RuntimeRef =
  | { kind: 'builtin'; name: 'ds' | 'ds_nodash' | 'ts' | 'run_id' }
  | { kind: 'param'; name: string };

/** A templated string, e.g. `--date={{ ds }}` = [{text:'--date='},{ref:{kind:'builtin',name:'ds'}}]. */
export type Template = Segment[];

export interface ResourcesIR {
  /** As written (after defaults), for Kubernetes. */
  cpu?: string;
  memory?: string;
  /** Resolved: millicores and bytes. */
  cpuMillis?: number;
  memoryBytes?: number;
}

export interface SecretIR {
  /** Environment variable name inside the task. */
  env: string;
  /** `<secret-name>/<key>` as written. */
  ref: string;
  secretName: string;
  key: string;
}

export interface ParamIR {
  name: string;
  default?: string;
  description?: string;
  enum?: string[];
  /** The environment variable carrying it at run time: PIPEWRIGHT_PARAM_<NAME upper, non-alnum -> _>. */
  envVar: string;
}

export interface TaskIR {
  /** Instance id: normalized base id plus matrix values (`transform-eu`). Stable, DNS-1123 label, unique. */
  id: string;
  /** The id as written in the spec (`transform`). */
  specId: string;
  /** Matrix values of this instance, sorted by key ({} without matrix). */
  matrix: Record<string, string>;
  type: 'task' | 'check';
  description?: string;
  image: string;
  command: Template[];
  workingDir?: string;
  /** Sorted by name. */
  env: { name: string; value: Template }[];
  /** Sorted by env. */
  secrets: SecretIR[];
  /** Instance ids, sorted. */
  needs: string[];
  retries: number;
  retryDelaySeconds: number;
  timeoutSeconds?: number;
  resources: ResourcesIR;
  pool?: string;
  inputs: Template[];
  outputs: Template[];
  /** sha256 (hex) of this task's canonical JSON (without `hash`). */
  hash: string;
}

export interface PipelineIR {
  name: string;
  version: string;
  owner: string;
  description?: string;
  labels: Record<string, string>;
  /** Repository-relative path of the spec, POSIX separators. Not part of the hash. */
  file: string;
  schedule?: string;
  timezone: string;
  enabled: boolean;
  catchup: boolean;
  startDate?: string;
  endDate?: string;
  concurrency: number;
  slaSeconds?: number;
  params: ParamIR[];
  /** Topological order; ties broken by id. */
  tasks: TaskIR[];
  /** Set when compiled for an environment of pipewright.yaml (absent otherwise, so the IR is unchanged). */
  environment?: EnvironmentIR;
  /** sha256 (hex) of the canonical JSON of the whole IR without `file` and `specHash`. */
  specHash: string;
}

/** Where an environment deploys (docs/environments.md). */
export interface EnvironmentIR {
  name: string;
  /** Kubernetes namespace of every object. */
  namespace?: string;
  /** Image of the Kubernetes runner. */
  runnerImage?: string;
}

/**
 * A pipeline without its tasks: what project-wide outputs (the GitLab parent pipeline) and project summaries are built
 * from. Small, so a warm compile can link a whole project from its cache without loading every task.
 */
export type PipelineHeader = Omit<PipelineIR, 'tasks'>;

export function pipelineHeader(ir: PipelineIR): PipelineHeader {
  const { tasks: _tasks, ...header } = ir;
  return header;
}

/** Names of the run-time environment variables carrying built-ins. */
export const BUILTIN_ENV: Record<'ds' | 'ds_nodash' | 'ts' | 'run_id', string> = {
  ds: 'PIPEWRIGHT_DS',
  ds_nodash: 'PIPEWRIGHT_DS_NODASH',
  ts: 'PIPEWRIGHT_TS',
  run_id: 'PIPEWRIGHT_RUN_ID',
};
