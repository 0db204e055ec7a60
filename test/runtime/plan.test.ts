import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseComposeBytes, planFromComposeText, readComposePlan } from '../../src/runtime/plan.js';
import { dateRange, isLogicalDate, resolveParams, resolveTask, runVariables } from '../../src/runtime/resolve.js';
import { parseSecretsFile, resolveSecrets } from '../../src/runtime/secrets.js';
import { compileCompose, planFromSpec, specText } from './support.js';

const SPEC = specText(
  'p',
  `  params:
    region: { default: "eu-$1", enum: ["eu-$1", us] }
  defaults: { image: "localhost/pipewright-test:1", retryDelay: 2s, resources: { cpu: 250m, memory: 1Gi } }
  tasks:
    extract: { command: [run, "--date={{ ds_nodash }}", "cost: $5"], env: { R: "{{ params.region }}/{{ run_id }}" }, timeout: 1m, retries: 3 }
    check: { type: check, needs: [extract], command: [verify, "{{ ts }}"], secrets: { TOKEN: { ref: api/token } } }
`,
);

describe('readComposePlan', () => {
  it('reads tasks, needs, retries, timeouts, resources, labels, params and the secret wiring from the artifact', () => {
    const plan = planFromSpec('p', SPEC);
    expect(plan).toMatchObject({ pipeline: 'p', version: '1.0.0', source: 'pipelines/p.yaml', concurrency: 1 });
    expect(plan.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.params).toEqual([
      { name: 'region', env: 'PIPEWRIGHT_PARAM_REGION', default: 'eu-$1', enum: ['eu-$1', 'us'] },
    ]);
    expect(plan.tasks.map((t) => t.id)).toEqual(['extract', 'check']);
    const [extract, check] = plan.tasks;
    expect(extract).toMatchObject({
      type: 'task',
      needs: [],
      retries: 3,
      retryDelaySeconds: 2,
      timeoutSeconds: 60,
      nanoCpus: 250_000_000,
      memoryBytes: 1024 ** 3,
      // Compose notation, interpolated per run
      command: ['run', `--date=\${PIPEWRIGHT_DS_NODASH}`, 'cost: $$5'],
    });
    expect(extract!.labels['pipewright.dev/pipeline']).toBe('p');
    expect(check).toMatchObject({
      type: 'check',
      needs: ['extract'],
      secrets: [{ env: 'TOKEN', ref: 'api/token', variable: 'PIPEWRIGHT_SECRET_API_TOKEN' }],
    });
  });

  it('interpolates a task for a run exactly as Compose would', () => {
    const plan = planFromSpec('p', SPEC);
    const vars = runVariables(plan, {
      logicalDate: '2024-02-29',
      runId: '20240229-0000beef',
      params: { region: 'a $b' },
    });
    expect(vars).toEqual({
      PIPEWRIGHT_DS: '2024-02-29',
      PIPEWRIGHT_DS_NODASH: '20240229',
      PIPEWRIGHT_TS: '2024-02-29T00:00:00Z',
      PIPEWRIGHT_RUN_ID: '20240229-0000beef',
      PIPEWRIGHT_PARAM_REGION: 'a $b',
    });
    const resolved = resolveTask(plan.tasks[0]!, vars);
    expect(resolved.argv).toEqual(['run', '--date=20240229', 'cost: $5']);
    expect(resolved.env.R).toBe('a $b/20240229-0000beef');
    expect(resolveTask(plan.tasks[1]!, vars).argv).toEqual(['verify', '2024-02-29T00:00:00Z']);
  });

  it('readComposePlan reads the file; an unreadable one is a PlanError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-plan-'));
    try {
      writeFileSync(join(dir, 'p.compose.yaml'), compileCompose('p', SPEC));
      expect(readComposePlan(join(dir, 'p.compose.yaml'))).toEqual(planFromSpec('p', SPEC));
      expect(() => readComposePlan(join(dir, 'missing.yaml'))).toThrow(
        `cannot read ${join(dir, 'missing.yaml')}: ENOENT`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file and field of a malformed artifact', () => {
    const text = compileCompose('p', SPEC);
    expect(() => planFromComposeText('services: {a: {image: x}}', 'f.yaml')).toThrow('f.yaml: x-pipewright: missing');
    expect(() => planFromComposeText(text.replace('retries: 3', 'retries: three'), 'f.yaml')).toThrow(
      'f.yaml: services.extract.x-pipewright.retries: expected an integer >= 0',
    );
    expect(() => planFromComposeText(text.replace('on-failure:3', 'on-failure:1'), 'f.yaml')).toThrow(
      'f.yaml: services.extract.restart: "on-failure:1" disagrees with x-pipewright.retries 3',
    );
    expect(() =>
      planFromComposeText(
        text.replace(/ {6}extract:\n {8}condition.*\n/, '      ghost:\n        condition: x\n'),
        'f.yaml',
      ),
    ).toThrow("services.check.depends_on: unknown service 'ghost'");
    expect(() => planFromComposeText(`${text}\nservices: {}\n`, 'f.yaml')).toThrow(/not valid YAML/);
  });

  it('parses Compose byte sizes', () => {
    expect([
      parseComposeBytes(536870912),
      parseComposeBytes('512m'),
      parseComposeBytes('1g'),
      parseComposeBytes('1.5k'),
    ]).toEqual([536870912, 512 * 1024 ** 2, 1024 ** 3, 1536]);
    expect([parseComposeBytes('lots'), parseComposeBytes(0), parseComposeBytes(-5)]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('run inputs', () => {
  it('validates dates and expands ranges', () => {
    expect([isLogicalDate('2024-02-29'), isLogicalDate('2023-02-29'), isLogicalDate('2024-1-01')]).toEqual([
      true,
      false,
      false,
    ]);
    expect(dateRange('2023-12-30', '2024-01-02')).toEqual(['2023-12-30', '2023-12-31', '2024-01-01', '2024-01-02']);
  });

  it('resolves params: given, default, required, enum, unknown', () => {
    const plan = {
      params: [
        { name: 'a', env: 'A', default: 'x', enum: ['x', 'y'] },
        { name: 'b', env: 'B' },
      ],
    };
    expect(resolveParams(plan, { b: '1' })).toEqual({ values: { a: 'x', b: '1' }, problems: [] });
    expect(resolveParams(plan, { a: 'z', c: '1' }).problems).toEqual([
      "unknown parameter 'c' (declared: a, b)",
      "parameter 'a' must be one of x, y (got 'z')",
      "parameter 'b' has no default: pass --param b=VALUE",
    ]);
  });

  it('parses a dotenv-like secrets file without ever echoing a value', () => {
    const parsed = parseSecretsFile(
      `# comment\n\nexport A=plain value\nB='single $x "q"'\nC="double \\"q\\" \\n nl"\napi/token=by-ref\n`,
      's.env',
    );
    expect(Object.fromEntries(parsed)).toEqual({
      A: 'plain value',
      B: 'single $x "q"',
      C: 'double "q" \n nl',
      'api/token': 'by-ref',
    });
    expect(() => parseSecretsFile('OK=1\nthis line is the secret hunter2\n', 's.env')).toThrow(
      /^s\.env:2: expected KEY=value$/,
    );
    expect(() => parseSecretsFile("K='unterminated hunter2\n", 's.env')).toThrow('s.env:1: unterminated single quote');
  });

  it('looks secrets up: file by variable, then by ref, then the environment by variable, then by env name', () => {
    const plan = {
      tasks: [{ id: 't', secrets: [{ env: 'TOKEN', ref: 'api/token', variable: 'PIPEWRIGHT_SECRET_API_TOKEN' }] }],
    } as never;
    const lookup = (file: Record<string, string>, env: Record<string, string>) =>
      resolveSecrets(plan, { file: new Map(Object.entries(file)), env }).byTask.get('t')?.TOKEN;
    expect(lookup({ PIPEWRIGHT_SECRET_API_TOKEN: '1', 'api/token': '2' }, { PIPEWRIGHT_SECRET_API_TOKEN: '3' })).toBe(
      '1',
    );
    expect(lookup({ 'api/token': '2' }, { PIPEWRIGHT_SECRET_API_TOKEN: '3', TOKEN: '4' })).toBe('2');
    expect(lookup({}, { PIPEWRIGHT_SECRET_API_TOKEN: '3', TOKEN: '4' })).toBe('3');
    expect(lookup({}, { TOKEN: '4' })).toBe('4');
    expect(resolveSecrets(plan, { env: {} }).missing).toHaveLength(1);
  });
});
