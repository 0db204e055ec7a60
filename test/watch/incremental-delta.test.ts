import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../bench/corpus.mjs';
import { compileAndWrite } from '../../src/emit/project.js';
import { writeOutputs } from '../../src/emit/write.js';
import { TARGETS } from '../../src/targets/target.js';
import type { RebuildReport } from '../../src/watch/engine.js';
import { IncrementalCompiler } from '../../src/watch/incremental.js';
import type { SpecChange } from '../../src/watch/snapshot.js';
import { tree } from './helpers.js';
import { spec } from './specs.js';

/**
 * The watch engine's difference path (IncrementalCompiler.#applyDelta: desired outputs, manifest and project
 * diagnostics updated by difference) against a full compile of the same specs after every step of a session.
 */
describe('IncrementalCompiler updates by difference (real compile stages, real writer, real files)', () => {
  let cwd: string;
  /** A second project holding the same specs, compiled in full after each step (same display paths, same --out). */
  let ref: string;
  let out: string;
  let engine: IncrementalCompiler;
  /** For each write: whether the engine handed the writer differences only (`delta`). */
  let deltas: boolean[];
  const specs = new Map<string, string>();

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'pw-delta-')));
    ref = await realpath(await mkdtemp(join(tmpdir(), 'pw-delta-ref-')));
    out = join(cwd, 'generated');
    await mkdir(join(cwd, 'pipelines'));
    await mkdir(join(ref, 'pipelines'));
    specs.clear();
    deltas = [];
    engine = new IncrementalCompiler({
      cwd,
      outAbs: out,
      outDisplay: 'generated',
      targets: TARGETS,
      version: '0.1.0',
      write: (dir, files, options) => {
        deltas.push(options.delta !== undefined);
        return writeOutputs(dir, files, options);
      },
    });
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
    await rm(ref, { recursive: true, force: true });
  });

  const put = async (file: string, text: string): Promise<SpecChange> => {
    const kind = specs.has(file) ? 'changed' : 'added';
    specs.set(file, text);
    for (const root of [cwd, ref]) {
      await mkdir(dirname(join(root, file)), { recursive: true });
      await writeFile(join(root, file), text);
    }
    return { path: join(cwd, file), kind, input: { file, source: text } };
  };
  const del = async (file: string): Promise<SpecChange> => {
    specs.delete(file);
    for (const root of [cwd, ref]) await rm(join(root, file));
    return { path: join(cwd, file), kind: 'removed' };
  };
  /** Apply one batch and compare the output directory and the diagnostics with a fresh compile of the same specs. */
  const step = async (changes: SpecChange[], expectDelta: boolean, initial = false): Promise<RebuildReport> => {
    const report = await engine.apply(changes, initial);
    expect(deltas.at(-1)).toBe(expectDelta);
    await rm(join(ref, 'generated'), { recursive: true, force: true });
    const compiled = await compileAndWrite({ paths: ['pipelines'], cwd: ref, out: 'generated', targets: TARGETS });
    expect(report.failing).toEqual([]);
    expect(await tree(out)).toEqual(await tree(join(ref, 'generated')));
    expect(report.diagnostics).toEqual(compiled.diagnostics);
    // a lookup table (file → source for code frames): its order carries nothing
    expect([...report.sources.keys()].sort()).toEqual([...new Set(compiled.diagnostics.map((d) => d.file))].sort());
    for (const [file, source] of report.sources) expect(source).toBe(specs.get(file));
    return report;
  };

  it('after edits, several at once, deletes, renames, additions, an error and its fix: the outputs, manifest and diagnostics of a full compile', async () => {
    const corpus = generateCorpus({ seed: 7, pipelines: 6, tasks: 4 });
    const initial: SpecChange[] = [];
    for (const { file, text } of corpus) initial.push(await put(file, text));
    initial.push(await put('pipelines/plain.yaml', spec('plain')));
    await step(initial, false, true);
    const [a, b, c, d] = corpus.map((x) => x.file) as [string, string, string, string];
    const edit = (file: string, word: string) =>
      specs.get(file)!.replace(/^( *)- --date$/m, (line, indent: string) => `${indent}- --${word}\n${line}`);

    // a one-spec edit (the lines of its warnings move): by difference
    let r = await step([await put(a, edit(a, 'one'))], true);
    expect(r.rebuilt).toHaveLength(1);
    expect(r.written.length).toBeGreaterThan(0);
    expect(r.written).not.toContain('gitlab/pipelines.gitlab-ci.yml');
    // two specs in one batch, one of them back to its earlier text (a cache hit)
    r = await step([await put(b, edit(b, 'two')), await put(a, corpus[0]!.text)], true);
    expect(r.rebuilt).toHaveLength(2);
    // a warning appears in a spec that had none (a timeout Compose does not enforce), then goes again
    const timeout = spec('plain').replace('      needs: [extract]', '      needs: [extract]\n      timeout: 10m');
    r = await step([await put('pipelines/plain.yaml', timeout)], true);
    expect(r.fresh.map((x) => x.code)).toEqual(['PW302']);
    await step([await put('pipelines/plain.yaml', spec('plain', '2.0.0'))], true);
    // a deleted spec: its outputs and manifest entries go (full path)
    r = await step([await del(c)], false);
    expect(r.removed.length).toBeGreaterThan(0);
    await step([await put(d, edit(d, 'after-delete'))], true);
    // a pipeline renamed inside its spec, then an edit of the renamed one
    const renamed = specs
      .get(b)!
      .replaceAll('finance-', 'renamed-')
      .replace(/name: (\S+)/, 'name: renamed-pipeline');
    r = await step([await put(b, renamed)], false);
    expect(r.deleted).toHaveLength(1);
    await step([await put(b, edit(b, 'renamed'))], true);
    // a spec file moved (removed + added with the same pipeline), then edited at its new path
    const moved = 'pipelines/team/moved.yaml';
    const text = specs.get(d)!;
    await step([await del(d), await put(moved, text)], false);
    await step([await put(moved, edit(moved, 'moved'))], true);
    // a new pipeline (new outputs, a new GitLab parent entry), then edited
    await step([await put('pipelines/new.yaml', spec('brand-new'))], false);
    await step([await put('pipelines/new.yaml', spec('brand-new', '1.2.3'))], true);
    // an error keeps the last good output (not compared: compile writes nothing then); its fix, then a plain edit
    const broken = await engine.apply([await put(a, specs.get(a)!.replace('kind: Pipeline', 'kind: Pipe'))], false);
    expect(broken.failing).toEqual([a]);
    await step([await put(a, specs.get(a)!.replace('kind: Pipe\n', 'kind: Pipeline\n'))], false);
    await step([await put(a, edit(a, 'after-fix'))], true);
    // an edit that changes the GitLab parent entry (the schedule): the full path relinks
    await step([await put(a, specs.get(a)!.replace(/^ {2}schedule: .*\n/m, ''))], false);
    await step([await put(a, edit(a, 'last'))], true);
  });

  it('a failed write is repaired by the next rebuild: the difference path is left until the directory is known again', async () => {
    await step(
      [await put('pipelines/a.yaml', spec('orders')), await put('pipelines/b.yaml', spec('billing'))],
      false,
      true,
    );
    // a directory where the writer wants a file: the write of orders' compose file fails
    await rm(join(out, 'compose', 'orders.compose.yaml'));
    await mkdir(join(out, 'compose', 'orders.compose.yaml'));
    await expect(engine.apply([await put('pipelines/a.yaml', spec('orders', '2.0.0'))], false)).rejects.toThrow();
    expect(deltas.at(-1)).toBe(true);
    await rm(join(out, 'compose', 'orders.compose.yaml'), { recursive: true });
    // an edit of the other spec: the full path compares everything and writes orders' outputs too
    const r = await step([await put('pipelines/b.yaml', spec('billing', '3.0.0'))], false);
    expect(r.written).toContain('compose/orders.compose.yaml');
    await step([await put('pipelines/b.yaml', spec('billing', '4.0.0'))], true);
  });
});
