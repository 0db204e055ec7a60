import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { specText } from '../runtime/support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-obs-lineage-'));
  mkdirSync(join(dir, 'pipelines'));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir });
const lineage = (...args: string[]) =>
  runCliCapture(['lineage', ...args], { cwd: dir, env: { PATH: process.env.PATH } });

const INGEST = specText(
  'ingest',
  `  defaults: { image: "localhost/pipewright-test:1" }
  tasks:
    extract:
      command: [echo]
      inputs: ["postgres://db:5432/shop.public.orders"]
      outputs: ["s3://lake/raw/orders/{{ ds }}"]
`,
);
const REPORT = specText(
  'report',
  `  defaults: { image: "localhost/pipewright-test:1" }
  tasks:
    aggregate:
      command: [echo]
      inputs: ["s3://lake/raw/orders/{{ ds }}"]
      outputs: ["warehouse://analytics.daily_orders"]
    publish:
      needs: [aggregate]
      command: [echo]
      inputs: ["warehouse://analytics.daily_orders"]
      outputs: ["s3://exports/daily/{{ ds }}.csv"]
`,
);

function commit(files: Record<string, string>, message: string): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'pipelines', `${name}.yaml`), text);
  git('add', '-A');
  git('commit', '-q', '-m', message);
}

describe('pipewright lineage', () => {
  it('answers upstream and downstream of a dataset across pipelines, in text, json and mermaid', async () => {
    commit({ ingest: INGEST, report: REPORT }, 'two pipelines');
    const down = await lineage('s3://lake/raw/orders/{{ ds }}', '--downstream');
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(`dataset s3://lake/raw/orders/{{ ds }}

downstream (what depends on it):
  tasks:
    report/aggregate (pipelines/report.yaml)
    report/publish (pipelines/report.yaml)
  datasets:
    s3://exports/daily/{{ ds }}.csv
    warehouse://analytics.daily_orders
  edges:
    report.aggregate ─writes▶ warehouse://analytics.daily_orders
    report.publish ─writes▶ s3://exports/daily/{{ ds }}.csv
    s3://lake/raw/orders/{{ ds }} ─read by▶ report.aggregate
    warehouse://analytics.daily_orders ─read by▶ report.publish
`);
    const up = await lineage('warehouse://analytics.daily_orders', '--upstream', '--format', 'json');
    expect(up.code).toBe(0);
    const json = JSON.parse(up.stdout);
    expect(json.subject).toEqual({ kind: 'dataset', name: 'warehouse://analytics.daily_orders' });
    expect(json.downstream).toBeUndefined();
    expect(json.upstream.tasks).toEqual(['ingest.extract', 'report.aggregate']);
    expect(json.upstream.datasets).toEqual([
      'postgres://db:5432/shop.public.orders',
      's3://lake/raw/orders/{{ ds }}',
      'warehouse://analytics.daily_orders',
    ]);

    const mermaid = await lineage('ingest', '--format', 'mermaid');
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout.split('\n')[0]).toBe('flowchart LR');
    expect(mermaid.stdout).toContain('["ingest/extract"]:::subject');
    expect(mermaid.stdout).toContain('[("s3://exports/daily/{{ ds }}.csv")]');
    expect(mermaid.stdout).toMatch(/ {2}t\d+ --> d\d+\n/);
  });

  it('reads the specs at a revision with --rev', async () => {
    commit({ ingest: INGEST }, 'ingest only');
    commit({ report: REPORT }, 'add report');
    const now = await lineage('s3://lake/raw/orders/{{ ds }}', '--downstream', '--format', 'json');
    expect(JSON.parse(now.stdout).downstream.tasks).toEqual(['report.aggregate', 'report.publish']);
    const before = await lineage(
      's3://lake/raw/orders/{{ ds }}',
      '--downstream',
      '--format',
      'json',
      '--rev',
      'HEAD~1',
    );
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout).downstream.tasks).toEqual([]);
    const bad = await lineage('ingest', '--rev', '--output=/tmp/x');
    expect(bad.code).toBe(2);
  });

  it('unknown subjects and contradictory options are usage errors (exit 2) with a suggestion', async () => {
    commit({ ingest: INGEST, report: REPORT }, 'two pipelines');
    const unknown = await lineage('reprot');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      "lineage: 'reprot' is neither a pipeline nor a dataset any task reads or writes (did you mean 'report'?)",
    );
    expect((await lineage('ingest', '--upstream', '--downstream')).code).toBe(2);
    expect((await lineage('ingest', '--format', 'dot')).code).toBe(2);
  });

  it('invalid specs are reported positioned, exit 1', async () => {
    commit({ ingest: INGEST.replace('tasks:', 'taskz:') }, 'broken');
    const r = await lineage('ingest');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pipelines\/ingest\.yaml:\d+:\d+: error: .*\[PW1\d\d\]/);
  });
});
