import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASSIFICATION_RULES } from '../../src/history/rules.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from './repo.js';
import { SCENARIOS } from './scenarios.js';
import { baseSpec, specYaml } from './specs.js';

/**
 * Every row of the classification table, end to end: one pipeline per rule in a real repository, the edit committed,
 * then `pipewright diff HEAD~1 HEAD --format json`. The scenario table is keyed by rule id, so a new row without a
 * scenario fails the completeness test below.
 */
describe('classification rules on a real repository', () => {
  const repo = new TestRepo();
  const name = (rule: string) => `r-${rule}`;
  let report: {
    pipelines: { name: string; changes: { rule: string; severity: string }[]; requiredBump: string; policy: string }[];
  };

  beforeAll(async () => {
    const base: Record<string, string | null> = {};
    const head: Record<string, string | null> = {};
    for (const [rule, scenario] of Object.entries(SCENARIOS)) {
      const spec = baseSpec(name(rule));
      scenario.base?.(spec);
      base[`pipelines/${name(rule)}.yaml`] = specYaml(spec);
      if (scenario.head === 'delete') head[`pipelines/${name(rule)}.yaml`] = null;
      else {
        scenario.head(spec);
        head[`pipelines/${name(rule)}.yaml`] = specYaml(spec);
      }
    }
    repo.commit('base', base);
    repo.commit('head', head);
    const r = await runCliCapture(['diff', 'HEAD~1', 'HEAD', '--format', 'json'], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    report = JSON.parse(r.stdout);
  });
  afterAll(() => repo.remove());

  it('has a scenario for every row of the table', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(CLASSIFICATION_RULES.map((r) => r.id).sort());
  });

  it.each(CLASSIFICATION_RULES.map((r) => [r.id, r.severity]))('%s → %s', (rule, severity) => {
    const p = report.pipelines.find((x) => x.name === name(rule));
    expect(p, `pipeline ${name(rule)} in the report`).toBeDefined();
    expect(p!.changes.map((c) => c.rule)).toEqual(SCENARIOS[rule as keyof typeof SCENARIOS].rules);
    expect(p!.changes.find((c) => c.rule === rule)?.severity).toBe(severity);
    expect(p!.requiredBump).toBe({ breaking: 'major', minor: 'minor', patch: 'patch' }[severity]);
  });
});
