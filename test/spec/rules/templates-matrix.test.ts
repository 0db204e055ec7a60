import { describe, expect, it } from 'vitest';
import { duplicatePipelineName } from '../../../src/spec/rules/duplicate-pipeline-name.js';
import { idCollision } from '../../../src/spec/rules/id-collision.js';
import { matrixTooLarge } from '../../../src/spec/rules/matrix-too-large.js';
import { unknownTemplateReference } from '../../../src/spec/rules/unknown-template-reference.js';
import { checked, covered, pipeline, run, show } from './helpers.js';

const tasks = (lines: string, extra = '') =>
  pipeline(`  defaults:
    image: ghcr.io/acme/etl:1.0.0
${extra}  tasks:
${lines}`);

describe('PW212 template references', () => {
  it('checks command, env, inputs, outputs and workingDir, narrowing to the reference', () => {
    const src = tasks(
      `    load:
      matrix: { region: [eu, us] }
      command: [load, "--date={{ ds }}", "--day={{ day }}", "{{ params.region }}", "{{ matrix.region }}"]
      env: { TARGET: "{{ params.target }}" }
      inputs: ["s3://lake/{{ matrix.shard }}"]
      outputs: ["warehouse://{{ ds_nodash }}.{{ run_id }}"]
      workingDir: "/work/{{ params.nope }}"
`,
      `    env: { STAMP: "{{ matrix.region }}" }
  params:
    region: { default: eu }
`,
    );
    const input = checked(src);
    const found = unknownTemplateReference.check!(input);
    expect(found.map((d) => [d.message, covered(src, d)])).toEqual([
      [
        "in defaults.env 'STAMP', matrix reference '{{ matrix.region }}' is not allowed in defaults: defaults apply to every task, set it in the task's own env",
        '{{ matrix.region }}',
      ],
      [
        "in command word 3 of task 'load', unknown template reference '{{ day }}' (built-ins: ds, ds_nodash, ts, run_id)",
        '{{ day }}',
      ],
      [
        "in inputs[0] of task 'load', unknown matrix key 'shard' in '{{ matrix.shard }}' (this task's matrix has region)",
        '{{ matrix.shard }}',
      ],
      [
        "in env 'TARGET' of task 'load', unknown parameter 'target' in '{{ params.target }}' (declare it under spec.params)",
        '{{ params.target }}',
      ],
      [
        "in workingDir of task 'load', unknown parameter 'nope' in '{{ params.nope }}' (declare it under spec.params)",
        '{{ params.nope }}',
      ],
    ]);
  });

  it('reports matrix references in a task without that matrix key, and unbalanced braces', () => {
    const src = tasks(`    a:
      command: [run, "{{ matrix.region }}", "{{ ds", "x }} y"]
`);
    expect(run(unknownTemplateReference, src)).toEqual([
      "12:23-12:42 error PW212 in command word 2 of task 'a', unknown matrix key 'region' in '{{ matrix.region }}' (this task's matrix has no keys)",
      "12:46-12:51 error PW212 in command word 3 of task 'a', '{{' without a closing '}}'",
      "12:57-12:59 error PW212 in command word 4 of task 'a', '}}' without a matching '{{'",
    ]);
  });

  it('keeps the whole scalar as the range when it has escapes', () => {
    const src = tasks(`    a:
      command: ["run\\t{{ nope }}"]
`);
    const [d] = unknownTemplateReference.check!(checked(src));
    expect(covered(src, d!)).toBe('"run\\t{{ nope }}"');
  });
});

describe('PW213 matrix size', () => {
  it('rejects more than 200 instances and names the factors', () => {
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => `v${i}`).join(', ')}]`;
    const src = tasks(`    a:
      matrix: { region: ${values(3)}, shard: ${values(67)} }
      command: [run]
    b:
      matrix: { region: ${values(2)}, shard: ${values(100)} }
      command: [run]
`);
    expect(run(matrixTooLarge, src)).toEqual([
      "12:7-12:13 error PW213 matrix of task 'a' expands to 201 instances (3 × 67 values of region × shard); the limit is 200: split the task or pass the values as a parameter",
    ]);
  });
});

describe('PW214 id collisions', () => {
  it('reports ids equal after normalisation with both positions', () => {
    const src = tasks(`    load_orders: { command: [run] }
    load-orders: { command: [run] }
`);
    const [d, ...rest] = idCollision.check!(checked(src));
    expect(rest).toEqual([]);
    expect(d!.message).toBe(
      "task 'load-orders' and task 'load_orders' both get the id 'load-orders' (previously defined at 11:5): ids must stay distinct after name normalisation and matrix expansion",
    );
    expect(covered(src, d!)).toBe('load-orders');
    expect(d!.related?.map((r) => [r.range.start, r.message])).toEqual([
      [{ line: 11, column: 5 }, "task 'load_orders' defined here"],
    ]);
  });

  it('reports a matrix instance colliding with a task, once per pair of tasks', () => {
    const src = tasks(`    a-b: { command: [run] }
    a:
      matrix: { x: [b, c] }
      command: [run]
    a-c: { command: [run] }
`);
    expect(show(idCollision.check!(checked(src)))).toEqual([
      "12:5-12:6 error PW214 instance [b] of task 'a' and task 'a-b' both get the id 'a-b' (previously defined at 11:5): ids must stay distinct after name normalisation and matrix expansion",
      "15:5-15:8 error PW214 task 'a-c' and instance [c] of task 'a' both get the id 'a-c' (previously defined at 12:5): ids must stay distinct after name normalisation and matrix expansion",
    ]);
  });

  it('points at the matrix value when two values of one task normalise alike', () => {
    const src = tasks(`    a:
      matrix: { region: [eu, us, EU] }
      command: [run]
`);
    const [d] = idCollision.check!(checked(src));
    expect(covered(src, d!)).toBe('EU');
    expect(d!.message).toContain("instance [EU] of task 'a' and instance [eu] of task 'a' both get the id 'a-eu'");
    expect(d!.related?.[0]?.range.start).toEqual({ line: 12, column: 26 });
  });

  it('rejects ids with nothing left after normalisation', () => {
    expect(run(idCollision, tasks(`    ___: { command: [run] }\n`))).toEqual([
      "11:5-11:8 error PW214 task id '___' has no letters or digits: it cannot name a container, Job or CI job",
    ]);
  });

  it('accepts distinct ids', () => {
    expect(
      run(
        idCollision,
        tasks(`    extract: { command: [run] }
    transform:
      matrix: { region: [eu, us], tier: [gold, silver] }
      command: [run]
`),
      ),
    ).toEqual([]);
  });
});

describe('PW204 duplicate pipeline names', () => {
  it('reports later files with the earlier position, in path order whatever the input order', () => {
    const body = '  tasks:\n    a: { image: ghcr.io/acme/etl:1.0.0, command: [run] }\n';
    const a = checked(pipeline(body, 'orders'), 'pipelines/a.yaml');
    const b = checked(`# moved\n${pipeline(body, 'orders')}`, 'pipelines/b.yaml');
    const c = checked(pipeline(body, 'other'), 'pipelines/c.yaml');
    const found = duplicatePipelineName.checkAll!([c, b, a]);
    expect(found).toEqual([
      {
        file: 'pipelines/b.yaml',
        range: { start: { line: 5, column: 9 }, end: { line: 5, column: 15 } },
        severity: 'error',
        code: 'PW204',
        message:
          "duplicate pipeline name 'orders' (previously defined in pipelines/a.yaml:4:9): pipeline names must be unique across the repository",
        related: [
          {
            file: 'pipelines/a.yaml',
            range: { start: { line: 4, column: 9 }, end: { line: 4, column: 15 } },
            message: "pipeline 'orders' previously defined here",
          },
        ],
      },
    ]);
  });
});
