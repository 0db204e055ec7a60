import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actualBump, checkPolicy, requiredBump } from '../../src/history/classify.js';
import { diffPipeline, diffPipelines, imageRepository } from '../../src/history/diff.js';
import { buildReport } from '../../src/history/report.js';
import { CLASSIFICATION_RULES } from '../../src/history/rules.js';
import type { ParamIR, PipelineIR, TaskIR } from '../../src/model/ir.js';
import { pipeline, side, task } from './ir.js';

describe('diffPipelines on hand-built IR', () => {
  it('finds nothing between equal sides, whatever the task and set order', () => {
    const a = pipeline('p', {
      tasks: [task('a', { outputs: ['x', 'y'], needs: [] }), task('b', { needs: ['a'], inputs: ['x', 'z'] })],
    });
    const b = pipeline('p', {
      tasks: [task('b', { needs: ['a'], inputs: ['z', 'x'] }), task('a', { outputs: ['y', 'x'] })],
    });
    expect(diffPipelines(side(a), side(b))).toEqual([]);
  });

  it('reports field changes with typed values, sorted by path', () => {
    const a = pipeline('p', { tasks: [task('extract', { retries: 2, resources: { cpu: '1', cpuMillis: 1000 } })] });
    const b = pipeline('p', {
      version: '1.0.1',
      tasks: [task('extract', { retries: 3, resources: { cpu: '1000m', cpuMillis: 1000 } })],
    });
    const [d] = diffPipelines(side(a), side(b));
    expect(d?.changes).toEqual([
      {
        path: 'tasks.extract.retries',
        kind: 'changed',
        before: 2,
        after: 3,
        severity: 'patch',
        rule: 'retries-changed',
      },
    ]);
  });

  it('treats a moved file as a modification that keeps its identity', () => {
    const a = pipeline('p');
    const b = pipeline('p', { file: 'pipelines/team/p.yaml' });
    expect(diffPipelines(side(a), side(b))).toEqual([
      {
        name: 'p',
        status: 'modified',
        file: 'pipelines/team/p.yaml',
        previousFile: 'pipelines/p.yaml',
        version: { before: '1.0.0', after: '1.0.0' },
        changes: [],
      },
    ]);
  });

  it('distinguishes an output moved between tasks from an output removed', () => {
    const a = pipeline('p', { tasks: [task('a', { outputs: ['s3://x'] }), task('b')] });
    const moved = pipeline('p', { tasks: [task('a'), task('b', { outputs: ['s3://x'] })] });
    const gone = pipeline('p', { tasks: [task('a'), task('b')] });
    expect(diffPipelines(side(a), side(moved))[0]?.changes.map((c) => c.rule)).toEqual([
      'output-moved',
      'output-moved',
    ]);
    expect(diffPipelines(side(a), side(gone))[0]?.changes.map((c) => [c.rule, c.severity])).toEqual([
      ['output-removed', 'breaking'],
    ]);
  });

  it('splits image changes into tag (patch) and repository (minor)', () => {
    expect(imageRepository('registry:5000/team/etl:1.2')).toBe('registry:5000/team/etl');
    expect(imageRepository('etl@sha256:abc')).toBe('etl');
    expect(imageRepository('registry:5000/etl')).toBe('registry:5000/etl');
  });
});

describe('classification and policy', () => {
  it('takes the highest severity as the required bump', () => {
    expect(requiredBump([])).toBe('none');
    const c = (severity: 'breaking' | 'minor' | 'patch') => ({
      path: 'x',
      kind: 'changed' as const,
      severity,
      rule: 'env-changed' as const,
    });
    expect(requiredBump([c('patch'), c('minor')])).toBe('minor');
    expect(requiredBump([c('patch'), c('breaking'), c('minor')])).toBe('major');
  });

  it('measures the bump actually made', () => {
    expect(actualBump('1.4.2', '2.0.0')).toBe('major');
    expect(actualBump('1.4.2', '1.5.0')).toBe('minor');
    expect(actualBump('1.4.2', '1.4.3')).toBe('patch');
    expect(actualBump('1.4.2', '1.4.2')).toBe('same');
    expect(actualBump('1.4.2', '1.4.1')).toBe('down');
    expect(actualBump('2.0.0-rc.1', '2.0.0')).toBe('prerelease');
  });

  it('flags too small, missing and backwards bumps', () => {
    const diff = (before: string, after: string) => ({
      name: 'p',
      status: 'modified' as const,
      file: 'f',
      version: { before, after },
      changes: [],
    });
    expect(checkPolicy(diff('1.0.0', '1.1.0'), 'minor')).toEqual({ policy: 'ok' });
    expect(checkPolicy(diff('1.0.0', '1.0.1'), 'minor').reason).toBe(
      '1.0.0 → 1.0.1 is a patch bump; changes require a minor bump (at least 1.1.0)',
    );
    expect(checkPolicy(diff('1.0.0', '1.0.0'), 'patch').reason).toBe(
      'version not bumped (still 1.0.0); changes require a patch bump',
    );
    expect(checkPolicy(diff('1.0.0', '0.9.0'), 'none').reason).toBe('version went down (1.0.0 → 0.9.0)');
    expect(checkPolicy(diff('1.0.0', '1.0.0'), 'none')).toEqual({ policy: 'ok' });
    expect(checkPolicy({ ...diff('1.0.0', '1.0.0'), status: 'added' }, 'major')).toEqual({ policy: 'ok' });
  });

  it('reports lineage impact of a removed pipeline on readers at head', () => {
    const producer = pipeline('producer', { tasks: [task('load', { outputs: ['warehouse://orders'] })] });
    const consumer = pipeline('consumer', { tasks: [task('report', { inputs: ['warehouse://orders'] })] });
    const report = buildReport(
      { label: 'a', pipelines: side(producer, consumer) },
      { label: 'b', pipelines: side(consumer) },
    );
    expect(report.pipelines).toHaveLength(1);
    expect(report.pipelines[0]).toMatchObject({
      name: 'producer',
      status: 'removed',
      requiredBump: 'major',
      policy: 'ok',
    });
    expect(report.pipelines[0]?.impacts).toEqual([
      { output: 'warehouse://orders', pipeline: 'consumer', task: 'report', file: 'pipelines/consumer.yaml' },
    ]);
  });
});

describe('properties', () => {
  const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const taskArb = fc.record({
    id: word,
    outputs: fc.uniqueArray(word, { maxLength: 3 }),
    inputs: fc.uniqueArray(word, { maxLength: 3 }),
    retries: fc.integer({ min: 0, max: 10 }),
    env: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/), fc.string()), {
      maxLength: 3,
      selector: (e) => e[0],
    }),
  });
  const pipelineArb = fc.uniqueArray(taskArb, { minLength: 1, maxLength: 6, selector: (t) => t.id }).map((tasks) =>
    tasks.map((t) =>
      task(t.id, {
        outputs: t.outputs.map((o) => `s3://${o}/{{ ds }}`),
        inputs: t.inputs.map((i) => `s3://${i}/{{ ds }}`),
        retries: t.retries,
        env: t.env.map(([name, value]) => ({ name, value: [{ text: value }] })),
        needs: tasks.filter((x) => x.id < t.id).map((x) => x.id),
      }),
    ),
  );

  it('diff(a, a) is empty and so is any reordering of tasks, needs, inputs, outputs and env', () => {
    fc.assert(
      fc.property(pipelineArb, fc.integer(), (tasks, seed) => {
        const a = pipeline('p', { tasks });
        expect(diffPipelines(side(a), side(a))).toEqual([]);
        const shuffle = <T>(xs: readonly T[]): T[] =>
          xs
            .map((x, i) => [x, (i * 7919 + seed) % 101] as const)
            .sort((p, q) => p[1] - q[1])
            .map((p) => p[0]);
        const b = pipeline('p', {
          tasks: shuffle(tasks).map((t) => ({
            ...t,
            needs: shuffle(t.needs),
            inputs: shuffle(t.inputs),
            outputs: shuffle(t.outputs),
            env: shuffle(t.env),
          })),
        });
        expect(diffPipelines(side(a), side(b))).toEqual([]);
      }),
    );
  });

  it('every change of a random edit is classified by a table row', () => {
    fc.assert(
      fc.property(pipelineArb, pipelineArb, (x, y) => {
        const [d] = diffPipelines(
          side(pipeline('p', { tasks: x })),
          side(pipeline('p', { tasks: y, version: '2.0.0' })),
        );
        for (const c of d?.changes ?? [])
          expect(CLASSIFICATION_RULES.find((r) => r.id === c.rule)?.severity).toBe(c.severity);
      }),
    );
  });
});

describe('field coverage', () => {
  /**
   * Every IR field must be compared: mutate each field of a fully populated IR (pipeline, task, param, resources) and
   * expect at least one change. A field added to the IR later gets a mutation here automatically and fails until the
   * diff covers it. Derived fields are listed: hashes, identity, the version (the policy compares it), the file
   * (reported as previousFile), and as-written quantities (compared resolved).
   */
  const DERIVED = new Set(['specHash', 'hash', 'file', 'version', 'name', 'id', 'envVar', 'cpu', 'memory']);
  const full = () =>
    pipeline('p', {
      description: 'd',
      labels: { a: 'b' },
      schedule: '@daily',
      startDate: '2024-01-01',
      endDate: '2025-01-01',
      slaSeconds: 60,
      params: [
        { name: 'region', default: 'eu', description: 'r', enum: ['eu', 'us'], envVar: 'PIPEWRIGHT_PARAM_REGION' },
      ],
      tasks: [
        task('extract', {
          matrix: { region: 'eu' },
          description: 'x',
          workingDir: '/app',
          env: [{ name: 'A', value: [{ text: 'a' }] }],
          secrets: [{ env: 'PW', ref: 'db/pw', secretName: 'db', key: 'pw' }],
          needs: ['other'],
          timeoutSeconds: 60,
          resources: { cpu: '1', memory: '1Gi', cpuMillis: 1000, memoryBytes: 1024 ** 3 },
          pool: 'big',
          inputs: ['s3://in'],
          outputs: ['s3://out'],
        }),
        task('other'),
      ],
    });
  const mutate = (value: unknown): unknown => {
    if (typeof value === 'string') return `${value}-changed`;
    if (typeof value === 'number') return value + 1;
    if (typeof value === 'boolean') return !value;
    if (Array.isArray(value)) {
      const sample = value[0];
      if (typeof sample === 'string') return [...value, 'zz'];
      if (Array.isArray(sample)) return [...value, [{ text: 'zz' }]];
      return value.map((v, i) => (i === 0 ? { ...v, [Object.keys(v)[0]!]: `${Object.values(v)[0]}-2` } : v));
    }
    return { ...(value as object), zz: 'zz' };
  };
  const cases: [string, (ir: PipelineIR) => void][] = [];
  const sample = full();
  for (const key of Object.keys(sample) as (keyof PipelineIR)[]) {
    if (DERIVED.has(key) || key === 'tasks' || key === 'params') continue;
    cases.push([key, (ir) => Object.assign(ir, { [key]: mutate(ir[key]) })]);
  }
  for (const key of Object.keys(sample.tasks[0]!) as (keyof TaskIR)[]) {
    if (DERIVED.has(key)) continue;
    if (key === 'resources') {
      for (const r of ['cpuMillis', 'memoryBytes'] as const)
        cases.push([`tasks[0].resources.${r}`, (ir) => (ir.tasks[0]!.resources[r]! += 1)]);
      continue;
    }
    cases.push([`tasks[0].${key}`, (ir) => Object.assign(ir.tasks[0]!, { [key]: mutate(ir.tasks[0]![key]) })]);
  }
  for (const key of Object.keys(sample.params[0]!) as (keyof ParamIR)[]) {
    if (DERIVED.has(key)) continue;
    cases.push([`params[0].${key}`, (ir) => Object.assign(ir.params[0]!, { [key]: mutate(ir.params[0]![key]) })]);
  }

  it.each(cases)('a change of %s is reported', (_, edit) => {
    const head = full();
    edit(head);
    expect(diffPipeline(full(), head).length).toBeGreaterThan(0);
  });
});
