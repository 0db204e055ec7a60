import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CompareOptions, compareRevisions } from '../../src/history/compare.js';
import { renderDiffJson } from '../../src/history/render-json.js';
import { renderDiffText } from '../../src/history/render-text.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from './repo.js';
import { baseSpec, clone, readerSpec as reader, specYaml } from './specs.js';

/**
 * `diff A B` takes what it needs of the specs a change leaves alone (valid, pipeline name, which tasks read which
 * datasets) from the spec index A committed (generated/index/<pipeline>.json, src/emit/spec-index.ts) — no cache, no
 * parse. Every case compares with the whole-side comparison (both sides read and parsed in full), in real git
 * repositories whose base is compiled by the real CLI. No user cache is used anywhere (`cache` unset, HOME empty).
 */

const ENV = { HOME: '' };
const repos: TestRepo[] = [];
afterAll(() => {
  for (const r of repos) r.remove();
});

async function compile(repo: TestRepo, cwd = repo.dir): Promise<void> {
  const r = await runCliCapture(['compile'], { cwd, env: ENV });
  expect(r.code, r.stderr).toBe(0);
}

/** Base (compiled, generated/ committed): orders, readers of its outputs, a pipeline to move and rename, one to delete. */
async function fixture(prefix = ''): Promise<{ repo: TestRepo; base: string; head: string; cwd: string }> {
  const repo = new TestRepo();
  repos.push(repo);
  const cwd = prefix === '' ? repo.dir : join(repo.dir, prefix);
  const p = prefix === '' ? '' : `${prefix}/`;
  const files: Record<string, string> = {
    [`${p}pipelines/orders.yaml`]: specYaml(baseSpec('orders')),
    [`${p}pipelines/consumer.yaml`]: specYaml(reader('consumer', 'warehouse://analytics.orders_lines')),
    [`${p}pipelines/regional.yaml`]: specYaml(reader('regional', 'warehouse://analytics.orders_lines', true)),
    [`${p}pipelines/staging-reader.yaml`]: specYaml(reader('staging-reader', 's3://lake/staging/orders/{{ds}}')),
    [`${p}pipelines/old/moving.yaml`]: specYaml(baseSpec('moving')),
    [`${p}pipelines/gone.yaml`]: specYaml(baseSpec('gone')),
  };
  repo.write(files);
  await compile(repo, cwd);
  const base = repo.commit('base', {});
  const changed = clone(baseSpec('orders'));
  changed.metadata.version = '1.1.0';
  changed.spec.tasks.load!.outputs = ['warehouse://analytics.orders']; // stops writing orders_lines
  changed.spec.tasks.extract!.outputs = ['s3://lake/staging/orders-v2/{{ ds }}'];
  changed.spec.tasks.load!.inputs = ['s3://lake/staging/orders-v2/{{ ds }}'];
  const renamed = baseSpec('moved'); // moved file, new pipeline name
  renamed.spec.tasks.quality!.command = ['python', '-m', 'etl.check', '--strict'];
  const head = repo.commit('head', {
    [`${p}pipelines/orders.yaml`]: specYaml(changed),
    [`${p}pipelines/old/moving.yaml`]: null,
    [`${p}pipelines/new/moved.yaml`]: specYaml(renamed),
    [`${p}pipelines/gone.yaml`]: null,
    [`${p}pipelines/fresh.yaml`]: specYaml(reader('fresh', 'warehouse://analytics.orders_lines')),
  });
  return { repo, base, head, cwd };
}

async function report(options: CompareOptions): Promise<{ json: string; text: string }> {
  const result = await compareRevisions(options);
  if (!result.ok) throw new Error(`unexpected invalid specs: ${JSON.stringify(result.diagnostics[0])}`);
  return { json: renderDiffJson(result.report), text: renderDiffText(result.report, { color: false }) };
}

/** Rewrite a committed index file of the base (a new commit on a side branch becomes the base). */
function forgeIndex(repo: TestRepo, path: string, edit: (entry: Record<string, unknown>) => void): string {
  const file = join(repo.dir, path);
  const entry = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(entry);
  writeFileSync(file, `${JSON.stringify(entry, null, 2)}\n`);
  return repo.commit('forged index', {});
}

function impactsOf(json: string, name: string): string[] {
  const pipeline = JSON.parse(json).pipelines.find((p: { name: string }) => p.name === name);
  return pipeline.impacts.map((i: { pipeline: string; task: string }) => `${i.pipeline}.${i.task}`);
}

describe('diff with the base’s committed spec index', () => {
  it('gives the whole-side comparison byte for byte: edit, lineage impact, moved + renamed, deleted, added', async () => {
    const { repo, base, head } = await fixture();
    expect(readdirSync(join(repo.dir, 'generated/index')).sort()).toEqual([
      'consumer.json',
      'gone.json',
      'moving.json',
      'orders.json',
      'regional.json',
      'staging-reader.json',
    ]);
    const common = { cwd: repo.dir, base, head, path: 'pipelines' };
    const whole = await report({ ...common, readAll: true });
    const indexed = await report({ ...common, index: { out: 'generated' } });
    expect(indexed).toEqual(whole);
    const names = JSON.parse(whole.json).pipelines.map((p: { name: string }) => p.name);
    expect(names).toEqual(['fresh', 'gone', 'moved', 'moving', 'orders']);
    expect(impactsOf(whole.json, 'orders')).toEqual([
      'staging-reader.extract',
      'consumer.extract',
      'fresh.extract',
      'regional.extract',
      'regional.load-eu',
      'regional.load-us',
    ]);
  });

  it('uses an entry whose path and blob id are the spec’s (trusting the base) — and only such an entry', async () => {
    const { repo, base, head } = await fixture();
    const common = { cwd: repo.dir, head, path: 'pipelines' };
    const truth = (await report({ ...common, base, readAll: true })).json;
    // An entry of the base that matches the spec's blob is what compile wrote (the base passed a full check): diff
    // believes it. Shown here with a forged one — which a full check of the base would have refused (the gate test).
    repo.git('checkout', '-q', '-b', 'forged', base);
    const trusted = forgeIndex(repo, 'generated/index/consumer.json', (e) => {
      e.readers = [];
    });
    const believed = await report({ ...common, base: trusted, index: { out: 'generated' } });
    expect(impactsOf(believed.json, 'orders')).not.toContain('consumer.extract');
    expect(impactsOf(truth, 'orders')).toContain('consumer.extract');

    // Poisoned entries that do not match are ignored: another blob id, another spec path, another pipewright
    // version or format, a file not named after its pipeline, two entries for one spec.
    const poisons: [string, (e: Record<string, unknown>) => void][] = [
      ['consumer', (e) => Object.assign(e, { readers: [], blob: '0'.repeat(40) })],
      ['consumer', (e) => Object.assign(e, { readers: [], spec: 'pipelines/elsewhere.yaml' })],
      ['consumer', (e) => Object.assign(e, { readers: [], pipewright: '0.0.1' })],
      ['consumer', (e) => Object.assign(e, { readers: [], format: 'pipewright-spec-index-v0' })],
      ['consumer', (e) => Object.assign(e, { readers: [], pipeline: 'somebody-else' })],
      ['regional', (e) => Object.assign(e, { readers: [], spec: 'pipelines/consumer.yaml' })],
    ];
    for (const [name, poison] of poisons) {
      repo.git('checkout', '-q', '-B', 'forged', base);
      const forged = forgeIndex(repo, `generated/index/${name}.json`, poison);
      expect(repo.git('diff', '--name-only', base, forged).trim()).toBe(`generated/index/${name}.json`);
      const r = await report({ ...common, base: forged, index: { out: 'generated' } });
      expect(r.json, poison.toString()).toBe((await report({ ...common, base: forged, readAll: true })).json);
      expect(impactsOf(r.json, 'orders')).toEqual(impactsOf(truth, 'orders'));
    }
    // a damaged file is ignored too
    repo.git('checkout', '-q', '-B', 'forged', base);
    writeFileSync(join(repo.dir, 'generated/index/consumer.json'), '{\n  "generated": "by pipewright, cut');
    const damaged = repo.commit('damaged index', {});
    const r = await report({ ...common, base: damaged, index: { out: 'generated' } });
    expect(r.json).toBe((await report({ ...common, base: damaged, readAll: true })).json);
  });

  it('never reads the head’s index: a merge request cannot vouch for its own specs', async () => {
    const { repo, base, head } = await fixture();
    repo.git('checkout', '-q', head);
    // the head commits a forged entry for an unchanged spec (blob id right, readers wrong)
    const forged = forgeIndex(repo, 'generated/index/consumer.json', (e) => {
      e.readers = [];
    });
    const r = await report({ cwd: repo.dir, base, head: forged, path: 'pipelines', index: { out: 'generated' } });
    expect(r.json).toBe((await report({ cwd: repo.dir, base, head: forged, path: 'pipelines', readAll: true })).json);
    expect(impactsOf(r.json, 'orders')).toContain('consumer.extract');
    // the working tree as the head: same
    const worktree = await report({ cwd: repo.dir, base, path: 'pipelines', index: { out: 'generated' } });
    expect(impactsOf(worktree.json, 'orders')).toContain('consumer.extract');
  });

  it('falls back to parsing where there is no usable index: none committed, another --out, a changed config', async () => {
    const { repo, base, head } = await fixture();
    const common = { cwd: repo.dir, base, head, path: 'pipelines' };
    const truth = await report({ ...common, readAll: true });
    expect(await report({ ...common, index: { out: 'elsewhere' } })).toEqual(truth);
    expect(await report(common)).toEqual(truth);
    // a configuration change compares whole sides (overrides may change any pipeline): the index is not needed
    repo.git('checkout', '-q', head);
    const config = 'apiVersion: pipewright.dev/v1\nkind: Project\ndiagnostics:\n  PW303: "off"\n';
    const withConfig = repo.commit('config', { 'pipewright.yaml': config });
    const changedConfig = repo.commit('config changed', { 'pipewright.yaml': config.replace('"off"', 'warn') });
    const a = { cwd: repo.dir, base: withConfig, head: changedConfig, path: 'pipelines' };
    expect(await report({ ...a, index: { out: 'generated' } })).toEqual(await report({ ...a, readAll: true }));
  });

  it('reads the index of a project in a subdirectory of the repository (paths relative to the project)', async () => {
    const { repo, base, head, cwd } = await fixture('analytics');
    const common = { cwd, base, head, path: 'pipelines' };
    const truth = await report({ ...common, readAll: true });
    expect(await report({ ...common, index: { out: 'generated' } })).toEqual(truth);
    expect(JSON.parse(readFileSync(join(cwd, 'generated/index/consumer.json'), 'utf8')).spec).toBe(
      'pipelines/consumer.yaml',
    );
    // proof that the entries were used there: a trusted (matching) entry changes the impact
    repo.git('checkout', '-q', '-b', 'forged', base);
    const trusted = forgeIndex(repo, 'analytics/generated/index/consumer.json', (e) => {
      e.readers = [];
    });
    const r = await report({ ...common, base: trusted, index: { out: 'generated' } });
    expect(impactsOf(r.json, 'orders')).not.toContain('consumer.extract');
  });

  it('the CLI uses the index by default; --no-index and --out choose; output is the same', async () => {
    const { repo, base, head } = await fixture();
    repo.git('checkout', '-q', '-b', 'forged', base);
    const trusted = forgeIndex(repo, 'generated/index/consumer.json', (e) => {
      e.readers = [];
    });
    const run = (extra: string[]) =>
      runCliCapture(['diff', trusted, head, '--format', 'json', '--no-cache', ...extra], { cwd: repo.dir, env: ENV });
    const byDefault = await run([]);
    const noIndex = await run(['--no-index']);
    const elsewhere = await run(['--out', 'other']);
    expect(byDefault.code).toBe(0);
    expect(impactsOf(byDefault.stdout, 'orders')).not.toContain('consumer.extract'); // the index was read
    expect(impactsOf(noIndex.stdout, 'orders')).toContain('consumer.extract'); // it was not
    expect(elsewhere.stdout).toBe(noIndex.stdout);
    const outside = await run(['--out', '../../outside']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^pipewright: diff: .*outside the repository/);
  });
});
