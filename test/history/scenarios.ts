import type { RuleId } from '../../src/history/rules.js';
import type { PipelineSpec } from '../../src/spec/types.js';

/**
 * One scenario per row of the classification table: a base spec (optionally adjusted) and the edit made at head.
 * `rules` is the exact set of rules the edit must produce (the row under test first).
 */
export interface Scenario {
  base?: (s: PipelineSpec) => void;
  head: ((s: PipelineSpec) => void) | 'delete';
  rules: RuleId[];
}

const t = (s: PipelineSpec, id: string) => s.spec.tasks[id]!;

export const SCENARIOS: Record<RuleId, Scenario> = {
  'pipeline-removed': { head: 'delete', rules: ['pipeline-removed'] },
  'task-removed': { head: (s) => delete s.spec.tasks.quality, rules: ['task-removed'] },
  'output-removed': { head: (s) => t(s, 'load').outputs!.pop(), rules: ['output-removed'] },
  'input-added': {
    head: (s) => t(s, 'extract').inputs!.push('s3://lake/raw/customers/{{ ds }}'),
    rules: ['input-added'],
  },
  'schedule-changed': { head: (s) => (s.spec.schedule = '0 6 * * *'), rules: ['schedule-changed'] },
  'timezone-changed': { head: (s) => (s.spec.timezone = 'UTC'), rules: ['timezone-changed'] },
  'pipeline-disabled': { head: (s) => (s.spec.enabled = false), rules: ['pipeline-disabled'] },
  'start-date-later': { head: (s) => (s.spec.startDate = '2024-06-01'), rules: ['start-date-later'] },
  'end-date-earlier': { head: (s) => (s.spec.endDate = '2029-12-31'), rules: ['end-date-earlier'] },
  'param-removed': { head: (s) => delete s.spec.params!.mode, rules: ['param-removed'] },
  'param-added-required': {
    head: (s) => (s.spec.params!.dataset = { description: 'which dataset' }),
    rules: ['param-added-required'],
  },
  'param-default-changed': { head: (s) => (s.spec.params!.mode!.default = 'delta'), rules: ['param-default-changed'] },
  'param-enum-restricted': { head: (s) => (s.spec.params!.region!.enum = ['eu']), rules: ['param-enum-restricted'] },
  'task-added': {
    head: (s) => (s.spec.tasks.publish = { needs: ['quality'], command: ['python', '-m', 'etl.publish'] }),
    rules: ['task-added'],
  },
  'output-added': { head: (s) => t(s, 'load').outputs!.push('warehouse://analytics.extra'), rules: ['output-added'] },
  'param-added': { head: (s) => (s.spec.params!.limit = { default: '10' }), rules: ['param-added'] },
  'param-default-added': {
    head: (s) => (s.spec.params!.token_scope!.default = 'read'),
    rules: ['param-default-added'],
  },
  'param-enum-widened': { head: (s) => s.spec.params!.region!.enum!.push('ap'), rules: ['param-enum-widened'] },
  'pipeline-enabled': {
    base: (s) => (s.spec.enabled = false),
    head: (s) => (s.spec.enabled = true),
    rules: ['pipeline-enabled'],
  },
  'start-date-earlier': { head: (s) => (s.spec.startDate = '2023-01-01'), rules: ['start-date-earlier'] },
  'end-date-later': { head: (s) => delete s.spec.endDate, rules: ['end-date-later'] },
  'catchup-changed': { head: (s) => (s.spec.catchup = true), rules: ['catchup-changed'] },
  'task-type-changed': { head: (s) => (t(s, 'quality').type = 'task'), rules: ['task-type-changed'] },
  'needs-changed': { head: (s) => (t(s, 'quality').needs = ['load', 'extract']), rules: ['needs-changed'] },
  'image-repository-changed': {
    head: (s) => (t(s, 'extract').image = 'registry.example.com/etl-v2:1.4.2'),
    rules: ['image-repository-changed'],
  },
  'secret-added': {
    head: (s) => (t(s, 'load').secrets = { API_TOKEN: { ref: 'api/token' } }),
    rules: ['secret-added'],
  },
  'secret-ref-changed': {
    head: (s) => (t(s, 'extract').secrets = { WAREHOUSE_PASSWORD: { ref: 'warehouse-v2/password' } }),
    rules: ['secret-ref-changed'],
  },
  'image-tag-changed': {
    head: (s) => (t(s, 'extract').image = 'registry.example.com/etl:1.4.3'),
    rules: ['image-tag-changed'],
  },
  'command-changed': { head: (s) => t(s, 'load').command.push('--full'), rules: ['command-changed'] },
  'working-dir-changed': { head: (s) => (t(s, 'extract').workingDir = '/srv'), rules: ['working-dir-changed'] },
  'env-changed': { head: (s) => (t(s, 'extract').env = { MODE: 'stream' }), rules: ['env-changed'] },
  'secret-removed': { head: (s) => delete t(s, 'extract').secrets, rules: ['secret-removed'] },
  'retries-changed': { head: (s) => (t(s, 'extract').retries = 5), rules: ['retries-changed'] },
  'timeout-changed': { head: (s) => (t(s, 'extract').timeout = '1h'), rules: ['timeout-changed'] },
  'resources-changed': { head: (s) => (t(s, 'load').resources = { cpu: '1' }), rules: ['resources-changed'] },
  'pool-changed': { head: (s) => (t(s, 'extract').pool = 'standard'), rules: ['pool-changed'] },
  'input-removed': { head: (s) => (t(s, 'extract').inputs = []), rules: ['input-removed'] },
  'input-moved': {
    head: (s) => (t(s, 'quality').inputs = [...t(s, 'load').inputs!]),
    rules: ['input-moved'],
  },
  'output-moved': {
    head: (s) => (t(s, 'quality').outputs = [t(s, 'load').outputs!.pop()!]),
    rules: ['output-moved', 'output-moved'],
  },
  'matrix-changed': {
    base: (s) => (t(s, 'quality').matrix = { region: ['eu'] }),
    head: (s) => (t(s, 'quality').matrix = { zone: ['eu'] }),
    rules: ['matrix-changed', 'matrix-changed'],
  },
  'task-spec-id-changed': {
    base: (s) => {
      s.spec.tasks.quality_gate = t(s, 'quality');
      delete s.spec.tasks.quality;
    },
    head: (s) => {
      s.spec.tasks['quality-gate'] = t(s, 'quality_gate');
      delete s.spec.tasks.quality_gate;
    },
    rules: ['task-spec-id-changed'],
  },
  'description-changed': {
    head: (s) => (s.metadata.description = 'Orders and lines into the warehouse'),
    rules: ['description-changed'],
  },
  'owner-changed': { head: (s) => (s.metadata.owner = 'finance'), rules: ['owner-changed'] },
  'labels-changed': { head: (s) => (s.metadata.labels = { domain: 'finance' }), rules: ['labels-changed'] },
  'concurrency-changed': { head: (s) => (s.spec.concurrency = 2), rules: ['concurrency-changed'] },
  'sla-changed': { head: (s) => (s.spec.sla = '3h'), rules: ['sla-changed'] },
};
