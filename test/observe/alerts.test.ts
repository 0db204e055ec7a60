import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PipewrightMetrics } from '../../src/observe/metrics.js';
import { promtool } from './promtool.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RULES = join(ROOT, 'observability', 'prometheus', 'alerts.yml');
const RULE_TESTS = join(ROOT, 'observability', 'prometheus', 'alerts.test.yml');
const DASHBOARD = join(ROOT, 'observability', 'grafana', 'pipewright.json');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-obs-rules-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
const rules = (): Rule[] =>
  (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

/** Metric names an expression references (identifiers followed by `{`, `[`, `)` , space or end, prefixed pipewright_). */
const metricNames = (expr: string) => [...expr.matchAll(/\bpipewright_[a-z_]+/g)].map((m) => m[0]);

describe('shipped alert rules', () => {
  it('pass promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`SUCCESS: ${rules().length} rules found`);
    expect(r.status).toBe(0);
  });

  it('pass their promtool unit tests, and every alert has at least one firing test case', () => {
    const r = promtool(['test', 'rules', RULE_TESTS]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const firing = new Set(
      tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );
    const alerts = rules().map((r) => r.alert!);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'PipewrightRunFailed',
        'PipewrightSLAMissed',
        'PipewrightNoRecentSuccess',
        'PipewrightReconcileFailing',
        'PipewrightGeneratedStale',
      ]),
    );
    expect([...firing].sort()).toEqual([...alerts].sort());
  });

  it('a broken expectation makes promtool test rules fail (the unit tests can fail)', () => {
    const broken = readFileSync(RULE_TESTS, 'utf8').replace('pipeline: daily-orders }', 'pipeline: other }');
    writeFileSync(join(dir, 'alerts.yml'), readFileSync(RULES));
    writeFileSync(join(dir, 'alerts.test.yml'), broken);
    const r = promtool(['test', 'rules', 'alerts.test.yml'], undefined, dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('FAILED');
  });

  it('reference only metrics the registry defines', async () => {
    const text = await new PipewrightMetrics().exposition();
    const defined = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap((m) => [m[1]!]));
    for (const rule of rules()) {
      for (const name of metricNames(rule.expr)) expect(defined, `${rule.alert}: ${name}`).toContain(name);
    }
  });
});

describe('shipped Grafana dashboard', () => {
  interface Panel {
    title: string;
    targets: { expr: string }[];
  }
  const dashboard = () =>
    JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Panel[];
      templating: { list: { name: string; query: unknown }[] };
    };
  /** Grafana's variables are not PromQL: give them the values Grafana would substitute. */
  const substitute = (expr: string) =>
    expr
      .replaceAll('$__rate_interval', '5m')
      .replaceAll('$__interval', '1m')
      .replaceAll('$__range', '1d')
      .replaceAll('$pipeline', '.*');

  it('every PromQL expression parses with promtool (wrapped as recording rules)', () => {
    const exprs = dashboard().panels.flatMap((p) => p.targets.map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThanOrEqual(14);
    const file = join(dir, 'dashboard-rules.yml');
    writeFileSync(
      file,
      stringify({
        groups: [
          {
            name: 'dashboard',
            rules: exprs.map((e, i) => ({ record: `pipewright:dashboard_expr_${i}`, expr: substitute(e.expr) })),
          },
        ],
      }),
    );
    const r = promtool(['check', 'rules', file]);
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('a malformed expression is caught by the same check', () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(
      file,
      stringify({
        groups: [{ name: 'd', rules: [{ record: 'x:y', expr: 'sum by (pipeline (pipewright_runs_total)' }] }],
      }),
    );
    expect(promtool(['check', 'rules', file]).status).not.toBe(0);
  });

  it('covers every metric the registry defines and references no other', async () => {
    const text = await new PipewrightMetrics().exposition();
    const defined = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    const used = new Set(
      dashboard()
        .panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr)))
        .map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    for (const name of used) expect(defined).toContain(name);
    const uncovered = defined.filter(
      (n) =>
        !used.has(n) &&
        // Shown through the alerts and the stat panels' neighbours; listed so a new metric is a conscious choice.
        ![
          'pipewright_last_run_timestamp_seconds',
          'pipewright_pipeline_expected_interval_seconds',
          'pipewright_reconcile_last_success_timestamp_seconds',
        ].includes(n),
    );
    expect(uncovered).toEqual([]);
  });
});
