import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobCache, openHistoryCache } from '../../src/history/blob-cache.js';
import { type CompareOptions, compareRevisions } from '../../src/history/compare.js';
import { renderDiffJson } from '../../src/history/render-json.js';
import { renderDiffMarkdown } from '../../src/history/render-markdown.js';
import { renderDiffText } from '../../src/history/render-text.js';
import { runCliCapture } from '../helpers/cli.js';
import { bucketFiles, rewriteEntries, storedEntries } from './cache-entries.js';
import { TestRepo } from './repo.js';
import { baseSpec, clone, readerSpec as reader, specYaml } from './specs.js';

// `diff` reads only the specs whose blob differs and keeps summaries of the others in the user's cache directory:
// here a throwaway one, never the developer's.
const CACHE_HOME = mkdtempSync(join(tmpdir(), 'pw-history-cache-'));
const ENV = { XDG_CACHE_HOME: CACHE_HOME };
const repos: TestRepo[] = [];

afterAll(async () => {
  for (const r of repos) r.remove();
  await rm(CACHE_HOME, { recursive: true, force: true });
});

/** Base: orders, consumers of its outputs, a pipeline to rename, one to delete, filler. */
function fixture(): { repo: TestRepo; base: string; head: string } {
  const repo = new TestRepo();
  repos.push(repo);
  const orders = baseSpec('orders');
  const files: Record<string, string> = {
    'pipelines/orders.yaml': specYaml(orders),
    'pipelines/consumer.yaml': specYaml(reader('consumer', 'warehouse://analytics.orders_lines')),
    'pipelines/regional.yaml': specYaml(reader('regional', 'warehouse://analytics.orders_lines', true)),
    'pipelines/staging-reader.yaml': specYaml(reader('staging-reader', 's3://lake/staging/orders/{{ds}}')),
    'pipelines/old/moving.yaml': specYaml(baseSpec('moving')),
    'pipelines/gone.yaml': specYaml(baseSpec('gone')),
  };
  for (let i = 0; i < 6; i++) files[`pipelines/filler-${i}.yaml`] = specYaml(baseSpec(`filler-${i}`));
  const base = repo.commit('base', files);
  const changed = clone(orders);
  changed.metadata.version = '1.1.0';
  changed.spec.tasks.load!.outputs = ['warehouse://analytics.orders']; // stops writing orders_lines
  changed.spec.tasks.extract!.outputs = ['s3://lake/staging/orders-v2/{{ ds }}'];
  changed.spec.tasks.load!.inputs = ['s3://lake/staging/orders-v2/{{ ds }}'];
  const moving = baseSpec('moving');
  moving.spec.tasks.quality!.command = ['python', '-m', 'etl.check', '--strict'];
  const head = repo.commit('head', {
    'pipelines/orders.yaml': specYaml(changed),
    'pipelines/old/moving.yaml': null,
    'pipelines/new/moving.yaml': specYaml(moving),
    'pipelines/gone.yaml': null,
    'pipelines/fresh.yaml': specYaml(reader('fresh', 'warehouse://analytics.orders_lines')),
  });
  return { repo, base, head };
}

/** The report as every format renders it, plus which sources were read. */
async function outputs(options: CompareOptions) {
  const result = await compareRevisions(options);
  if (!result.ok) return { invalid: result };
  return {
    json: renderDiffJson(result.report),
    text: renderDiffText(result.report, { color: false }),
    markdown: renderDiffMarkdown(result.report),
    read: [...result.base.sources, ...result.head.sources].map((s) => s.display),
  };
}

describe('diff reads only what changed', () => {
  it('gives the whole-side comparison byte for byte: lineage impact, rename, deletion, addition', async () => {
    const { repo, base, head } = fixture();
    const common = { cwd: repo.dir, base, head, path: 'pipelines' };
    const whole = await outputs({ ...common, readAll: true });
    const cache = await openHistoryCache(ENV);
    expect(cache).toBeDefined();
    const cold = await outputs({ ...common, cache: cache! });
    const warm = await outputs({ ...common, cache: (await openHistoryCache(ENV))! });
    const uncached = await outputs(common);
    for (const run of [cold, warm, uncached]) {
      expect(run.json).toBe(whole.json);
      expect(run.text).toBe(whole.text);
      expect(run.markdown).toBe(whole.markdown);
    }
    // the report does hold what this test is about
    const report = JSON.parse(whole.json!);
    const byName = Object.fromEntries(report.pipelines.map((p: { name: string }) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['fresh', 'gone', 'moving', 'orders']);
    expect(byName.moving.previousFile).toBe('pipelines/old/moving.yaml');
    expect(byName.orders.impacts.map((i: { pipeline: string; task: string }) => `${i.pipeline}.${i.task}`)).toEqual([
      'staging-reader.extract', // s3://lake/staging/orders/{{ ds }}, written `{{ds}}` by the reader
      'consumer.extract', // warehouse://analytics.orders_lines
      'fresh.extract', // a reader added in the same change
      'regional.extract',
      'regional.load-eu', // matrix instances of an unchanged spec come from its summary
      'regional.load-us',
    ]);
    // only the changed specs were read: 3 at the base (orders, old/moving, gone), 3 at the head
    expect(cold.read).toHaveLength(6);
    expect(whole.read!.length).toBe(12 + 12);
  });

  it('compares against the working tree the same way', async () => {
    const { repo, head } = fixture();
    repo.git('checkout', '-q', head);
    const edited = baseSpec('filler-0');
    edited.spec.tasks.load!.outputs = ['warehouse://analytics.filler-0'];
    repo.write({ 'pipelines/filler-0.yaml': specYaml(edited) });
    const consumer = reader('filler-reader', 'warehouse://analytics.filler-0_lines');
    repo.write({ 'pipelines/filler-reader.yaml': specYaml(consumer) });
    repo.git('add', 'pipelines/filler-reader.yaml');
    repo.git('commit', '-q', '-m', 'reader');
    const common = { cwd: repo.dir, base: 'HEAD', path: 'pipelines' };
    const whole = await outputs({ ...common, readAll: true });
    const fast = await outputs({ ...common, cache: (await openHistoryCache(ENV))! });
    expect(fast.json).toBe(whole.json);
    expect(fast.read).toEqual([
      expect.stringMatching(/^[0-9a-f]{12}:pipelines\/filler-0\.yaml$/),
      'pipelines/filler-0.yaml',
    ]);
    expect(JSON.parse(whole.json!).pipelines[0].impacts).toEqual([
      {
        output: 'warehouse://analytics.filler-0_lines',
        pipeline: 'filler-reader',
        task: 'extract',
        file: 'pipelines/filler-reader.yaml',
      },
    ]);
  });

  it('reports an invalid unchanged spec and a clashing name exactly as before', async () => {
    const repo = new TestRepo();
    repos.push(repo);
    const base = repo.commit('base', {
      'pipelines/a.yaml': specYaml(baseSpec('a')),
      'pipelines/broken.yaml': 'apiVersion: pipewright.dev/v1\nkind: Pipeline\nmetadata: {name: broken}\n',
    });
    const edited = baseSpec('a');
    edited.metadata.version = '1.0.1';
    const head = repo.commit('head', { 'pipelines/a.yaml': specYaml(edited) });
    const run = (extra: string[]) => runCliCapture(['diff', base, head, ...extra], { cwd: repo.dir, env: ENV });
    const whole = await run(['--generated']);
    const fast = await run([]);
    const again = await run([]);
    expect(whole.code).toBe(1);
    expect(fast).toEqual(whole);
    expect(again).toEqual(whole);

    // a changed spec now takes the name of an unchanged one
    const clash = repo.commit('clash', {
      'pipelines/broken.yaml': null,
      'pipelines/b.yaml': specYaml(baseSpec('b')),
    });
    const twin = repo.commit('twin', { 'pipelines/c.yaml': specYaml(baseSpec('b')) });
    const a = await runCliCapture(['diff', clash, twin], { cwd: repo.dir, env: ENV });
    const b = await runCliCapture(['diff', clash, twin, '--generated'], { cwd: repo.dir, env: ENV });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('PW');
    expect(a).toEqual(b);
  });

  it('adds generated-artifact diffs to the same report', async () => {
    const { repo, base, head } = fixture();
    const plain = await runCliCapture(['diff', base, head, '--format', 'json'], { cwd: repo.dir, env: ENV });
    const generated = await runCliCapture(['diff', base, head, '--format', 'json', '--generated'], {
      cwd: repo.dir,
      env: ENV,
    });
    const { generated: artifacts, ...rest } = JSON.parse(generated.stdout);
    expect(JSON.stringify(rest)).toBe(JSON.stringify(JSON.parse(plain.stdout)));
    expect(artifacts.map((a: { path: string }) => a.path)).toContain('compose/gone.compose.yaml');
  });

  it('attributes override changes of pipewright.yaml as the whole-side comparison does', async () => {
    const dir = join(import.meta.dirname, '..', 'fixtures', 'environments', 'three');
    const read = (path: string) => readFileSync(join(dir, path), 'utf8');
    const config = read('pipewright.yaml').replace(/^# yaml-language-server.*\n/, '');
    const repo = new TestRepo();
    repos.push(repo);
    const first = repo.commit('environments', {
      'pipewright.yaml': config,
      'pipelines/orders.yaml': read('pipelines/orders.yaml'),
      'pipelines/refunds.yaml': read('pipelines/refunds.yaml'),
    });
    const retag = repo.commit('staging runs 1.3.1', {
      'pipewright.yaml': config.replace('imageTag: "1.3.0"', 'imageTag: "1.3.1"'),
    });
    const refunds = read('pipelines/refunds.yaml');
    const specOnly = repo.commit('refunds weekly on tuesdays', {
      'pipelines/refunds.yaml': refunds.replace('schedule: "0 6 * * 1"', 'schedule: "0 6 * * 2"'),
    });
    expect(repo.git('diff', '--name-only', retag, specOnly).trim()).toBe('pipelines/refunds.yaml');
    for (const [base, head] of [
      [first, retag],
      [retag, specOnly],
      [first, specOnly],
    ] as const) {
      const common = { cwd: repo.dir, base, head, path: 'pipelines' };
      const whole = await outputs({ ...common, readAll: true });
      const fast = await outputs({ ...common, cache: (await openHistoryCache(ENV))! });
      expect(fast.json).toBe(whole.json);
      expect(fast.text).toBe(whole.text);
    }
    const overrides = await outputs({ cwd: repo.dir, base: first, head: retag, path: 'pipelines' });
    expect(overrides.text).toContain('staging');
    const spec = await outputs({ cwd: repo.dir, base: retag, head: specOnly, path: 'pipelines' });
    expect(spec.text).toContain('schedule');
    expect(spec.read).toHaveLength(2); // the configuration did not change: only the changed spec was read
  });

  it('ignores forged cache entries: a summary not sealed with this machine key changes nothing', async () => {
    const { repo, base, head } = fixture();
    const common = { cwd: repo.dir, base, head, path: 'pipelines' };
    const home = mkdtempSync(join(tmpdir(), 'pw-history-forge-'));
    try {
      const env = { XDG_CACHE_HOME: home };
      const expected = (await outputs({ ...common, readAll: true })).json;
      await outputs({ ...common, cache: (await openHistoryCache(env))! });
      // Rewrite every entry: the consumer reads nothing any more, an attacker's MAC on top.
      const forged = rewriteEntries(home, (e) => {
        const value = JSON.parse(e.json);
        if (value.ok) value.lineage.readers = [];
        return { id: e.id, seal: '0'.repeat(64), json: JSON.stringify(value) };
      });
      expect(forged).toBeGreaterThan(0);
      const after = await outputs({ ...common, cache: (await openHistoryCache(env))! });
      expect(after.json).toBe(expected);
      // The same entries sealed by another machine's key are refused too.
      await rm(join(home, 'pipewright'), { recursive: true });
      const other = mkdtempSync(join(tmpdir(), 'pw-history-other-'));
      await outputs({ ...common, cache: (await openHistoryCache({ XDG_CACHE_HOME: other }))! });
      const { cp } = await import('node:fs/promises');
      const dir = join(home, 'pipewright', 'history-v1');
      await cp(join(other, 'pipewright', 'history-v1'), dir, { recursive: true });
      await rm(other, { recursive: true, force: true });
      const foreign = await outputs({ ...common, cache: (await openHistoryCache(env))! });
      expect(foreign.json).toBe(expected);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('the blob cache', () => {
  it('keeps values sealed, per key, and stays within its size bound', async () => {
    const home = mkdtempSync(join(tmpdir(), 'pw-history-bound-'));
    try {
      const env = { XDG_CACHE_HOME: home };
      const cache = (await BlobCache.open({ env, version: 'test', maxBytes: 40_000 }))!;
      const blob = (i: number) => i.toString(16).padStart(40, '0');
      for (let i = 0; i < 100; i++) cache.set('k', blob(i), 'p.yaml', { i, pad: 'x'.repeat(1000) });
      await cache.flush();
      const total = bucketFiles(home).reduce((sum, f) => sum + statSync(f).size, 0);
      const count = storedEntries(home).length;
      expect(total).toBeLessThanOrEqual(40_000);
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThan(100);
      const again = (await BlobCache.open({ env, version: 'test', maxBytes: 40_000 }))!;
      cache.set('k', blob(1000), 'p.yaml', { hello: 1 });
      await cache.flush();
      expect(await again.get('k', blob(1000), 'p.yaml')).toEqual({ hello: 1 });
      // another path, kind or build is another entry
      expect(await again.get('k', blob(1000), 'q.yaml')).toBeUndefined();
      expect(await again.get('j', blob(1000), 'p.yaml')).toBeUndefined();
      const otherBuild = (await BlobCache.open({ env, version: 'other' }))!;
      expect(await otherBuild.get('k', blob(1000), 'p.yaml')).toBeUndefined();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("appends a run's entries to at most 256 bucket files; the last sealed line for a key wins, a torn line is a miss", async () => {
    const home = mkdtempSync(join(tmpdir(), 'pw-history-buckets-'));
    try {
      const env = { XDG_CACHE_HOME: home };
      const blob = (i: number) => i.toString(16).padStart(40, '0');
      const cache = (await BlobCache.open({ env, version: 'test' }))!;
      for (let i = 0; i < 2000; i++) cache.set('k', blob(i), 'p.yaml', { i });
      await cache.flush();
      expect(readdirSync(cache.dir).length).toBeLessThanOrEqual(256);
      expect(storedEntries(home)).toHaveLength(2000);
      const keys = Array.from({ length: 2000 }, (_, i) => ({ blob: blob(i), path: 'p.yaml' }));
      expect(cache.getMany('k', keys)).toEqual(keys.map((_, i) => ({ i })));
      // a later run's entry for the same key is appended: the last one is read
      const again = (await BlobCache.open({ env, version: 'test' }))!;
      again.set('k', blob(7), 'p.yaml', { i: 'seven' });
      await again.flush();
      expect(await again.get('k', blob(7), 'p.yaml')).toEqual({ i: 'seven' });
      expect(again.getMany('k', [keys[7]!, keys[8]!])).toEqual([{ i: 'seven' }, { i: 8 }]);
      // a partial append (a writer cut off mid-line), then another process's append: both are misses, nothing else
      const file = bucketFiles(home).find((f) => readFileSync(f, 'utf8').includes('"seven"'))!;
      const text = readFileSync(file, 'utf8');
      const torn = text.slice(0, text.length - 10);
      const last = text.lastIndexOf('\n', text.length - 2);
      writeFileSync(file, `${torn}${text.slice(last + 1)}`);
      const reread = (await BlobCache.open({ env, version: 'test' }))!;
      const values = reread.getMany<{ i: unknown }>('k', keys);
      expect(values[7]).toEqual({ i: 7 }); // the torn last line gone: the line before it for the same key
      expect(values.filter((v, i) => v !== undefined && v.i !== i && i !== 7)).toEqual([]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('removes the files of its earlier format (one file per entry) when a run adds entries', async () => {
    const home = mkdtempSync(join(tmpdir(), 'pw-history-legacy-'));
    try {
      const env = { XDG_CACHE_HOME: home };
      const cache = (await BlobCache.open({ env, version: 'test' }))!;
      mkdirSync(join(cache.dir, 'ab'), { recursive: true });
      writeFileSync(join(cache.dir, 'ab', 'c'.repeat(62)), 'old entry');
      cache.set('k', '0'.repeat(40), 'p.yaml', { ok: true });
      await cache.flush();
      expect(readdirSync(cache.dir).filter((n) => !n.endsWith('.pack'))).toEqual([]);
      expect(await cache.get('k', '0'.repeat(40), 'p.yaml')).toEqual({ ok: true });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('is off without a user cache directory', async () => {
    expect(await openHistoryCache({})).toBeUndefined();
  });
});
