/**
 * The project configuration file, `pipewright.yaml` at the project root. These types are the single source of truth:
 * `npm run schema` generates schema/config.schema.json from them (strict: an unknown key anywhere is an error).
 *
 * The file is versioned like a spec (`apiVersion` + `kind`) and grows by adding top-level sections: project-wide
 * settings go at the top level, per-pipeline settings under `pipelines.<name>`.
 */

/**
 * Project settings for pipewright (`pipewright.yaml` at the project root). Documented in docs/config.md.
 * @title pipewright Project
 */
export interface ProjectConfig {
  /** Configuration language version. */
  apiVersion: 'pipewright.dev/v1';
  /** Always `Project`: this file configures the project the pipelines belong to. */
  kind: 'Project';
  /**
   * Level of each adjustable diagnostic code for the whole project: `off` (not reported), `warn` (reported, does not
   * fail) or `error` (fails validate/compile/check). Only codes that are warnings by default can be set; an error
   * stays an error.
   * @examples [{"PW303": "off", "PW209": "error"}]
   */
  diagnostics?: DiagnosticLevels;
  /**
   * Settings of single pipelines, by `metadata.name`; they take precedence over the project-wide ones.
   * @examples [{"daily-orders": {"diagnostics": {"PW302": "off"}}}]
   */
  pipelines?: { [name: string]: PipelineSettings };
  /**
   * OpenLineage events of `pipewright run` (docs/observability.md). The standard OpenLineage environment variables
   * (OPENLINEAGE_URL, OPENLINEAGE__TRANSPORT__TYPE, …) override these settings.
   * @examples [{"namespace": "acme-pipelines", "transport": {"type": "http", "url": "http://marquez:5000"}}]
   */
  lineage?: LineageSettings;
  /**
   * Threads of `validate`, `compile`, `check` and `changelog` for their per-spec work, when `--jobs` is not given (the
   * flag wins): a whole number (1 = the main thread only) or `auto` (the default: one per available CPU once the
   * specs are large enough to gain from it). Outputs are the same bytes whatever the number.
   * @examples [1, 2, "auto"]
   */
  jobs?: JobsSetting;
  /** Settings of the Kubernetes target (docs/kubernetes.md). */
  kubernetes?: KubernetesSettings;
  /** Defaults of `pipewright reconcile` (flags win). Documented in docs/reconcile.md. */
  reconcile?: ReconcileSettings;
  /**
   * Environments (dev, staging, prod, …) by name, each with overrides applied on top of the specs
   * (docs/environments.md). With environments, `compile` writes `generated/<env>/<target>/…`; commands take `--env`.
   * @examples [{"dev": {"namespace": "pipelines-dev", "overrides": {"resources": {"memory": "256Mi"}}}, "prod": {"pipelines": {"daily-orders": {"overrides": {"image": "ghcr.io/acme/orders:1.4.2"}}}}}]
   */
  environments?: { [name: EnvironmentName]: EnvironmentSettings };
}

/** `auto`, or a number of threads (the schema requires a whole number of at least 1, see scripts/gen-schema.mjs). */
export type JobsSetting = 'auto' | JobCount;

/**
 * A number of threads.
 * @TJS-type integer
 * @minimum 1
 */
export type JobCount = number;

/**
 * An environment name: a directory below generated/ and part of Kubernetes names, so lowercase and DNS-friendly.
 * @pattern ^[a-z]([-a-z0-9]*[a-z0-9])?$
 * @maxLength 30
 */
export type EnvironmentName = string;

/** One environment: where it deploys and what it changes in the specs. Later layers win: extends < global < pipeline < task. */
export interface EnvironmentSettings {
  /** Another environment whose settings this one starts from (its own settings win). Cycles are an error. */
  extends?: string;
  /** Kubernetes namespace every object of this environment is created in. */
  namespace?: string;
  /** Prefix put in front of every secret name (`prod-` turns `warehouse/password` into `prod-warehouse/password`). */
  secretPrefix?: string;
  /** Image of the Kubernetes CronJob's runner (default: pipewright at this version). */
  runnerImage?: string;
  /**
   * Changes of this environment's overrides count for the version policy like the same change in the spec: a new
   * image tag in prod needs the patch bump a new tag in the spec needs (`pipewright diff`, docs/versioning.md). Not
   * inherited through `extends`.
   */
  versioned?: boolean;
  /** Overrides of every pipeline and task of the project. */
  overrides?: PipelineOverrides;
  /** Overrides of single pipelines, by `metadata.name` (a name no spec defines is an error). */
  pipelines?: { [name: string]: PipelineEnvironmentSettings };
}

/** Overrides of one pipeline in one environment. */
export interface PipelineEnvironmentSettings {
  /** Overrides of this pipeline and all its tasks. */
  overrides?: PipelineOverrides;
  /** Overrides of single tasks, by task id as written in the spec (an unknown id is an error). */
  tasks?: { [id: string]: TaskOverrides };
}

/** What an environment may change in a task (replaces the task's own value and spec.defaults). */
export interface TaskOverrides {
  /** The whole image reference (a pinned tag or an @sha256 digest). Not together with `imageTag`. */
  image?: string;
  /** Only the tag (`1.4.2`) or digest (`sha256:…`) of the image the spec names. Not together with `image`. */
  imageTag?: string;
  /** Environment variables merged over the spec's (plain configuration, never secret values). */
  env?: { [name: string]: string };
  /** CPU and memory, merged over the spec's. */
  resources?: { cpu?: string; memory?: string };
  /** Node pool / runner tag. */
  pool?: string;
  /**
   * Retries after a failed attempt.
   * @TJS-type integer
   */
  retries?: number;
  /** Wait between attempts (a duration such as 30s). */
  retryDelay?: string;
  /** Time an attempt may run (a duration such as 1h). */
  timeout?: string;
}

/** What an environment may change in a pipeline (and in every task of it). */
export interface PipelineOverrides extends TaskOverrides {
  /** Whether the schedule is active in this environment (a feature flag that leaves the spec alone). */
  enabled?: boolean;
  /** Cron expression (5 fields). */
  schedule?: string;
  /** IANA time zone of the schedule. */
  timezone?: string;
  /** New default values of declared params, by param name (an undeclared param is an error). */
  params?: { [name: string]: string };
}

/** Settings of the Kubernetes target. */
export interface KubernetesSettings {
  /**
   * The image the CronJob's runner (`pipewright release`) runs: build it with the repository's Dockerfile and push
   * it where the cluster pulls from. Default `localhost/pipewright:<pipewright version>`.
   * @pattern ^[^\s$]+$
   * @examples ["registry.example.com/data/pipewright:0.1.0"]
   */
  runnerImage?: string;
}

/** Where and how OpenLineage run events are sent. */
export interface LineageSettings {
  /** OpenLineage job namespace of the pipelines' jobs (default `pipewright`; env OPENLINEAGE_NAMESPACE). */
  namespace?: string;
  /**
   * Web URL of the repository (e.g. https://github.com/acme/pipelines): the source code location facet then links
   * to the spec at the run's commit.
   */
  repositoryUrl?: string;
  /** The transport, as OpenLineage clients name them: console, file or http. */
  transport?: LineageTransport;
}

export type LineageTransport = LineageConsoleTransport | LineageFileTransport | LineageHttpTransport;

/** One JSON event per line on stderr. */
export interface LineageConsoleTransport {
  type: 'console';
}

/** JSON lines appended to a file. */
export interface LineageFileTransport {
  type: 'file';
  /** The file, relative to the project root (env OPENLINEAGE__TRANSPORT__LOG_FILE_PATH). */
  logFilePath: string;
}

/** POST each event to an OpenLineage endpoint (Marquez, DataHub, …). */
export interface LineageHttpTransport {
  type: 'http';
  /** Base URL, e.g. http://marquez:5000 (env OPENLINEAGE_URL). */
  url: string;
  /** Path of the lineage API (default `api/v1/lineage`; env OPENLINEAGE_ENDPOINT). */
  endpoint?: string;
  /**
   * Seconds per attempt (default 5).
   * @minimum 0.1
   * @maximum 60
   */
  timeout?: number;
  /**
   * Retries after a failed attempt (default 2), with exponential back-off from 0.5 s.
   * @minimum 0
   * @maximum 5
   * @TJS-type integer
   */
  retries?: number;
  /**
   * Environment variable holding the API key sent as a bearer token (default OPENLINEAGE_API_KEY). The key itself
   * never goes in this file.
   * @pattern ^[A-Z_][A-Z0-9_]*$
   * @patternErrorMessage must be an environment variable name: upper-case letters, digits and '_', e.g. OPENLINEAGE_API_KEY
   */
  apiKeyEnv?: string;
}

/** Settings of the `pipewright reconcile` daemon. */
export interface ReconcileSettings {
  /**
   * Repository to follow: a local path (relative to the project root) or a remote URL (https, ssh, git, file).
   * @examples ["https://gitlab.example.com/data/pipelines.git"]
   */
  repo?: string;
  /**
   * Branch, tag or full commit id to follow.
   * @examples ["main"]
   */
  ref?: string;
  /**
   * Time between git fetches, e.g. 30s, 5m.
   * @pattern ^([0-9]+[smhd])+$
   */
  interval?: string;
  /** Target reconciled from the followed commit. */
  target?: 'docker' | 'kubernetes' | 'k8s';
  /** --target kubernetes: namespace to reconcile (default: the kubeconfig context's namespace, else default). */
  namespace?: string;
  /** --target kubernetes: kubeconfig context (default: its current-context). */
  context?: string;
  /**
   * Environment of `environments:` whose artifacts are served: generated/<env>/compose (docker) or
   * generated/<env>/k8s (kubernetes, into the environment's namespace, as `apply --env`).
   */
  env?: EnvironmentName;
  /**
   * HTTP address host:port (loopback by default).
   * @examples ["127.0.0.1:9464"]
   */
  listen?: string;
  /** Directory of the daemon's state, relative to the project root. */
  stateDir?: string;
  /**
   * How long SIGTERM waits for running tasks, e.g. 30s.
   * @pattern ^([0-9]+[smhd])+$
   */
  grace?: string;
  /** Log lines: `text` (human) or `json` (one JSON object per line). */
  logFormat?: 'text' | 'json';
  /**
   * Catch-up runs recorded per pipeline and cycle.
   * @TJS-type integer
   * @minimum 1
   * @maximum 100000
   */
  maxCatchup?: number;
}

/** Settings of one pipeline. */
export interface PipelineSettings {
  /** Levels of diagnostic codes for this pipeline only (same values as the project-wide `diagnostics`). */
  diagnostics?: DiagnosticLevels;
}

/**
 * `off`: not reported; `warn`: reported as a warning (exit status unaffected); `error`: reported as an error.
 */
export type DiagnosticLevel = 'off' | 'warn' | 'error';

/**
 * The codes a project may adjust: those reported as warnings by default (docs/diagnostics.md). Keep in sync with
 * ADJUSTABLE_CODES in src/config/levels.ts (a test compares them).
 */
export type AdjustableCode =
  | 'PW102'
  | 'PW207'
  | 'PW209'
  | 'PW216'
  | 'PW220'
  | 'PW301'
  | 'PW302'
  | 'PW303'
  | 'PW304'
  | 'PW305';

/** Diagnostic code → level. */
export type DiagnosticLevels = { [code in AdjustableCode]?: DiagnosticLevel };
