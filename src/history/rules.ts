/**
 * The classification rule table: the single source of truth for how a semantic change affects a pipeline's version.
 * docs/versioning.md shows this table verbatim (test/history/rules-doc.test.ts fails when they drift) and every row
 * has a scenario in test/history/classification.test.ts run against a real git repository.
 *
 * The contract of a pipeline is what others rely on: the datasets it writes and reads, its parameters, and when it
 * runs. Breaking = a consumer or caller must change something, or data that used to be produced is not any more.
 * Minor = new capability or behaviour, nothing existing breaks. Patch = how the work is done, not what it promises.
 */

export type Severity = 'breaking' | 'minor' | 'patch';

export interface ClassificationRule {
  id: string;
  severity: Severity;
  /** When the rule applies, as shown in the docs table. */
  when: string;
}

export const CLASSIFICATION_RULES = [
  {
    id: 'pipeline-removed',
    severity: 'breaking',
    when: 'a pipeline is removed (no spec at head has its `metadata.name`)',
  },
  { id: 'task-removed', severity: 'breaking', when: 'a task instance is removed (renaming a task = removed + added)' },
  {
    id: 'output-removed',
    severity: 'breaking',
    when: 'a dataset is no longer written by any task of the pipeline (renaming an output = removed + added)',
  },
  {
    id: 'input-added',
    severity: 'breaking',
    when: 'a task reads a dataset the pipeline did not read before (a new upstream dependency)',
  },
  { id: 'schedule-changed', severity: 'breaking', when: '`schedule` added, removed or changed' },
  { id: 'timezone-changed', severity: 'breaking', when: '`timezone` changed' },
  { id: 'pipeline-disabled', severity: 'breaking', when: '`enabled` went from true to false' },
  {
    id: 'start-date-later',
    severity: 'breaking',
    when: '`startDate` added or moved later (intervals that used to run no longer do)',
  },
  { id: 'end-date-earlier', severity: 'breaking', when: '`endDate` added or moved earlier' },
  { id: 'param-removed', severity: 'breaking', when: 'a parameter is removed' },
  {
    id: 'param-added-required',
    severity: 'breaking',
    when: 'a parameter without a default is added (every caller must now pass it)',
  },
  { id: 'param-default-changed', severity: 'breaking', when: "a parameter's default is changed or removed" },
  {
    id: 'param-enum-restricted',
    severity: 'breaking',
    when: 'a parameter gains an `enum`, or an allowed value is removed',
  },
  { id: 'task-added', severity: 'minor', when: 'a task instance is added (including a new matrix value)' },
  { id: 'output-added', severity: 'minor', when: 'a task writes a dataset the pipeline did not write before' },
  { id: 'param-added', severity: 'minor', when: 'a parameter with a default is added' },
  { id: 'param-default-added', severity: 'minor', when: 'a required parameter gets a default' },
  { id: 'param-enum-widened', severity: 'minor', when: 'a parameter loses its `enum`, or an allowed value is added' },
  { id: 'pipeline-enabled', severity: 'minor', when: '`enabled` went from false to true' },
  { id: 'start-date-earlier', severity: 'minor', when: '`startDate` removed or moved earlier' },
  { id: 'end-date-later', severity: 'minor', when: '`endDate` removed or moved later' },
  { id: 'catchup-changed', severity: 'minor', when: '`catchup` changed' },
  { id: 'task-type-changed', severity: 'minor', when: 'a task became a check or a check became a task' },
  { id: 'needs-changed', severity: 'minor', when: 'a `needs` edge is added or removed (the DAG changes shape)' },
  { id: 'image-repository-changed', severity: 'minor', when: "a task's image points at another repository" },
  {
    id: 'secret-added',
    severity: 'minor',
    when: 'a secret reference is added (it must exist in the store before deploying)',
  },
  { id: 'secret-ref-changed', severity: 'minor', when: "a secret's reference changed" },
  { id: 'image-tag-changed', severity: 'patch', when: "a task's image tag or digest changed (same repository)" },
  { id: 'command-changed', severity: 'patch', when: "a task's command changed" },
  { id: 'working-dir-changed', severity: 'patch', when: "a task's `workingDir` changed" },
  { id: 'env-changed', severity: 'patch', when: 'an environment variable is added, removed or changed' },
  { id: 'secret-removed', severity: 'patch', when: 'a secret reference is removed' },
  { id: 'retries-changed', severity: 'patch', when: '`retries` or `retryDelay` changed' },
  { id: 'timeout-changed', severity: 'patch', when: '`timeout` added, removed or changed' },
  {
    id: 'resources-changed',
    severity: 'patch',
    when: '`resources.cpu` or `resources.memory` changed (compared resolved: `1` = `1000m`)',
  },
  { id: 'pool-changed', severity: 'patch', when: '`pool` changed' },
  { id: 'input-removed', severity: 'patch', when: 'a task no longer reads a dataset' },
  { id: 'input-moved', severity: 'patch', when: 'a task reads a dataset another task of the pipeline already read' },
  {
    id: 'output-moved',
    severity: 'patch',
    when: 'a dataset moved from one task to another; the pipeline still writes it',
  },
  {
    id: 'matrix-changed',
    severity: 'patch',
    when: "a task instance's matrix keys changed while its id stayed the same (`{region: eu}` → `{zone: eu}`)",
  },
  {
    id: 'task-spec-id-changed',
    severity: 'patch',
    when: 'a task id is respelled to the same normalized id (`load_orders` → `load-orders`)',
  },
  { id: 'description-changed', severity: 'patch', when: 'a pipeline, task or parameter description changed' },
  { id: 'owner-changed', severity: 'patch', when: '`metadata.owner` changed' },
  { id: 'labels-changed', severity: 'patch', when: 'a label is added, removed or changed' },
  { id: 'concurrency-changed', severity: 'patch', when: '`concurrency` changed' },
  { id: 'sla-changed', severity: 'patch', when: '`sla` added, removed or changed' },
] as const satisfies readonly ClassificationRule[];

export type RuleId = (typeof CLASSIFICATION_RULES)[number]['id'];

const BY_ID = new Map<string, ClassificationRule>(CLASSIFICATION_RULES.map((r) => [r.id, r]));

export function severityOf(rule: RuleId): Severity {
  return BY_ID.get(rule)!.severity;
}
