import type { RuleId, Severity } from './rules.js';

export type { Severity } from './rules.js';
export type Bump = 'major' | 'minor' | 'patch' | 'none';

/**
 * A changed value, typed as in the spec: `retries` is a number, `enabled` a boolean, `command` a list of words,
 * durations and quantities the strings the spec writes. JSON output keeps the type (`"before": 1, "after": 2`).
 */
export type ChangeValue = string | number | boolean | readonly string[];

/** One semantic change at field level, e.g. `tasks.extract.retries: 2 → 3`. Values are rendered as the spec writes them. */
export interface Change {
  /** Dotted path on the pipeline: `tasks.extract.retries`, `params.region.default`, `tasks.load.outputs`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: ChangeValue;
  after?: ChangeValue;
  severity: Severity;
  /** For a change made once for many tasks (`defaults.image`): the tasks it reaches, sorted. */
  tasks?: string[];
  /** The row of the classification table (docs/versioning.md) that decided the severity. */
  rule: RuleId;
  /** A change an override of this environment of pipewright.yaml made (src/history/environments.ts). */
  environment?: string;
  /** With `environment`: whether the version policy counts it (the environment sets `versioned: true`). */
  versioned?: boolean;
}

/** A removed output that another pipeline (or another task of the same one) still reads at head. */
export interface Impact {
  /** The dataset, as rendered template text (`s3://lake/orders/{{ ds }}`). */
  output: string;
  /** The pipeline that reads it at head. */
  pipeline: string;
  /** The reading task instance. */
  task: string;
  /** Spec file of the reading pipeline at head. */
  file: string;
}

export interface PipelineDiff {
  name: string;
  status: 'added' | 'removed' | 'modified';
  /** Spec file at head (at base for a removed pipeline). */
  file: string;
  /** Spec file at base when the pipeline moved to another file. */
  previousFile?: string;
  version: { before?: string; after?: string };
  /** Sorted by path. */
  changes: Change[];
}

export type PolicyVerdict = 'ok' | 'violation';

export interface PipelineReport extends PipelineDiff {
  requiredBump: Bump;
  policy: PolicyVerdict;
  /** Why the policy verdict is a violation (absent when ok). */
  policyReason?: string;
  impacts: Impact[];
}
