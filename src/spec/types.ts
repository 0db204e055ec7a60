/**
 * The pipewright spec language, v1. These types are the single source of truth: `npm run schema` generates
 * schema/pipeline.schema.json from them with typescript-json-schema (strict: no extra properties anywhere).
 * JSDoc tags (@pattern, @minimum, @examples …) become schema keywords and editor hints. Every property has a
 * description (editors show it on hover and completion); every @pattern has a @patternErrorMessage (what validate and
 * editors print instead of the raw regex; it starts with "must"); enums carry @enumDescriptions in the schema's enum
 * order (sorted).
 */

/**
 * A pipeline: a DAG of containerised tasks with a schedule, owned by a team and versioned with semver.
 * @title pipewright Pipeline
 */
export interface PipelineSpec {
  /**
   * Spec language version: always `pipewright.dev/v1`.
   * @markdownDescription Spec language version: always `pipewright.dev/v1`.
   */
  apiVersion: 'pipewright.dev/v1';
  /**
   * What this file describes: always `Pipeline`.
   * @markdownDescription What this file describes: always `Pipeline`.
   */
  kind: 'Pipeline';
  /** Identity of the pipeline: name, version, owner, labels. */
  metadata: PipelineMetadata;
  /** What the pipeline does: its schedule, defaults, params and the tasks of its DAG. */
  spec: PipelineBody;
}

/** Identity of the pipeline: name, version, owner, labels. */
export interface PipelineMetadata {
  /**
   * Pipeline identity across the repository and across Git history (renaming the file keeps the identity).
   * A DNS-1123 label: lowercase letters, digits and '-', starting with a letter, at most 63 characters.
   * @pattern ^[a-z]([-a-z0-9]*[a-z0-9])?$
   * @patternErrorMessage must be lowercase letters, digits and '-', starting with a letter and not ending with '-', e.g. daily-orders
   * @maxLength 63
   * @examples ["daily-orders"]
   */
  name: string;
  /**
   * Semantic version of the pipeline contract (outputs, params, schedule). Quote-free YAML like `1.10` is a number
   * and is rejected: versions are strings.
   * @markdownDescription Semantic version (`MAJOR.MINOR.PATCH`) of the pipeline contract: outputs, params, schedule.
   * `pipewright diff` says which bump a change needs. Write it quoted, `"1.10.0"`: unquoted `1.10` is a number.
   * @patternErrorMessage must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.4.0
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
  /**
   * What the pipeline is for, in a sentence or two.
   * @maxLength 2000
   */
  description?: string;
  /** Free-form labels copied onto every generated resource (keys and values are strings). */
  labels?: { [key: string]: LabelValue };
}

/**
 * A label value (Kubernetes rules): letters, digits, '-', '_' and '.', at most 63 characters.
 * @pattern ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$
 * @patternErrorMessage must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit, e.g. analytics
 * @maxLength 63
 */
export type LabelValue = string;

/** What the pipeline does: its schedule, defaults, params and the tasks of its DAG. */
export interface PipelineBody {
  /**
   * When the pipeline runs: a 5-field cron expression or one of `@hourly`, `@daily`, `@weekly`, `@monthly`.
   * Omit for a manually triggered pipeline.
   * @markdownDescription When the pipeline runs: a 5-field cron expression (`minute hour day-of-month month
   * day-of-week`) or one of `@hourly`, `@daily`, `@weekly`, `@monthly`. Omit it for a manually triggered pipeline.
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
   * @patternErrorMessage must be a date YYYY-MM-DD, e.g. 2024-01-01
   * @examples ["2024-01-01"]
   */
  startDate?: string;
  /**
   * Last logical date (YYYY-MM-DD), inclusive.
   * @pattern ^\d{4}-\d{2}-\d{2}$
   * @patternErrorMessage must be a date YYYY-MM-DD, e.g. 2024-12-31
   * @examples ["2024-12-31"]
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
 * @patternErrorMessage must be a duration: number+unit groups with units s, m, h, d, e.g. 30s, 10m, 1h30m
 * @examples ["30s", "10m", "1h30m"]
 */
export type Duration = string;

/**
 * A Kubernetes-style CPU quantity: cores ("1", "0.5") or millicores ("500m").
 * @pattern ^([0-9]+(\.[0-9]+)?|[0-9]+m)$
 * @patternErrorMessage must be a CPU quantity: cores (1, 0.5) or millicores (500m)
 * @examples ["500m", "1"]
 */
export type CpuQuantity = string;

/**
 * A Kubernetes-style memory quantity: bytes with an optional suffix (Ki, Mi, Gi, Ti, K, M, G, T).
 * @pattern ^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$
 * @patternErrorMessage must be a memory quantity: a number with an optional suffix Ki, Mi, Gi, Ti, K, M, G or T, e.g. 512Mi
 * @examples ["512Mi", "1Gi"]
 */
export type MemoryQuantity = string;

/** CPU and memory a task requests (and is limited to) on targets that support it. */
export interface Resources {
  /** CPU: cores ("1", "0.5") or millicores ("500m"). */
  cpu?: CpuQuantity;
  /** Memory: bytes with an optional suffix, e.g. "512Mi", "1Gi". */
  memory?: MemoryQuantity;
}

/**
 * Environment variable name.
 * @pattern ^[A-Za-z_][A-Za-z0-9_]*$
 * @patternErrorMessage must be letters, digits and '_', not starting with a digit, e.g. WAREHOUSE_URL
 */
export type EnvName = string;

/**
 * The value of an environment variable: plain configuration, may contain templates such as {{ ds }}. Never a secret
 * value: use `secrets` with a reference instead.
 */
export type EnvValue = string;

/** Values every task inherits unless it sets its own. */
export interface TaskDefaults {
  /** Default container image: a pinned tag or an `@sha256` digest (never latest). */
  image?: string;
  /**
   * Default number of retries after a failed attempt (0 to 10).
   * @TJS-type integer
   * @minimum 0
   * @maximum 10
   */
  retries?: number;
  /** Default wait between attempts: a duration such as 30s, 5m. */
  retryDelay?: Duration;
  /** Default time an attempt may run before it is stopped: a duration such as 10m, 1h. */
  timeout?: Duration;
  /** Default CPU and memory of every task. */
  resources?: Resources;
  /** Environment variables (plain configuration; never secret values: use `secrets`). */
  env?: { [name: string]: EnvValue };
  /** Node pool (Kubernetes nodeSelector) / runner tag (GitLab). */
  pool?: PoolName;
}

/**
 * A node pool / runner tag name.
 * @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
 * @patternErrorMessage must be lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. etl-large
 * @maxLength 63
 */
export type PoolName = string;

/** Where a secret comes from: a reference into the platform's secret store, never the value. */
export interface SecretRef {
  /**
   * Reference to a secret in the platform's store: `<secret-name>/<key>` (Kubernetes Secret name and key; GitLab CI/CD
   * variable and Compose secret names are derived from it). Never a value.
   * @markdownDescription Reference to a secret in the platform's store: `<secret-name>/<key>`. Kubernetes reads key
   * `<key>` of Secret `<secret-name>`; GitLab CI/CD variable and Compose secret names are derived from it. Never a value.
   * @pattern ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[-._a-zA-Z0-9]+$
   * @patternErrorMessage must be a secret reference <secret-name>/<key> (lowercase secret name), e.g. warehouse/password
   * @examples ["warehouse/password"]
   */
  ref: string;
}

/** A run parameter: its default (omit to make it required), description and allowed values. */
export interface ParamSpec {
  /** Default value, used when a run does not pass the parameter. Omit to make the parameter required. */
  default?: string;
  /**
   * What the parameter means (shown by tooling).
   * @maxLength 500
   */
  description?: string;
  /**
   * Allowed values: a run with any other value is refused.
   * @minItems 1
   */
  enum?: string[];
}

/** One task of the DAG: a container image and the argv it runs, with its dependencies, retries and resources. */
export interface TaskSpec {
  /**
   * `task` runs work; `check` is a data-quality gate: its failure blocks everything downstream and is reported as such.
   * @markdownDescription `task` runs work; `check` is a data-quality gate: its failure blocks everything downstream
   * and is reported as a failed check.
   * @default "task"
   * @enumDescriptions ["A data-quality gate: its failure blocks everything downstream and is reported as a failed check.", "Runs work (the default)."]
   * @markdownEnumDescriptions ["A data-quality **gate**: its failure blocks everything downstream and is reported as a failed check.", "Runs work (the default)."]
   */
  type?: 'task' | 'check';
  /**
   * What the task does, in a sentence or two.
   * @maxLength 2000
   */
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
  env?: { [name: string]: EnvValue };
  /** Environment variable -> secret reference. The value is injected at run time and never written anywhere. */
  secrets?: { [name: string]: SecretRef };
  /** Ids of tasks that must succeed first. Needing a matrix task waits for all its instances. */
  needs?: string[];
  /**
   * Retries after a failed attempt (0 to 10). Falls back to defaults.retries, else 0.
   * @TJS-type integer
   * @minimum 0
   * @maximum 10
   */
  retries?: number;
  /** Wait between attempts: a duration such as 30s, 5m. Falls back to defaults.retryDelay. */
  retryDelay?: Duration;
  /** Time an attempt may run before it is stopped: a duration such as 10m, 1h. Falls back to defaults.timeout. */
  timeout?: Duration;
  /** CPU and memory of this task. Falls back to defaults.resources. */
  resources?: Resources;
  /** Node pool (Kubernetes nodeSelector) / runner tag (GitLab). Falls back to defaults.pool. */
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
 * The values of one matrix key (1 to 200).
 * @minItems 1
 * @maxItems 200
 */
export type MatrixValues = MatrixValue[];

/**
 * One matrix value: letters, digits, '-', '_' and '.'.
 * @pattern ^[A-Za-z0-9][-A-Za-z0-9_.]*$
 * @patternErrorMessage must be letters, digits, '-', '_' and '.', starting with a letter or digit, e.g. eu-west-1
 * @maxLength 63
 */
export type MatrixValue = string;
