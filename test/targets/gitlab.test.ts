import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serializeYaml } from '../../src/emit/serialize.js';
import type { PipelineIR } from '../../src/model/ir.js';
import { normalizePipeline } from '../../src/model/normalize.js';
import type { PipelineSpec } from '../../src/spec/types.js';
import { emitGitlab, emitGitlabParent, gitlabDuration, secretVariables } from '../../src/targets/gitlab/index.js';
import { gitlabCiLocal, gitRepo, tempDir } from './support/gitlab-ci-local.js';
import { dailyOrders, dailyOrdersSpec, manual } from './support/specs.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed GitLab documents are walked loosely in assertions
type Doc = any;

function child(ir: PipelineIR): Doc {
  const { files } = emitGitlab(ir);
  expect(files).toHaveLength(1);
  return parse(serializeYaml(files[0]!));
}

describe('emitGitlab', () => {
  it('writes a child pipeline with one job per task instance and explicit needs', () => {
    const ir = dailyOrders();
    expect(emitGitlab(ir).files[0]!.path).toBe('gitlab/daily-orders.gitlab-ci.yml');
    const doc = child(ir);
    expect(Object.keys(doc)).toEqual([
      'stages',
      'variables',
      'default',
      'extract',
      'transform-eu',
      'transform-us',
      'quality',
    ]);
    expect(doc.extract.needs).toEqual([]);
    expect(doc['transform-us'].needs).toEqual(['extract']);
    expect(doc.quality.needs).toEqual(['transform-eu', 'transform-us']);
    expect(doc.extract).toMatchObject({
      image: 'registry.example.com/etl:1.4.2',
      tags: ['highmem'],
      retry: 2,
      timeout: '10m',
    });
    expect(doc.quality).toMatchObject({ retry: 1, timeout: '30m' });
    expect(doc.quality.tags).toBeUndefined();
    for (const job of ['extract', 'transform-eu', 'quality']) {
      expect(doc[job].rules).toEqual([{ if: '$PIPEWRIGHT_PIPELINE == "daily-orders"' }]);
    }
  });

  it('passes plain env as unexpanded variables and param defaults at pipeline level', () => {
    const doc = child(dailyOrders());
    expect(doc.variables).toEqual({ PIPEWRIGHT_PARAM_REGION: { value: 'eu-$(HOME)', expand: false } });
    expect(doc.extract.variables).toEqual({
      EMPTY: { value: '', expand: false },
      MODE: { value: 'batch', expand: false },
    });
    expect(doc.extract.script).toContain(`export OUT='s3://lake/'"$PIPEWRIGHT_DS_NODASH"'/$HOME'`);
    expect(doc.extract.script.at(-1)).toBe(
      `'python' '-m' 'etl.extract' '--date' "$PIPEWRIGHT_DS" 'it'\\''s $(not) a '"$(printf '\\140')"'var'"$(printf '\\140')"' $$' ''`,
    );
  });

  it('reads secrets from named CI/CD variables, never values', () => {
    const doc = child(dailyOrders());
    expect(doc.extract.script[0]).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a JS template
      'export WAREHOUSE_PASSWORD="${PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD?pipewright: CI/CD variable PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD (secret warehouse/password) is not set}"',
    );
  });

  it('gives colliding secret refs distinct CI/CD variables (the Compose target names them the same way)', () => {
    const spec = manualSpec2({
      a: { command: ['a'], secrets: { X: { ref: 'db-main/pass' }, Y: { ref: 'db/main-pass' } } },
    });
    const vars = secretVariables(normalizePipeline(spec, 'p.yaml'));
    expect(vars.get('db-main/pass')).toMatch(/^PIPEWRIGHT_SECRET_DB_MAIN_PASS_[0-9A-F]{8}$/);
    expect(vars.get('db/main-pass')).toMatch(/^PIPEWRIGHT_SECRET_DB_MAIN_PASS_[0-9A-F]{8}$/);
    expect(vars.get('db-main/pass')).not.toBe(vars.get('db/main-pass'));
    const doc = parse(serializeYaml(emitGitlab(normalizePipeline(spec, 'p.yaml')).files[0]!));
    expect(doc.a.script[0]).toContain(`export X="\${${vars.get('db-main/pass')}?`);
  });

  it('never runs the jobs of a disabled pipeline', () => {
    const doc = child(manual());
    expect(doc.train.rules).toEqual([{ when: 'never' }]);
    expect(doc.variables).toBeUndefined();
  });

  it('clamps retries to 2 with a PW301 warning at the spec path, and warns about what GitLab cannot do', () => {
    const spec = dailyOrdersSpec();
    spec.spec.concurrency = 2;
    spec.spec.catchup = true;
    const { warnings } = emitGitlab(normalizePipeline(spec, 'p.yaml'));
    expect(warnings.map((w) => [w.code, w.path.join('.')])).toEqual([
      ['PW301', 'spec.tasks.extract.retries'],
      ['PW305', 'spec.tasks.extract.retryDelay'],
      ['PW305', 'spec.tasks.extract.resources'],
      ['PW305', 'spec.concurrency'],
      ['PW305', 'spec.sla'],
      ['PW305', 'spec.catchup'],
    ]);
    expect(warnings[0]!.message).toBe(
      "GitLab retries a job at most 2 times; 'extract' asks for 3, the GitLab target uses retry: 2",
    );
    expect(emitGitlab(manual()).warnings).toEqual([]);
  });

  it('renames jobs whose id is a GitLab keyword', () => {
    const spec = manualSpec2({ default: { command: ['a'] }, image: { command: ['b'], needs: ['default'] } });
    const ir = normalizePipeline(spec, 'p.yaml');
    const out = emitGitlab(ir);
    const doc = parse(serializeYaml(out.files[0]!));
    expect(doc['task-default'].script).toEqual(["'a'"]);
    expect(doc['task-image'].needs).toEqual(['task-default']);
    expect(out.warnings.map((w) => w.path.join('.'))).toEqual(['spec.tasks.default', 'spec.tasks.image']);
  });

  it('formats durations the way GitLab reads them', () => {
    expect(gitlabDuration(600)).toBe('10m');
    expect(gitlabDuration(5430)).toBe('1h 30m 30s');
    expect(gitlabDuration(90061)).toBe('1d 1h 1m 1s');
  });
});

function manualSpec2(tasks: PipelineSpec['spec']['tasks']): PipelineSpec {
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: { name: 'kw', version: '1.0.0', owner: 'x' },
    spec: { defaults: { image: 'alpine:3.20' }, tasks },
  };
}

describe('emitGitlabParent', () => {
  it('triggers one child per pipeline, selected by PIPEWRIGHT_PIPELINE, never when disabled', () => {
    const file = emitGitlabParent([dailyOrders(), manual()]);
    expect(file.path).toBe('gitlab/pipelines.gitlab-ci.yml');
    const doc = parse(serializeYaml(file));
    expect(Object.keys(doc)).toEqual(['stages', 'adhoc', 'daily-orders']);
    expect(doc['daily-orders']).toEqual({
      stage: 'pipewright',
      resource_group: 'pipewright-daily-orders',
      variables: { PIPEWRIGHT_PIPELINE: 'daily-orders' },
      trigger: {
        include: 'generated/gitlab/daily-orders.gitlab-ci.yml',
        strategy: 'depend',
        forward: { yaml_variables: true, pipeline_variables: true },
      },
      rules: [
        {
          if: '$PIPEWRIGHT_PIPELINE == "daily-orders" && ($CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web" || $CI_PIPELINE_SOURCE == "api")',
        },
      ],
    });
    expect(doc.adhoc.rules).toEqual([{ when: 'never' }]);
    expect(emitGitlabParent([manual()], { outDir: 'out/' }).documents[0]).toMatchObject({
      adhoc: { trigger: { include: 'out/gitlab/adhoc.gitlab-ci.yml' } },
    });
  });

  it('runs a manual pipeline by hand only (no schedule source)', () => {
    const spec = dailyOrdersSpec();
    delete spec.spec.schedule;
    const doc = parse(serializeYaml(emitGitlabParent([normalizePipeline(spec, 'p.yaml')])));
    expect(doc['daily-orders'].rules[0].if).toBe(
      '$PIPEWRIGHT_PIPELINE == "daily-orders" && ($CI_PIPELINE_SOURCE == "web" || $CI_PIPELINE_SOURCE == "api")',
    );
  });

  it('depends only on the pipelines and their trigger settings: a task edit leaves its bytes unchanged', () => {
    const parent = (edit: (spec: PipelineSpec) => void) => {
      const spec = dailyOrdersSpec();
      edit(spec);
      return serializeYaml(emitGitlabParent([normalizePipeline(spec, 'pipelines/daily-orders.yaml'), manual()]));
    };
    const before = parent(() => undefined);
    expect(before.split('\n').slice(0, 2)).toEqual([
      `# generated by pipewright from ${manual().file}, pipelines/daily-orders.yaml — do not edit`,
      '# include it from .gitlab-ci.yml (include: generated/gitlab/pipelines.gitlab-ci.yml) and select a pipeline with PIPEWRIGHT_PIPELINE',
    ]);
    expect(before).not.toMatch(/spec hash [0-9a-f]/);
    const retagged = parent((s) => {
      s.spec.defaults = { ...s.spec.defaults, image: 'alpine:3.21' };
    });
    expect(retagged).toBe(before);
    expect(parent((s) => (s.spec.enabled = false))).not.toBe(before);
    expect(parent((s) => delete s.spec.schedule)).not.toBe(before);
  });
});

/** A program every task runs: it records its argv and selected env, and the order tasks ran in. */
const CAPTURE = `
const fs = require('node:fs');
const path = require('node:path');
const [id, envNames, ...argv] = process.argv.slice(2);
const env = {};
for (const name of envNames.split(',').filter(Boolean)) env[name] = process.env[name] ?? null;
fs.appendFileSync(path.join(__dirname, 'order.log'), id + '\\n');
fs.writeFileSync(path.join(__dirname, 'captures', id + '.json'), JSON.stringify({ argv, env, cwd: process.cwd() }));
`;

const HOSTILE = [
  "it's",
  '$(id)',
  '`id`',
  '$HOME',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a JS template
  '${HOME}',
  'a b',
  '',
  '*',
  'ü 🦀',
  '\\',
  '"',
  "'",
  'x\ny',
  '$$',
  '%s',
];

function executionSpec(dir: string): PipelineSpec {
  const capture = (id: string, envNames: string[], ...args: string[]) => [
    'node',
    join(dir, 'capture.cjs'),
    id,
    envNames.join(','),
    ...args,
  ];
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: { name: 'exec-demo', version: '1.0.0', owner: 'qa' },
    spec: {
      schedule: '@daily',
      defaults: { image: 'node:20-alpine', retries: 1, timeout: '10m' },
      params: { region: { default: "eu $HOME 'q'" }, tier: {}, size: { default: 'small', enum: ['small', 'l*rge'] } },
      tasks: {
        extract: {
          command: capture(
            'extract',
            ['MODE', 'OUT', 'EMPTY', 'WAREHOUSE_PASSWORD', 'PIPEWRIGHT_TS'],
            ...HOSTILE,
            '--date={{ ds }}',
            '{{ ds_nodash }}',
            '{{ run_id }}',
          ),
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a JS template
          env: { MODE: 'a $HOME `x` $(y) ${z} $$', OUT: "ds={{ ds }} '$HOME'", EMPTY: '' },
          secrets: { WAREHOUSE_PASSWORD: { ref: 'warehouse/password' } },
          workingDir: dir,
          retries: 4,
        },
        transform: {
          needs: ['extract'],
          matrix: { region: ['eu', 'us'] },
          command: capture(
            'transform-{{ matrix.region }}',
            [],
            '{{ matrix.region }}',
            '--p={{ params.region }}',
            '{{ params.tier }}',
          ),
        },
        quality: { type: 'check', needs: ['transform'], command: capture('quality', [], 'check', '{{ params.size }}') },
      },
    },
  };
}

function captured(dir: string, id: string): { argv: string[]; env: Record<string, string | null>; cwd: string } {
  return JSON.parse(readFileSync(join(dir, 'captures', id + '.json'), 'utf8'));
}

describe('GitLab child pipelines in gitlab-ci-local', () => {
  // A `$` in a CI/CD variable's value is expanded by GitLab (and gitlab-ci-local) unless the variable is marked raw
  // ("Expand variable reference" off): that is the variable's setting, outside the generated file (docs/targets.md).
  const SECRET = `p@ss 'w"rd \`x\` ;|&`;

  it('runs the DAG in order and delivers argv, env, params and secrets exactly', () => {
    const dir = tempDir();
    const ir = normalizePipeline(executionSpec(dir), 'pipelines/exec-demo.yaml');
    const file = emitGitlab(ir).files[0]!;
    gitRepo(dir, { 'capture.cjs': CAPTURE, 'captures/.keep': '', [file.path]: serializeYaml(file) });
    const result = gitlabCiLocal(dir, file.path, {
      PIPEWRIGHT_PIPELINE: 'exec-demo',
      PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD: SECRET,
      PIPEWRIGHT_DS: '2024-03-09',
      PIPEWRIGHT_PARAM_TIER: "gold 'x' ;",
    });
    expect(result.status, result.output).toBe(0);
    expect(result.output).not.toContain(SECRET);
    const order = readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');
    expect(order).toHaveLength(4);
    expect(order[0]).toBe('extract');
    expect(order.slice(1, 3).sort()).toEqual(['transform-eu', 'transform-us']);
    expect(order[3]).toBe('quality');

    const extract = captured(dir, 'extract');
    expect(extract.argv).toEqual([...HOSTILE, '--date=2024-03-09', '20240309', expect.stringMatching(/^gitlab-/)]);
    expect(extract.env).toMatchObject({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a JS template
      MODE: 'a $HOME `x` $(y) ${z} $$',
      OUT: "ds=2024-03-09 '$HOME'",
      EMPTY: '',
      WAREHOUSE_PASSWORD: SECRET,
    });
    expect(extract.cwd).toBe(dir);
    expect(captured(dir, 'transform-us').argv).toEqual(['us', "--p=eu $HOME 'q'", "gold 'x' ;"]);
    expect(captured(dir, 'quality').argv).toEqual(['check', 'small']);
  });

  it('defaults ds to the pipeline date, fails loudly on a missing secret or param, and runs nothing unselected', () => {
    const dir = tempDir();
    const ir = normalizePipeline(executionSpec(dir), 'pipelines/exec-demo.yaml');
    const file = emitGitlab(ir).files[0]!;
    gitRepo(dir, { 'capture.cjs': CAPTURE, 'captures/.keep': '', [file.path]: serializeYaml(file) });

    const withDefaults = gitlabCiLocal(
      dir,
      file.path,
      { PIPEWRIGHT_PIPELINE: 'exec-demo', PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD: 's' },
      ['extract'],
    );
    expect(withDefaults.status, withDefaults.output).toBe(0);
    const extract = captured(dir, 'extract');
    const ts = extract.env.PIPEWRIGHT_TS!;
    expect(ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(extract.argv.slice(-3, -1)).toEqual([`--date=${ts.slice(0, 10)}`, ts.slice(0, 10).replaceAll('-', '')]);

    const noSecret = gitlabCiLocal(dir, file.path, { PIPEWRIGHT_PIPELINE: 'exec-demo' }, ['extract']);
    expect(noSecret.status).not.toBe(0);
    expect(noSecret.output).toContain(
      'CI/CD variable PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD (secret warehouse/password) is not set',
    );

    const noParam = gitlabCiLocal(dir, file.path, { PIPEWRIGHT_PIPELINE: 'exec-demo' }, ['transform-eu']);
    expect(noParam.status).not.toBe(0);
    expect(noParam.output).toContain('run parameter PIPEWRIGHT_PARAM_TIER is required');

    // Allowed values are compared as text: `l*rge` is a value, not a glob that would also admit `lXrge`.
    const base = { PIPEWRIGHT_PIPELINE: 'exec-demo' };
    expect(gitlabCiLocal(dir, file.path, { ...base, PIPEWRIGHT_PARAM_SIZE: 'l*rge' }, ['quality']).status).toBe(0);
    expect(captured(dir, 'quality').argv).toEqual(['check', 'l*rge']);
    const notAllowed = gitlabCiLocal(dir, file.path, { ...base, PIPEWRIGHT_PARAM_SIZE: 'lXrge' }, ['quality']);
    expect(notAllowed.status).not.toBe(0);
    expect(notAllowed.output).toContain('run parameter PIPEWRIGHT_PARAM_SIZE must be one of: small, l*rge');

    writeFileSync(join(dir, 'order.log'), '');
    rmSync(join(dir, 'captures'), { recursive: true });
    mkdirSync(join(dir, 'captures'));
    const other = gitlabCiLocal(dir, file.path, { PIPEWRIGHT_PIPELINE: 'another' });
    expect(other.status, other.output).toBe(0);
    expect(readFileSync(join(dir, 'order.log'), 'utf8')).toBe('');
    expect(readdirSync(join(dir, 'captures'))).toEqual([]);
    expect(existsSync(join(dir, 'order.log'))).toBe(true);
  });
});

describe('GitLab needs limit', () => {
  function fanInSpec(dir: string): PipelineSpec {
    const record = (id: string) => ['sh', '-c', 'printf "%s\\n" "$1" >> "$0"', join(dir, 'order.log'), id];
    return {
      apiVersion: 'pipewright.dev/v1',
      kind: 'Pipeline',
      metadata: { name: 'fan-in', version: '1.0.0', owner: 'qa' },
      spec: {
        defaults: { image: 'alpine:3.20' },
        tasks: {
          fan: {
            matrix: { i: Array.from({ length: 51 }, (_, i) => String(i)) },
            command: record('fan-{{ matrix.i }}'),
          },
          join: { needs: ['fan'], command: record('join') },
          after: { needs: ['join'], command: record('after') },
        },
      },
    };
  }

  it('layers jobs into stages when a job needs more than 50, with a PW304 warning', () => {
    const out = emitGitlab(normalizePipeline(fanInSpec('/tmp'), 'pipelines/fan-in.yaml'));
    const doc = parse(serializeYaml(out.files[0]!));
    expect(doc.stages).toEqual(['pipewright-1', 'pipewright-2', 'pipewright-3']);
    expect(doc['fan-0']).toMatchObject({ stage: 'pipewright-1', needs: [] });
    expect(doc.join.stage).toBe('pipewright-2');
    expect(doc.join.needs).toBeUndefined();
    expect(doc.after).toMatchObject({ stage: 'pipewright-3', needs: ['join'] });
    expect(out.warnings.map((w) => [w.code, w.path.join('.')])).toEqual([['PW304', 'spec.tasks.join.needs']]);
  });

  it('still runs the fan-in after all 51 instances in gitlab-ci-local', () => {
    const dir = tempDir();
    const ir = normalizePipeline(fanInSpec(dir), 'pipelines/fan-in.yaml');
    const file = emitGitlab(ir).files[0]!;
    gitRepo(dir, { [file.path]: serializeYaml(file) });
    const result = gitlabCiLocal(dir, file.path, { PIPEWRIGHT_PIPELINE: 'fan-in' }, ['--concurrency', '4']);
    expect(result.status, result.output).toBe(0);
    const order = readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');
    expect(order).toHaveLength(53);
    expect(order.slice(0, 51).sort()).toEqual(Array.from({ length: 51 }, (_, i) => `fan-${i}`).sort());
    expect(order.slice(51)).toEqual(['join', 'after']);
  });
});

describe('GitLab parent pipeline in gitlab-ci-local', () => {
  function spec(name: string, body: Partial<PipelineSpec['spec']>, dir: string): PipelineSpec {
    return {
      apiVersion: 'pipewright.dev/v1',
      kind: 'Pipeline',
      metadata: { name, version: '1.0.0', owner: 'qa' },
      spec: {
        defaults: { image: 'alpine:3.20' },
        tasks: { only: { command: ['sh', '-c', 'printf "%s\\n" "$1" >> "$0"', join(dir, 'ran.log'), name] } },
        ...body,
      },
    };
  }

  it('triggers only the selected, enabled child, by schedule or by hand', () => {
    const dir = tempDir();
    const irs = [
      normalizePipeline(spec('alpha', { schedule: '@daily' }, dir), 'pipelines/alpha.yaml'),
      normalizePipeline(spec('beta', {}, dir), 'pipelines/beta.yaml'),
      normalizePipeline(spec('gamma', { schedule: '@daily', enabled: false }, dir), 'pipelines/gamma.yaml'),
    ];
    const files: Record<string, string> = {
      '.gitlab-ci.yml': 'include:\n  - local: generated/gitlab/pipelines.gitlab-ci.yml\n',
    };
    const parent = emitGitlabParent(irs);
    files[`generated/${parent.path}`] = serializeYaml(parent);
    for (const ir of irs) {
      const child = emitGitlab(ir).files[0]!;
      files[`generated/${child.path}`] = serializeYaml(child);
    }
    gitRepo(dir, files);
    const run = (pipeline: string, source: string) => {
      writeFileSync(join(dir, 'ran.log'), '');
      const r = gitlabCiLocal(dir, '.gitlab-ci.yml', { PIPEWRIGHT_PIPELINE: pipeline, CI_PIPELINE_SOURCE: source }, [
        '--ignore-predefined-vars',
        'CI_PIPELINE_SOURCE',
      ]);
      expect(r.status, r.output).toBe(0);
      return readFileSync(join(dir, 'ran.log'), 'utf8');
    };
    expect(run('alpha', 'schedule')).toBe('alpha\n');
    expect(run('alpha', 'push')).toBe('');
    expect(run('beta', 'web')).toBe('beta\n');
    expect(run('beta', 'schedule')).toBe('');
    expect(run('gamma', 'schedule')).toBe('');
  });
});
