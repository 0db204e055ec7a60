import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, generateCorpus, generateSpec, runtimeSpec, specText, writeCorpus } from '../../bench/corpus.mjs';
import { createHistoryRepo, historyStream } from '../../bench/history.mjs';
import { median, table } from '../../bench/stats.mjs';
import { compileSources } from '../../src/emit/compile.js';
import { TARGETS } from '../../src/targets/target.js';

const temps: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Compiles sources with every target and returns the error diagnostics (the whole real pipeline, all rules). */
function errorsOf(inputs: { file: string; source: string }[]) {
  const result = compileSources(inputs, { targets: TARGETS, outDir: 'generated' });
  return { result, errors: result.diagnostics.filter((d) => d.severity === 'error') };
}

describe('corpus generator', () => {
  it('is deterministic: same seed and sizes give the same bytes; another seed differs', () => {
    const a = generateCorpus({ seed: 3, pipelines: 4, tasks: 6 });
    const b = generateCorpus({ seed: 3, pipelines: 4, tasks: 6 });
    expect(b).toEqual(a);
    expect(generateCorpus({ seed: 4, pipelines: 4, tasks: 6 })).not.toEqual(a);
    // pipeline i does not depend on how many pipelines are generated
    expect(generateCorpus({ seed: 3, pipelines: 2, tasks: 6 })).toEqual(a.slice(0, 2));
  });

  it('produces specs that compile to every target without errors', () => {
    const corpus = generateCorpus({ seed: 1, pipelines: 6, tasks: 12 });
    const { result, errors } = errorsOf(corpus.map((c) => ({ file: c.file, source: c.text })));
    expect(errors).toEqual([]);
    expect(result.pipelines).toHaveLength(6);
    expect(result.files.size).toBeGreaterThan(6 * TARGETS.length);
  });

  it('covers the realistic fields the benchmark claims (fan-in, matrix, env, secrets, resources, params, lineage)', () => {
    const specs = Array.from({ length: 10 }, (_, i) => generateSpec(1, i, 50));
    const tasks = specs.flatMap((s) => Object.values(s.spec.tasks));
    expect(tasks).toHaveLength(500);
    expect(tasks.some((t) => (t.needs?.length ?? 0) >= 2)).toBe(true);
    expect(tasks.some((t) => t.matrix !== undefined)).toBe(true);
    expect(tasks.some((t) => t.env !== undefined)).toBe(true);
    expect(tasks.some((t) => t.secrets !== undefined)).toBe(true);
    expect(tasks.some((t) => t.resources !== undefined)).toBe(true);
    expect(tasks.some((t) => t.type === 'check')).toBe(true);
    expect(tasks.every((t) => (t.outputs?.length ?? 0) === 1)).toBe(true);
    expect(tasks.filter((t) => t.needs).every((t) => t.inputs?.length === t.needs?.length)).toBe(true);
    expect(specs.every((s) => s.spec.schedule !== undefined && s.spec.params?.region !== undefined)).toBe(true);
  });

  it('writes the corpus to pipelines/<name>.yaml', () => {
    const dir = temp();
    const files = writeCorpus(dir, { seed: 2, pipelines: 3, tasks: 4 });
    expect(files).toHaveLength(3);
    const corpus = generateCorpus({ seed: 2, pipelines: 3, tasks: 4 });
    for (const c of corpus) expect(readFileSync(join(dir, c.file), 'utf8')).toBe(c.text);
  });

  it('revisions change the spec and keep it valid', () => {
    const base = specText(generateSpec(5, 0, 10));
    const revised = specText(generateSpec(5, 0, 10, { revision: 3, version: '2.0.0' }));
    expect(revised).not.toBe(base);
    expect(specText(generateSpec(5, 0, 10, { revision: 3, version: '2.0.0' }))).toBe(revised);
    expect(errorsOf([{ file: 'pipelines/x.yaml', source: revised }]).errors).toEqual([]);
  });

  it('runtime DAG spec is valid and fans in', () => {
    const spec = runtimeSpec(12);
    expect(Object.keys(spec.spec.tasks)).toHaveLength(12);
    const { result, errors } = errorsOf([{ file: 'pipelines/bench-runtime.yaml', source: specText(spec) }]);
    expect(errors).toEqual([]);
    expect(result.pipelines[0]?.name).toBe('bench-runtime');
    expect(Object.values(spec.spec.tasks).at(-1)?.needs?.length).toBeGreaterThan(1);
  });

  it('rng is a pure function of the seed', () => {
    const a = createRng(9);
    const b = createRng(9);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('git history generator', () => {
  const options = { seed: 7, specs: 4, tasks: 5, commits: 15 };

  it('creates the same repository (same SHAs) every time, with version bumps and valid specs at every commit', () => {
    const one = createHistoryRepo(join(temp(), 'a'), options);
    const two = createHistoryRepo(join(temp(), 'b'), options);
    expect(two.head).toBe(one.head);
    expect(two.root).toBe(one.root);
    expect(one.commits).toBe(15);
    expect(one.files).toHaveLength(4);
    expect(historyStream(options).stream.equals(historyStream(options).stream)).toBe(true);

    const git = (...args: string[]) => execFileSync('git', args, { cwd: one.dir, encoding: 'utf8' });
    // every commit after the root touches a spec; authors and dates are fixed
    const log = git('log', '--format=%H %an %at', '--name-only', `${one.root}..HEAD`);
    expect(log.match(/^pipelines\/.*\.yaml$/gm)?.length).toBeGreaterThanOrEqual(14);
    expect(git('log', '-1', '--format=%at', one.root).trim()).toBe(String(Date.UTC(2024, 0, 1) / 1000));

    // a sample of commits: every spec there compiles without errors
    for (const rev of [one.root, `${one.head}~7`, one.head]) {
      const inputs = one.files.map((file) => ({ file, source: git('show', `${rev}:${file}`) }));
      expect(errorsOf(inputs).errors).toEqual([]);
    }
  });

  it('bumps versions on some commits', () => {
    const { bumps } = historyStream({ seed: 7, specs: 10, tasks: 3, commits: 60 });
    expect(bumps).toBeGreaterThan(5);
    expect(bumps).toBeLessThan(60);
  });
});

describe('report helpers', () => {
  it('median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('table aligns columns', () => {
    expect(table([['a', '1', 'g', 'yes']])).toBe(
      '| metric | value | goal | met? |\n| ------ | ----- | ---- | ---- |\n| a      | 1     | g    | yes  |',
    );
  });
});
