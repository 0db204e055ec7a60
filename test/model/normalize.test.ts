import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandMatrix, normalizePipeline } from '../../src/model/normalize.js';
import type { PipelineSpec, TaskSpec } from '../../src/spec/types.js';

function pipeline(tasks: Record<string, TaskSpec>, extra: Partial<PipelineSpec['spec']> = {}): PipelineSpec {
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: { name: 'daily-orders', version: '1.4.0', owner: 'analytics' },
    spec: { defaults: { image: 'python:3.12-slim' }, ...extra, tasks },
  };
}

describe('normalizePipeline', () => {
  it('applies defaults, merges env task-over-default and resolves durations and quantities', () => {
    const ir = normalizePipeline(
      pipeline(
        {
          extract: {
            command: ['python', '-m', 'etl', '--date', '{{ ds }}'],
            env: { B: 'task', C: '{{ params.region }}' },
            resources: { memory: '1Gi' },
            secrets: { DB_PASSWORD: { ref: 'warehouse/password' } },
            retryDelay: '30s',
          },
        },
        {
          defaults: {
            image: 'python:3.12-slim',
            retries: 2,
            timeout: '1h30m',
            env: { A: 'default', B: 'default' },
            resources: { cpu: '500m', memory: '512Mi' },
            pool: 'batch',
          },
          params: { region: { default: 'eu', description: 'where' } },
          sla: '2h',
        },
      ),
      'pipelines/daily-orders.yaml',
    );
    const { hash, ...task } = ir.tasks[0]!;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(task).toEqual({
      id: 'extract',
      specId: 'extract',
      matrix: {},
      type: 'task',
      image: 'python:3.12-slim',
      command: [
        { text: 'python' },
        { text: '-m' },
        { text: 'etl' },
        { text: '--date' },
        [{ ref: { kind: 'builtin', name: 'ds' } }],
      ].map((w) => (Array.isArray(w) ? w : [w])),
      env: [
        { name: 'A', value: [{ text: 'default' }] },
        { name: 'B', value: [{ text: 'task' }] },
        { name: 'C', value: [{ ref: { kind: 'param', name: 'region' } }] },
      ],
      secrets: [{ env: 'DB_PASSWORD', ref: 'warehouse/password', secretName: 'warehouse', key: 'password' }],
      needs: [],
      retries: 2,
      retryDelaySeconds: 30,
      timeoutSeconds: 5400,
      resources: { cpu: '500m', cpuMillis: 500, memory: '1Gi', memoryBytes: 1024 ** 3 },
      pool: 'batch',
      inputs: [],
      outputs: [],
    });
    expect(ir).toMatchObject({
      name: 'daily-orders',
      file: 'pipelines/daily-orders.yaml',
      timezone: 'UTC',
      enabled: true,
      catchup: false,
      concurrency: 1,
      slaSeconds: 7200,
      labels: {},
      params: [{ name: 'region', default: 'eu', description: 'where', envVar: 'PIPEWRIGHT_PARAM_REGION' }],
    });
    expect(ir.specHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses documented defaults when nothing is set', () => {
    const ir = normalizePipeline(pipeline({ a: { command: ['true'] } }), 'p.yaml');
    expect(ir.tasks[0]).toMatchObject({ retries: 0, retryDelaySeconds: 60, resources: {} });
    expect(ir.tasks[0]!.timeoutSeconds).toBeUndefined();
    expect(ir.tasks[0]!.pool).toBeUndefined();
  });

  it('expands the matrix, resolves matrix refs and fans needs in to every instance', () => {
    const ir = normalizePipeline(
      pipeline({
        report: { command: ['report'], needs: ['transform'] },
        transform: {
          command: ['t', '--region={{ matrix.region }}', '--tier={{ matrix.tier }}', '{{ ds_nodash }}'],
          matrix: { tier: ['gold', 'silver'], region: ['eu', 'us'] },
          outputs: ['s3://lake/{{ matrix.region }}/{{ ds }}'],
          needs: ['extract'],
        },
        extract: { command: ['e'] },
      }),
      'p.yaml',
    );
    expect(ir.tasks.map((t) => t.id)).toEqual([
      'extract',
      'transform-eu-gold',
      'transform-eu-silver',
      'transform-us-gold',
      'transform-us-silver',
      'report',
    ]);
    const usSilver = ir.tasks.find((t) => t.id === 'transform-us-silver')!;
    expect(usSilver.matrix).toEqual({ region: 'us', tier: 'silver' });
    expect(Object.keys(usSilver.matrix)).toEqual(['region', 'tier']);
    expect(usSilver.command[1]).toEqual([{ text: '--region=us' }]);
    expect(usSilver.outputs).toEqual([[{ text: 's3://lake/us/' }, { ref: { kind: 'builtin', name: 'ds' } }]]);
    expect(usSilver.needs).toEqual(['extract']);
    expect(ir.tasks.at(-1)!.needs).toEqual([
      'transform-eu-gold',
      'transform-eu-silver',
      'transform-us-gold',
      'transform-us-silver',
    ]);
  });

  it('normalises ids to DNS labels and sorts needs, secrets and lineage', () => {
    const ir = normalizePipeline(
      pipeline({
        Load_Orders: {
          command: ['l'],
          needs: ['b_task', 'a'],
          secrets: { Z: { ref: 'z/k' }, A: { ref: 'a.b/c.d' } },
          inputs: ['s3://b', 's3://a', 's3://b'],
        },
        a: { command: ['a'] },
        b_task: { command: ['b'] },
      }),
      'p.yaml',
    );
    const load = ir.tasks.find((t) => t.specId === 'Load_Orders')!;
    expect(load.id).toBe('load-orders');
    expect(load.needs).toEqual(['a', 'b-task']);
    expect(load.secrets.map((s) => [s.env, s.secretName, s.key])).toEqual([
      ['A', 'a.b', 'c.d'],
      ['Z', 'z', 'k'],
    ]);
    expect(load.inputs).toEqual([[{ text: 's3://a' }], [{ text: 's3://b' }]]);
  });

  it('throws (an internal error) on input validation should have rejected', () => {
    expect(() => normalizePipeline(pipeline({ a: { command: ['x'], needs: ['ghost'] } }), 'p')).toThrow(
      /unknown task ghost/,
    );
    expect(() =>
      normalizePipeline(pipeline({ a: { command: ['x'], needs: ['b'] }, b: { command: ['x'], needs: ['a'] } }), 'p'),
    ).toThrow(/cycle/);
    const noImage = pipeline({ a: { command: ['x'] } });
    noImage.spec.defaults = {};
    expect(() => normalizePipeline(noImage, 'p')).toThrow(/no image/);
  });
});

describe('expandMatrix', () => {
  it('is the cartesian product in sorted key order', () => {
    expect(expandMatrix({ b: ['1', '2'], a: ['x'] })).toEqual([
      { a: 'x', b: '1' },
      { a: 'x', b: '2' },
    ]);
    expect(expandMatrix(undefined)).toEqual([{}]);
  });
});

// ---- properties ----

const idArb = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const plainArb = fc.string().filter((s) => !s.includes('{') && !s.includes('}'));
const wordArb = fc.oneof(plainArb, fc.constantFrom('{{ ds }}', '--d={{ ts }}', '{{ run_id }}'));
const taskFieldsArb = fc.record(
  {
    command: fc.array(wordArb, { minLength: 1, maxLength: 4 }),
    image: fc.constantFrom('alpine:3.20', 'python:3.12'),
    retries: fc.integer({ min: 0, max: 10 }),
    timeout: fc.constantFrom('10m', '1h', '30s'),
    workingDir: fc.constantFrom('/app', '/work'),
    env: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,5}$/), plainArb, { maxKeys: 3 }),
  },
  { requiredKeys: ['command'] },
);
const specArb = fc
  .uniqueArray(idArb, { minLength: 1, maxLength: 8 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(taskFieldsArb, { minLength: ids.length, maxLength: ids.length }),
      fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: ids.length, maxLength: ids.length }),
    ),
  )
  .map(([ids, fields, needIdx]) => {
    const tasks: Record<string, TaskSpec> = {};
    ids.forEach((id, i) => {
      // only earlier tasks may be needed: acyclic by construction
      const needs = i === 0 ? [] : [...new Set(needIdx[i]!.map((n) => ids[n % i]!))];
      tasks[id] = { ...fields[i]!, ...(needs.length ? { needs } : {}) };
    });
    return pipeline(tasks);
  });

function reorderKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reorderKeys) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reorderKeys(v)]),
    ) as T;
  }
  return value;
}

describe('normalizePipeline properties', () => {
  it('is deterministic and independent of key order; the order respects every need', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const a = normalizePipeline(spec, 'p.yaml');
        expect(normalizePipeline(structuredClone(spec), 'p.yaml')).toEqual(a);
        const b = normalizePipeline(reorderKeys(spec), 'p.yaml');
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        const position = new Map(a.tasks.map((t, i) => [t.id, i]));
        for (const t of a.tasks) for (const n of t.needs) expect(position.get(n)!).toBeLessThan(position.get(t.id)!);
      }),
    );
  });

  it('changing any task field changes that task hash and the spec hash, and nothing else', () => {
    fc.assert(
      fc.property(specArb, fc.nat(), fc.nat(3), (spec, pick, which) => {
        const before = normalizePipeline(spec, 'p.yaml');
        const ids = Object.keys(spec.spec.tasks);
        const id = ids[pick % ids.length]!;
        const changed = structuredClone(spec);
        const t = changed.spec.tasks[id]!;
        if (which === 0) t.command = [...t.command, 'extra'];
        else if (which === 1) t.retries = ((t.retries ?? 0) + 1) % 11;
        else if (which === 2) t.env = { ...t.env, lower_new: 'x' };
        else t.workingDir = `${t.workingDir ?? ''}/sub`;
        const after = normalizePipeline(changed, 'p.yaml');
        const hashOf = (ir: typeof before, tid: string) => ir.tasks.find((x) => x.specId === tid)!.hash;
        expect(hashOf(after, id)).not.toBe(hashOf(before, id));
        expect(after.specHash).not.toBe(before.specHash);
        for (const other of ids.filter((x) => x !== id)) expect(hashOf(after, other)).toBe(hashOf(before, other));
      }),
    );
  });

  it('the spec hash ignores the file path', () => {
    const spec = pipeline({ a: { command: ['x'] } });
    expect(normalizePipeline(spec, 'a.yaml').specHash).toBe(normalizePipeline(spec, 'moved/b.yaml').specHash);
  });
});
