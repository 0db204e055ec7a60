/**
 * The pipewright spec language, v1. These types are the single source of truth: `npm run schema` generates
 * schema/pipeline.schema.json from them with typescript-json-schema (strict: no extra properties anywhere).
 * JSDoc tags (@pattern, @minimum, @examples …) become schema keywords and editor hints.
 */

/**
 * A pipeline: a DAG of containerised tasks with a schedule, owned by a team and versioned with semver.
 * @title pipewright Pipeline
 */
export interface PipelineSpec {
  /** Spec language version. */
  apiVersion: 'pipewright.dev/v1';
  kind: 'Pipeline';
  metadata: PipelineMetadata;
  spec: PipelineBody;
}

export interface PipelineMetadata {
  /**
   * Pipeline identity across the repository and across Git history (renaming the file keeps the identity).
   * A DNS-1123 label: lowercase letters, digits and '-', starting with a letter, at most 63 characters.
   * @pattern ^[a-z]([-a-z0-9]*[a-z0-9])?$
   * @maxLength 63
   * @examples ["daily-orders"]
   */
  name: string;
  /**
   * Semantic version of the pipeline contract (outputs, params, schedule). Quote-free YAML like `1.10` is a number
   * and is rejected: versions are strings.
   * @pattern ^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$
   * @examples ["1.4.0"]
   */
  version: string;
  /**
   * Owning team.
   * @minLength 1
   * @maxLength 100
   * @examples ["analytics"]
   */
  owner: string;
  /** @maxLength 2000 */
  description?: string;
  /** Free-form labels copied onto every generated resource (keys and values are strings). */
  labels?: { [key: string]: LabelValue };
}

/**
 * @pattern ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$
 * @maxLength 63
 */
export type LabelValue = string;

export interface PipelineBody {
  /**
   * When the pipeline runs: a 5-field cron expression or one of `@hourly`, `@daily`, `@weekly`, `@monthly`.
   * Omit for a manually triggered pipeline.
   * @examples ["0 5 * * *", "@daily"]
   */
  schedule?: string;
  /**
   * IANA time zone the schedule is evaluated in.
   * @default "UTC"
   * @examples ["Europe/Berlin"]
   */
  timezone?: string;
  /**
   * Feature flag: a disabled pipeline is compiled but never scheduled.
   * @default true
   */
  enabled?: boolean;
  /**
   * Whether missed schedule intervals since startDate are run (backfilled) automatically.
   * @default false
   */
  catchup?: boolean;
  /**
   * First logical date (YYYY-MM-DD). Write it as a string: YAML dates are not timestamps here.
   * @pattern ^\d{4}-\d{2}-\d{2}$
   * @examples ["2024-01-01"]
   */
  startDate?: string;
  /**
   * Last logical date (YYYY-MM-DD), inclusive.
   * @pattern ^\d{4}-\d{2}-\d{2}$
   */
  endDate?: string;
  /**
   * Maximum number of active runs of this pipeline.
   * @TJS-type integer
   * @minimum 1
   * @maximum 100
   * @default 1
   */
  concurrency?: number;
  /**
   * Service level: from the scheduled time to success. A duration such as 30m, 2h, 1h30m.
   * @examples ["2h"]
   */
  sla?: Duration;
  /** Values every task inherits unless it sets its own. */
  defaults?: TaskDefaults;
  /** Run parameters, referenced as {{ params.NAME }}. Built-ins {{ ds }}, {{ ds_nodash }}, {{ ts }}, {{ run_id }} always exist. */
  params?: { [name: string]: ParamSpec };
  /**
   * The tasks of the DAG, by id. Ids: letters, digits, '-' and '_', starting with a letter.
   * @minProperties 1
   */
  tasks: { [id: string]: TaskSpec };
}

/**
 * A duration: one or more number+unit groups, units s, m, h, d (e.g. 30s, 10m, 1h30m, 2d).
 * @pattern ^([0-9]+[smhd])+$
 * @examples ["30s", "10m", "1h30m"]
 */
export type Duration = string;

/**
 * A Kubernetes-style CPU quantity: cores ("1", "0.5") or millicores ("500m").
 * @pattern ^([0-9]+(\.[0-9]+)?|[0-9]+m)$
 * @examples ["500m", "1"]
 */
export type CpuQuantity = string;

/**
 * A Kubernetes-style memory quantity: bytes with an optional suffix (Ki, Mi, Gi, Ti, K, M, G, T).
 * @pattern ^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$
 * @examples ["512Mi", "1Gi"]
 */
export type MemoryQuantity = string;

export interface Resources {
  cpu?: CpuQuantity;
  memory?: MemoryQuantity;
}

/**
 * Environment variable name.
 * @pattern ^[A-Za-z_][A-Za-z0-9_]*$
 */
export type EnvName = string;

export interface TaskDefaults {
  /** Default container image: a pinned tag or an `@sha256` digest (never latest). */
  image?: string;
  /**
   * @TJS-type integer
   * @minimum 0
   * @maximum 10
   */
  retries?: number;
  retryDelay?: Duration;
  timeout?: Duration;
  resources?: Resources;
  /** Environment variables (plain configuration; never secret values: use `secrets`). */
  env?: { [name: string]: string };
  /** Node pool (Kubernetes nodeSelector) / runner tag (GitLab). */
  pool?: PoolName;
}

/**
 * @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
 * @maxLength 63
 */
export type PoolName = string;

export interface SecretRef {
  /**
   * Reference to a secret in the platform's store: `<secret-name>/<key>` (Kubernetes Secret name and key; GitLab CI/CD
   * variable and Compose secret names are derived from it). Never a value.
   * @pattern ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[-._a-zA-Z0-9]+$
   * @examples ["warehouse/password"]
   */
  ref: string;
}

export interface ParamSpec {
  /** Default value, used when a run does not pass the parameter. Omit to make the parameter required. */
  default?: string;
  /** @maxLength 500 */
  description?: string;
  /**
   * Allowed values.
   * @minItems 1
   */
  enum?: string[];
}

export interface TaskSpec {
  /**
   * `task` runs work; `check` is a data-quality gate: its failure blocks everything downstream and is reported as such.
   * @default "task"
   */
  type?: 'task' | 'check';
  /** @maxLength 2000 */
  description?: string;
  /** Container image: a pinned tag or `@sha256` digest. Falls back to defaults.image. */
  image?: string;
  /**
   * The argv the container runs (no shell). Words may contain templates: {{ ds }}, {{ params.region }}, {{ matrix.region }}.
   * @minItems 1
   * @examples [["python", "-m", "etl.extract", "--date", "{{ ds }}"]]
   */
  command: string[];
  /** Working directory inside the container. */
  workingDir?: string;
  /** Environment variables; values may contain templates. Never secret values: use `secrets`. */
  env?: { [name: string]: string };
  /** Environment variable -> secret reference. The value is injected at run time and never written anywhere. */
  secrets?: { [name: string]: SecretRef };
  /** Ids of tasks that must succeed first. Needing a matrix task waits for all its instances. */
  needs?: string[];
  /**
   * @TJS-type integer
   * @minimum 0
   * @maximum 10
   */
  retries?: number;
  retryDelay?: Duration;
  timeout?: Duration;
  resources?: Resources;
  pool?: PoolName;
  /** Datasets read (lineage), e.g. s3://lake/raw/orders/{{ ds }}. */
  inputs?: string[];
  /** Datasets written (lineage), e.g. warehouse://analytics.orders. */
  outputs?: string[];
  /**
   * Fan-out: one task instance per combination of values, referenced as {{ matrix.KEY }}.
   * Matrix keys: lowercase identifiers; values: strings without template braces.
   */
  matrix?: { [key: string]: MatrixValues };
}

/**
 * @minItems 1
 * @maxItems 200
 */
export type MatrixValues = MatrixValue[];

/**
 * @pattern ^[A-Za-z0-9][-A-Za-z0-9_.]*$
 * @maxLength 63
 */
export type MatrixValue = string;
