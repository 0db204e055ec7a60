import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Diagnostic, sortDiagnostics } from '../../src/diagnostics/diagnostic.js';
import type { CompiledSpec } from '../../src/emit/compile.js';
import { compileAndWrite, readSpecInput } from '../../src/emit/project.js';
import { WriteRefused } from '../../src/emit/write.js';
import { TARGETS } from '../../src/targets/target.js';
import { IncrementalCompiler, projectDiagnostics } from '../../src/watch/incremental.js';
import type { SpecChange } from '../../src/watch/snapshot.js';
import { spec } from './specs.js';

/** The engine without the watcher: changes are handed in directly, outputs land in a real temp directory. */
describe('IncrementalCompiler policy (real compile stages and writer)', () => {
  let cwd: string;
  let out: string;
  let engine: IncrementalCompiler;
  const p = (name: string) => join(cwd, 'pipelines', name);
  const input = (name: string, source: string) => ({ file: `pipelines/${name}`, source });
  const add = (name: string, source: string): SpecChange => ({
    path: p(name),
    kind: 'added',
    input: input(name, source),
  });
  const change = (name: string, source: string): SpecChange => ({
    path: p(name),
    kind: 'changed',
    input: input(name, source),
  });
  const remove = (name: string): SpecChange => ({ path: p(name), kind: 'removed' });
  const read = (path: string) => readFile(join(out, path), 'utf8');
  const exists = (path: string) =>
    readFile(join(out, path)).then(
      () => true,
      () => false,
    );

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'pw-incr-')));
    out = join(cwd, 'generated');
    await mkdir(join(cwd, 'pipelines'));
    engine = new IncrementalCompiler({
      cwd,
      outAbs: out,
      outDisplay: 'generated',
      targets: TARGETS,
      version: '0.1.0',
    });
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('a duplicate pipeline name blocks both specs; the existing outputs stay until it is resolved', async () => {
    await engine.apply([add('a.yaml', spec('orders'))], true);
    const before = await read('compose/orders.compose.yaml');
    const dup = await engine.apply([add('b.yaml', spec('orders', '2.0.0'))], false);
    expect(dup.failing).toEqual(['pipelines/a.yaml', 'pipelines/b.yaml']);
    expect(dup.fresh.map((d) => d.code)).toEqual(['PW204']);
    expect(dup.written).toEqual([]);
    expect(dup.removed).toEqual([]);
    expect(await read('compose/orders.compose.yaml')).toBe(before);

    const again = await engine.apply([change('a.yaml', spec('orders', '1.0.1'))], false);
    expect(again.fresh).toEqual([]); // the duplicate is not new: not printed again
    expect(again.diagnostics.map((d) => d.code)).toEqual(['PW204']);

    const resolved = await engine.apply([change('b.yaml', spec('billing'))], false);
    expect(resolved.failing).toEqual([]);
    expect(resolved.rebuilt).toEqual(['billing', 'orders']); // orders was blocked: it is rebuilt too
    expect(await read('compose/orders.compose.yaml')).toContain('etl:1.0.1');
    expect(await exists('compose/billing.compose.yaml')).toBe(true);
  });

  it('renaming a pipeline inside its spec removes the old outputs', async () => {
    await engine.apply([add('a.yaml', spec('orders'))], true);
    const r = await engine.apply([change('a.yaml', spec('orders-v2'))], false);
    expect(r.rebuilt).toEqual(['orders-v2']);
    expect(r.deleted).toEqual(['orders']);
    expect(r.removed).toEqual([
      'compose/orders.compose.yaml',
      'gitlab/orders.gitlab-ci.yml',
      'index/orders.json',
      'k8s/orders.yaml',
    ]);
    expect(await exists('compose/orders.compose.yaml')).toBe(false);
    expect(await exists('compose/orders-v2.compose.yaml')).toBe(true);
  });

  it('an edit of one pipeline writes only its files; adding a pipeline rewrites the GitLab parent', async () => {
    await engine.apply([add('a.yaml', spec('orders')), add('b.yaml', spec('billing'))], true);
    const edit = await engine.apply([change('a.yaml', spec('orders', '2.0.0'))], false);
    expect(edit.written).toEqual([
      'compose/orders.compose.yaml',
      'gitlab/orders.gitlab-ci.yml',
      'index/orders.json',
      'k8s/orders.yaml',
    ]);
    const added = await engine.apply([add('c.yaml', spec('returns'))], false);
    expect(added.written).toContain('gitlab/pipelines.gitlab-ci.yml');
    expect(await read('gitlab/pipelines.gitlab-ci.yml')).toContain('returns:');
  });

  it('the GitLab parent keeps listing a failing pipeline as it last compiled', async () => {
    await engine.apply([add('a.yaml', spec('orders')), add('b.yaml', spec('billing'))], true);
    const parent = await read('gitlab/pipelines.gitlab-ci.yml');
    expect(parent).toContain('orders');
    const broken = await engine.apply([change('a.yaml', spec('orders').replace('[extract]', '[x]'))], false);
    expect(broken.failing).toEqual(['pipelines/a.yaml']);
    expect(await read('gitlab/pipelines.gitlab-ci.yml')).toBe(parent);
    await engine.apply([change('b.yaml', spec('billing', '3.0.0'))], false);
    expect(await read('gitlab/pipelines.gitlab-ci.yml')).toContain('orders');
  });

  it("a valid spec taking a failing spec's pipeline name wins: its files and the parent's entry replace the kept ones", async () => {
    await engine.apply([add('a.yaml', spec('orders'))], true);
    // broken beyond reading its name (a schema-valid spec with the same name would be a duplicate: PW204)
    await engine.apply([change('a.yaml', 'metadata: [unclosed')], false);
    const r = await engine.apply([add('b.yaml', spec('orders', '5.0.0'))], false);
    expect(r.failing).toEqual(['pipelines/a.yaml']);
    expect(r.rebuilt).toEqual(['orders']);
    expect(await read('compose/orders.compose.yaml')).toContain('etl:5.0.0');
    const parent = await read('gitlab/pipelines.gitlab-ci.yml');
    expect(parent).toContain('pipelines/b.yaml');
    expect(parent).not.toContain('pipelines/a.yaml');
  });

  it('at startup, a failing spec keeps the outputs an earlier compile wrote; stale ones go once it is fixed', async () => {
    await writeFile(p('a.yaml'), spec('orders'));
    await writeFile(p('gone.yaml'), spec('gone'));
    const compiled = await compileAndWrite({ paths: ['pipelines'], cwd, out: 'generated', targets: TARGETS });
    expect(compiled.write).toBeDefined();
    const orders = await read('compose/orders.compose.yaml');

    // gone.yaml was deleted while nobody watched, a.yaml is broken when the session starts
    const first = await engine.apply([add('a.yaml', spec('orders').replace('[extract]', '[x]'))], true);
    expect(first.failing).toEqual(['pipelines/a.yaml']);
    expect(first.removed).toEqual([]); // gone's outputs might be a.yaml's: nothing is removed yet
    expect(await read('compose/orders.compose.yaml')).toBe(orders);
    expect(await exists('compose/gone.compose.yaml')).toBe(true);

    const fixed = await engine.apply([change('a.yaml', spec('orders', '1.0.5'))], false);
    expect(fixed.rebuilt).toEqual(['orders']);
    expect(fixed.removed).toEqual([
      'compose/gone.compose.yaml',
      'gitlab/gone.gitlab-ci.yml',
      'index/gone.json',
      'k8s/gone.yaml',
    ]);
    const manifest = JSON.parse(await read('.pipewright-manifest.json')) as { files: Record<string, string> };
    expect(Object.keys(manifest.files).filter((f) => f.includes('gone'))).toEqual([]);
  });

  it('a spec deleted while failing takes its last good outputs with it', async () => {
    await engine.apply([add('a.yaml', spec('orders'))], true);
    await engine.apply([change('a.yaml', 'not: [valid')], false);
    const r = await engine.apply([remove('a.yaml')], false);
    expect(r.deleted).toEqual(['orders']);
    expect(r.removed).toContain('compose/orders.compose.yaml');
    expect(r.failing).toEqual([]);
  });

  it('a file compile refuses (not UTF-8) fails with the same diagnostic as compile and keeps the last good output', async () => {
    await engine.apply([add('a.yaml', spec('orders'))], true);
    await writeFile(p('a.yaml'), Buffer.from([0xff, 0x0a]));
    const refused = await readSpecInput(p('a.yaml'), 'pipelines/a.yaml');
    const r = await engine.apply([{ path: p('a.yaml'), kind: 'changed', input: refused }], false);
    expect(r.failing).toEqual(['pipelines/a.yaml']);
    expect(r.fresh.map((d) => [d.code, d.message])).toEqual([['PW001', 'file is not valid UTF-8: save it as UTF-8']]);
    expect(r.removed).toEqual([]);
    expect(await exists('compose/orders.compose.yaml')).toBe(true);
    const compiled = await compileAndWrite({ paths: ['pipelines'], cwd, out: 'elsewhere', targets: TARGETS });
    expect(compiled.diagnostics).toEqual(r.diagnostics);
  });

  it('returning to an earlier content is a cache hit', async () => {
    await engine.apply([add('a.yaml', spec('orders'))], true);
    await engine.apply([change('a.yaml', spec('orders', '9.0.0'))], false);
    const misses = engine.cache.stats().misses;
    const r = await engine.apply([change('a.yaml', spec('orders'))], false);
    expect(engine.cache.stats().misses).toBe(misses);
    expect(engine.cache.stats().hits).toBeGreaterThan(0);
    expect(await read('compose/orders.compose.yaml')).toContain('etl:1.0.0');
    expect(r.written).toContain('compose/orders.compose.yaml');
  });

  it('a foreign file in the way fails the rebuild without writing; the next rebuild retries', async () => {
    await engine.apply([add('a.yaml', spec('orders'))], true);
    await mkdir(join(out, 'compose'), { recursive: true });
    await writeFile(join(out, 'compose', 'billing.compose.yaml'), 'mine: true\n');
    await expect(engine.apply([add('b.yaml', spec('billing'))], false)).rejects.toBeInstanceOf(WriteRefused);
    expect(await read('compose/billing.compose.yaml')).toBe('mine: true\n');
    await rm(join(out, 'compose', 'billing.compose.yaml'));
    const retry = await engine.apply([change('a.yaml', spec('orders', '1.0.1'))], false);
    expect(retry.written).toContain('compose/billing.compose.yaml');
    expect(await exists('compose/billing.compose.yaml')).toBe(true);
  });
});

describe('projectDiagnostics', () => {
  const diag = (file: string, line: number, code: Diagnostic['code'] = 'PW100', message = `m${line}`): Diagnostic => ({
    file,
    range: { start: { line, column: 1 }, end: { line, column: 2 } },
    severity: line % 2 === 0 ? 'error' : 'warning',
    code,
    message,
  });
  const unit = (file: string, diagnostics: Diagnostic[]) =>
    ({ file, source: `source of ${file}`, diagnostics, outputs: [] }) as unknown as CompiledSpec;

  it('orders every diagnostic as sorting them all would, and keeps the sources of files that have some', () => {
    const units = [
      unit('a.yaml', [diag('a.yaml', 9), diag('a.yaml', 2), diag('a.yaml', 2)]),
      unit('b.yaml', []),
      unit('c.yaml', [diag('c.yaml', 5)]),
      unit('d.yaml', []),
    ];
    const link = [diag('c.yaml', 1, 'PW204'), diag('d.yaml', 3, 'PW204'), diag('a.yaml', 4, 'PW204')];
    const { diagnostics, sources } = projectDiagnostics(units, link);
    expect(diagnostics).toEqual(sortDiagnostics([...units.flatMap((u) => u.diagnostics), ...link]));
    expect([...sources.keys()]).toEqual(['a.yaml', 'c.yaml', 'd.yaml']);
    expect(sources.get('a.yaml')).toBe('source of a.yaml');
  });

  it('a diagnostic naming another file still lands in sorted order', () => {
    const units = [unit('a.yaml', [diag('z.yaml', 1)]), unit('b.yaml', [diag('b.yaml', 3)])];
    const { diagnostics, sources } = projectDiagnostics(units, []);
    expect(diagnostics.map((d) => d.file)).toEqual(['b.yaml', 'z.yaml']);
    expect([...sources.keys()]).toEqual(['b.yaml']);
  });
});
