import { describe, expect, it } from 'vitest';
import { compileSources, compileSpec, warningPath } from '../../src/emit/compile.js';
import { TARGETS } from '../../src/targets/target.js';

const spec = (name: string, extra = '') => `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: ${name}
  version: 1.0.0
  owner: data
spec:
${extra}  defaults:
    image: alpine:3.20
    timeout: 10m
  tasks:
    a:
      command: [echo, a]
    b:
      needs: [a]
      command: [echo, b]
      timeout: 5m
`;
const options = { targets: TARGETS, outDir: 'generated' };

describe('compileSources', () => {
  it('produces every target for every pipeline plus the GitLab parent, sorted by path', () => {
    const result = compileSources(
      [
        { file: 'pipelines/two.yaml', source: spec('two') },
        { file: 'pipelines/one.yaml', source: spec('one') },
      ],
      options,
    );
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect([...result.files.keys()]).toEqual([
      'compose/one.compose.yaml',
      'compose/two.compose.yaml',
      'gitlab/one.gitlab-ci.yml',
      'gitlab/pipelines.gitlab-ci.yml',
      'gitlab/two.gitlab-ci.yml',
      'index/one.json',
      'index/two.json',
      'k8s/one.yaml',
      'k8s/two.yaml',
    ]);
    expect(result.pipelines.map((p) => p.name)).toEqual(['one', 'two']);
  });

  it('is deterministic: same bytes whatever the input order', () => {
    const inputs = [
      { file: 'pipelines/one.yaml', source: spec('one') },
      { file: 'pipelines/two.yaml', source: spec('two', '  schedule: "@daily"\n') },
    ];
    const a = compileSources(inputs, options);
    const b = compileSources([...inputs].reverse(), options);
    expect([...b.files]).toEqual([...a.files]);
    expect(b.diagnostics).toEqual(a.diagnostics);
  });

  it('selects targets', () => {
    const result = compileSources([{ file: 'p.yaml', source: spec('one') }], {
      targets: ['compose'],
      outDir: 'generated',
    });
    // the spec index is written whatever the targets (src/emit/spec-index.ts)
    expect([...result.files.keys()]).toEqual(['compose/one.compose.yaml', 'index/one.json']);
  });

  it('is all-or-nothing: one spec with an error means no files at all', () => {
    const result = compileSources(
      [
        { file: 'pipelines/good.yaml', source: spec('good') },
        { file: 'pipelines/bad.yaml', source: spec('bad').replace('needs: [a]', 'needs: [ghost]') },
      ],
      options,
    );
    expect(result.files.size).toBe(0);
    expect(
      result.diagnostics.some((d) => d.severity === 'error' && d.code === 'PW201' && d.file === 'pipelines/bad.yaml'),
    ).toBe(true);
  });

  it('reports duplicate pipeline names across files (cross-file step) and writes nothing', () => {
    const result = compileSources(
      [
        { file: 'pipelines/a.yaml', source: spec('same') },
        { file: 'pipelines/b.yaml', source: spec('same') },
      ],
      options,
    );
    expect(result.files.size).toBe(0);
    expect(result.diagnostics.filter((d) => d.code === 'PW204').length).toBeGreaterThan(0);
  });

  it('positions target warnings at the field, moved to spec.defaults when inherited, once per location', () => {
    const result = compileSources([{ file: 'p.yaml', source: spec('one') }], {
      targets: ['compose'],
      outDir: 'generated',
    });
    const timeouts = result.diagnostics.filter((d) => d.code === 'PW302');
    // task a inherits defaults.timeout (line 10), task b sets its own (line 17)
    expect(timeouts.map((d) => [d.severity, d.range.start.line])).toEqual([
      ['warning', 10],
      ['warning', 17],
    ]);
  });
});

describe('compileSpec', () => {
  it('is a pure function of (file, source, targets): equal results on repeat', () => {
    const a = compileSpec('p.yaml', spec('one'), options);
    const b = compileSpec('p.yaml', spec('one'), options);
    expect(b.outputs).toEqual(a.outputs);
    expect(b.ir).toEqual(a.ir);
    expect(a.pipeline).toBe('one');
  });

  it('returns diagnostics and no outputs for a broken file', () => {
    const unit = compileSpec('p.yaml', 'a: [', options);
    expect(unit.outputs).toEqual([]);
    expect(unit.ir).toBeUndefined();
    expect(unit.diagnostics[0]!.severity).toBe('error');
  });
});

describe('warningPath', () => {
  it('keeps a path the task sets and maps an inherited one to spec.defaults', () => {
    const value = {
      apiVersion: 'pipewright.dev/v1',
      kind: 'Pipeline',
      metadata: { name: 'x', version: '1.0.0', owner: 'o' },
      spec: { defaults: { retries: 3 }, tasks: { a: { command: ['x'], timeout: '1m' } } },
    } as const;
    // biome-ignore lint/suspicious/noExplicitAny: test value
    const s = value as any;
    expect(warningPath(s, ['spec', 'tasks', 'a', 'timeout'])).toEqual(['spec', 'tasks', 'a', 'timeout']);
    expect(warningPath(s, ['spec', 'tasks', 'a', 'retries'])).toEqual(['spec', 'defaults', 'retries']);
    expect(warningPath(s, ['spec', 'tasks', 'a', 'pool'])).toEqual(['spec', 'tasks', 'a', 'pool']);
  });
});
