/**
 * Property: any argv/env strings (quotes, `$`, backticks, newlines, unicode, empty) reach the task unchanged on every
 * target. Each emitted file goes through the one serializer, is parsed back, and is then interpreted the way the target
 * does: Compose interpolation (interpolateCompose), Kubernetes `$(VAR)` expansion (a port of the upstream algorithm),
 * and GitLab by running the job's shell lines with /bin/sh — and, for a couple of runs, the whole child pipeline in
 * gitlab-ci-local.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { serializeYaml } from '../../src/emit/serialize.js';
import { BUILTIN_ENV, type PipelineIR, type TaskIR, type Template } from '../../src/model/ir.js';
import { emitCompose } from '../../src/targets/compose/index.js';
import { interpolateCompose } from '../../src/targets/compose/interpolate.js';
import { emitGitlab } from '../../src/targets/gitlab/index.js';
import { kubernetesText } from '../../src/targets/kubernetes/expansion.js';
import { emitKubernetes } from '../../src/targets/kubernetes/index.js';
import { gitlabCiLocal, gitRepo, tempDir } from '../targets/support/gitlab-ci-local.js';
import { runContainer } from '../targets/support/k8s-expansion.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed target documents are walked loosely
type Doc = any;

/** Characters that mean something to YAML, a shell, Compose, Kubernetes or GitLab, plus anything unicode. */
const text = fc.string({
  unit: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '$',
        '$$',
        '$(',
        '${',
        '}',
        ')',
        "'",
        '"',
        '`',
        '\\',
        '\n',
        '\t',
        ' ',
        '#',
        ': ',
        '- ',
        '*',
        '%',
        '{{',
        'yes',
        'NO',
        '0755',
        '~',
        'é',
        '🦀',
        '\u00a0',
        '\r\n',
      ),
    },
    {
      weight: 2,
      arbitrary: fc.string({ unit: 'grapheme', maxLength: 2 }).filter((s) => !s.includes('\0') && !s.includes('\r')),
    },
  ),
  maxLength: 16,
});
const param = fc.constantFrom<Template[number]>(
  { ref: { kind: 'builtin', name: 'ds' } },
  { ref: { kind: 'param', name: 'region' } },
);
const template = fc.array(
  fc.oneof({ weight: 3, arbitrary: text.map((t) => ({ text: t })) }, { weight: 1, arbitrary: param }),
  { maxLength: 4 },
);

const ENV_NAMES = ['V0', 'V1', 'V2'];
/** The observer every task runs: prints its argv then the env values, NUL-separated. */
const OBSERVER = [
  'sh',
  '-c',
  `for a; do printf '%s\\0' "$a"; done; printf '%s\\0' ${ENV_NAMES.map((n) => `"$${n}"`).join(' ')}`,
  'sh',
];

interface Case {
  words: Template[];
  env: Template[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  words: fc.array(template, { maxLength: 5 }),
  env: fc.tuple(template, template, template),
});

const values = { ds: '2024-$(x)-0`1`', region: "e'u $HOME" };
/**
 * Values passed to gitlab-ci-local on its command line: like GitLab's CI/CD variables (unless marked raw), it expands
 * `$` in them, so these carry no `$`. Literal `$` in the spec's own text is what the property exercises.
 */
const gclValues = { ds: '2024-"0`1`', region: "e'u ;|&" };

function resolve(t: Template, v: { ds: string; region: string } = values): string {
  return t.map((s) => ('text' in s ? s.text : s.ref.kind === 'builtin' ? v.ds : v.region)).join('');
}

function pipeline(cases: Case[]): PipelineIR {
  const tasks: TaskIR[] = cases.map((c, i) => ({
    id: `t${i}`,
    specId: `t${i}`,
    matrix: {},
    type: 'task',
    image: 'alpine:3.20',
    command: [...OBSERVER.map((w) => [{ text: w }]), ...c.words],
    env: ENV_NAMES.map((name, j) => ({ name, value: c.env[j]! })),
    secrets: [],
    needs: i === 0 ? [] : [`t${i - 1}`],
    retries: 0,
    retryDelaySeconds: 0,
    resources: {},
    inputs: [],
    outputs: [],
    hash: `h${i}`,
  }));
  return {
    name: 'prop',
    version: '1.0.0',
    owner: 'qa',
    labels: {},
    file: 'pipelines/prop.yaml',
    timezone: 'UTC',
    enabled: true,
    catchup: false,
    concurrency: 1,
    params: [{ name: 'region', default: 'unused-default', envVar: 'PIPEWRIGHT_PARAM_REGION' }],
    tasks,
    specHash: 'f'.repeat(64),
  };
}

function expected(c: Case, v = values): string[] {
  return [...c.words.map((t) => resolve(t, v)), ...c.env.map((t) => resolve(t, v))];
}

function observe(argv: string[], env: Map<string, string> | Record<string, string | undefined>): string[] {
  const get = (n: string) => (env instanceof Map ? env.get(n) : env[n]) ?? '';
  return [...argv.slice(OBSERVER.length), ...ENV_NAMES.map(get)];
}

/** The file's text through the one serializer, which must read back exactly (YAML 1.2) before any target semantics. */
function textOf(ir: PipelineIR, emit: typeof emitGitlab): string {
  const file = emit(ir).files[0]!;
  const text = serializeYaml(file);
  const back = parseAllDocuments(text).map((d) => d.toJS());
  expect(back).toEqual(JSON.parse(JSON.stringify(file.documents)));
  return text;
}

function splitNul(out: Buffer | string): string[] {
  const parts = out.toString().split('\0');
  parts.pop();
  return parts;
}

describe('property: argv and env reach the task unchanged', () => {
  it('Compose (interpolateCompose)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const doc = parse(textOf(pipeline([c]), emitCompose), { version: '1.1' });
        const svc = doc.services.t0;
        const vars = { [BUILTIN_ENV.ds]: values.ds, PIPEWRIGHT_PARAM_REGION: values.region };
        const argv = svc.command.map((w: string) => interpolateCompose(w, vars));
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries<string>(svc.environment ?? {})) env[k] = interpolateCompose(v, vars);
        expect(observe(argv, env)).toEqual(expected(c));
      }),
      { numRuns: 300 },
    );
  });

  it('Kubernetes ($(VAR) expansion with the values the runner sets)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const docs = parseAllDocuments(textOf(pipeline([c]), emitKubernetes), { version: '1.1' }) as Doc[];
        // The Job template is YAML text inside the run plan ConfigMap: read both layers as a YAML 1.1 reader would.
        const plan = docs.map((d) => d.toJS()).find((d) => d.kind === 'ConfigMap');
        const taskText = Object.entries<string>(plan.data).find(([k]) => k.startsWith('task.'))![1];
        const job = (parseAllDocuments(taskText, { version: '1.1' }) as Doc[])[0]!.toJS();
        const container = job.spec.template.spec.containers[0];
        for (const e of container.env ?? []) {
          if (e.name === BUILTIN_ENV.ds) e.value = kubernetesText([{ text: values.ds }]);
          if (e.name === 'PIPEWRIGHT_PARAM_REGION') e.value = kubernetesText([{ text: values.region }]);
        }
        const run = runContainer(container);
        expect(observe(run.argv, run.env)).toEqual(expected(c));
      }),
      { numRuns: 300 },
    );
  });

  it('GitLab (the job run by /bin/sh with its variables in the environment)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const doc = parse(textOf(pipeline([c]), emitGitlab), { version: '1.1' });
        const job = doc.t0;
        const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
        for (const [k, v] of Object.entries<{ value: string; expand: boolean }>({
          ...doc.variables,
          ...job.variables,
        })) {
          expect(v.expand).toBe(false);
          env[k] = v.value;
        }
        env[BUILTIN_ENV.ds] = values.ds;
        env.PIPEWRIGHT_PARAM_REGION = values.region;
        const script = ['set -e', ...doc.default.before_script, ...job.script].join('\n');
        expect(splitNul(execFileSync('/bin/sh', ['-c', script], { env }))).toEqual(expected(c));
      }),
      { numRuns: 150 },
    );
  });

  it('GitLab (whole child pipelines in gitlab-ci-local)', () => {
    fc.assert(
      fc.property(fc.array(caseArb, { minLength: 3, maxLength: 3 }), (cases) => {
        const dir = tempDir();
        const ir = pipeline(cases);
        // Each task writes what it observed to a file: the observer's output goes to stdout, so wrap it.
        for (const task of ir.tasks) {
          task.command = [
            [{ text: 'sh' }],
            [{ text: '-c' }],
            [{ text: '"$@" > "$0"' }],
            [{ text: join(dir, `${task.id}.out`) }],
            ...task.command,
          ];
        }
        const file = emitGitlab(ir).files[0]!;
        gitRepo(dir, { [file.path]: textOf(ir, emitGitlab) });
        const result = gitlabCiLocal(dir, file.path, {
          PIPEWRIGHT_PIPELINE: 'prop',
          PIPEWRIGHT_DS: gclValues.ds,
          PIPEWRIGHT_PARAM_REGION: gclValues.region,
        });
        expect(result.status, result.output).toBe(0);
        cases.forEach((c, i) => {
          expect(splitNul(readFileSync(join(dir, `t${i}.out`)))).toEqual(expected(c, gclValues));
        });
      }),
      { numRuns: 2 },
    );
  });
});
