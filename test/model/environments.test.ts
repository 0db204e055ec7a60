/**
 * Environment overrides (src/model/environments.ts) applied through compile's per-spec stage: values land in the IR
 * and the artifacts, bad overrides are reported at their position in pipewright.yaml.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { compileSpec } from '../../src/emit/compile.js';
import { resolveEnvironment, unknownPipelines, withImageTag } from '../../src/model/environments.js';
import { loadSpec } from '../../src/spec/load.js';

const SPEC = `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: orders
  version: 1.0.0
  owner: data
spec:
  schedule: "0 5 * * *"
  defaults:
    image: ghcr.io/acme/etl:1.0.0
    retries: 1
  params:
    region:
      default: eu
  tasks:
    extract:
      command: [extract, "{{ params.region }}"]
      env: { MODE: full }
      secrets:
        DB_PASSWORD: { ref: warehouse/password }
    load:
      needs: [extract]
      image: ghcr.io/acme/loader:2.0.0
      command: [load]
`;

function project(config: string) {
  const file = 'pipewright.yaml';
  const loaded = loadConfig(file, config);
  expect(loaded.diagnostics).toEqual([]);
  const doc = loadSpec(file, config);
  return { config: loaded.config!, locator: { file, rangeOf: doc.rangeOf } };
}

function compileIn(config: string, env: string, spec = SPEC) {
  const { config: c, locator } = project(config);
  const resolved = resolveEnvironment(c, env, locator);
  if (!resolved.environment) return { diagnostics: resolved.diagnostics, unit: undefined };
  const unit = compileSpec('pipelines/orders.yaml', spec, {
    targets: ['compose', 'k8s', 'gitlab'],
    outDir: 'generated',
    environment: { resolved: resolved.environment, locator },
  });
  return { diagnostics: [...resolved.diagnostics, ...unit.diagnostics], unit };
}

function brief(d: Diagnostic): string {
  return `${d.file}:${d.range.start.line}:${d.range.start.column}: ${d.severity}: ${d.message} [${d.code}]`;
}

const HEAD = 'apiVersion: pipewright.dev/v1\nkind: Project\n';

describe('environment overrides', () => {
  it('apply globally, per pipeline and per task, later layers and extends winning', () => {
    const config = `${HEAD}environments:
  base:
    overrides:
      retries: 3
      resources: { memory: 256Mi }
  prod:
    extends: base
    namespace: pipelines-prod
    secretPrefix: prod-
    runnerImage: ghcr.io/acme/pipewright:0.1.0
    overrides:
      imageTag: "1.1.0"
      pool: etl-large
    pipelines:
      orders:
        overrides:
          enabled: false
          schedule: "0 6 * * *"
          timezone: Europe/Berlin
          params: { region: us }
          timeout: 1h
        tasks:
          load:
            image: ghcr.io/acme/loader:2.1.0
            env: { BATCH: "500" }
            retryDelay: 30s
`;
    const { diagnostics, unit } = compileIn(config, 'prod');
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ir = unit!.ir!;
    expect(ir).toMatchObject({
      enabled: false,
      schedule: '0 6 * * *',
      timezone: 'Europe/Berlin',
      environment: { name: 'prod', namespace: 'pipelines-prod', runnerImage: 'ghcr.io/acme/pipewright:0.1.0' },
    });
    expect(ir.params).toEqual([{ name: 'region', default: 'us', envVar: 'PIPEWRIGHT_PARAM_REGION' }]);
    const extract = ir.tasks.find((t) => t.id === 'extract')!;
    const load = ir.tasks.find((t) => t.id === 'load')!;
    expect(extract).toMatchObject({
      image: 'ghcr.io/acme/etl:1.1.0',
      retries: 3,
      pool: 'etl-large',
      timeoutSeconds: 3600,
      resources: { memory: '256Mi' },
    });
    expect(extract.secrets[0]).toMatchObject({ ref: 'prod-warehouse/password', secretName: 'prod-warehouse' });
    expect(extract.env).toEqual([{ name: 'MODE', value: [{ text: 'full' }] }]);
    expect(load).toMatchObject({ image: 'ghcr.io/acme/loader:2.1.0', retryDelaySeconds: 30 });
    expect(load.env).toEqual([{ name: 'BATCH', value: [{ text: '500' }] }]);
  });

  it('leave a spec without overrides as it was, apart from the environment record', () => {
    const plain = compileSpec('pipelines/orders.yaml', SPEC, { targets: ['compose'], outDir: 'generated' });
    const { unit } = compileIn(`${HEAD}environments:\n  dev: {}\n`, 'dev');
    const { environment, specHash: _a, ...rest } = unit!.ir!;
    const { specHash: _b, ...plainRest } = plain.ir!;
    expect(environment).toEqual({ name: 'dev' });
    expect(rest).toEqual(plainRest);
    expect(plain.ir!.environment).toBeUndefined();
  });

  it('replace a tag or a digest', () => {
    expect(withImageTag('ghcr.io/acme/etl:1.0.0', '1.1.0')).toBe('ghcr.io/acme/etl:1.1.0');
    expect(withImageTag('localhost:5000/etl@sha256:aa', '2')).toBe('localhost:5000/etl:2');
    expect(withImageTag('localhost:5000/etl', `sha256:${'b'.repeat(64)}`)).toBe(
      `localhost:5000/etl@sha256:${'b'.repeat(64)}`,
    );
  });

  it('report an override producing an invalid artifact at the override', () => {
    const config = `${HEAD}environments:
  prod:
    pipelines:
      orders:
        overrides:
          timeout: 30x
        tasks:
          load:
            image: ghcr.io/acme/loader:latest
            resources: { cpu: "0" }
`;
    const { diagnostics, unit } = compileIn(config, 'prod');
    expect(unit!.outputs).toEqual([]);
    expect(diagnostics.map(brief)).toEqual([
      "pipewright.yaml:8:20: error: spec.tasks.extract.timeout must be a duration: number+unit groups with units s, m, h, d, e.g. 30s, 10m, 1h30m (got '30x') [PW100]",
      "pipewright.yaml:8:20: error: spec.tasks.load.timeout must be a duration: number+unit groups with units s, m, h, d, e.g. 30s, 10m, 1h30m (got '30x') [PW100]",
      "pipewright.yaml:11:20: error: image 'ghcr.io/acme/loader:latest' uses the moving tag 'latest': pin a version tag or an @sha256 digest [PW209]",
      "pipewright.yaml:12:31: error: task 'load' has an invalid cpu '0': must be greater than zero [PW208]",
    ]);
  });

  it('report a task, param or pipeline the specs do not have', () => {
    const config = `${HEAD}environments:
  prod:
    pipelines:
      orders:
        overrides:
          params: { regoin: us }
        tasks:
          lod: { retries: 2 }
      ordres:
        overrides: { enabled: false }
`;
    const { diagnostics } = compileIn(config, 'prod');
    expect(diagnostics.filter((d) => d.severity === 'error').map(brief)).toEqual([
      "pipewright.yaml:8:21: error: pipeline 'orders' declares no param 'regoin' (did you mean 'region'?): an override can only change the default of a declared param [PW103]",
      "pipewright.yaml:10:11: error: environment 'prod' overrides the task 'lod', which pipeline 'orders' does not have (did you mean 'load'?) [PW103]",
    ]);
    const { config: c, locator } = project(config);
    const env = resolveEnvironment(c, 'prod', locator).environment!;
    expect(unknownPipelines(env, ['orders'], locator).map(brief)).toEqual([
      "pipewright.yaml:11:7: error: environment 'prod' overrides the pipeline 'ordres', which no spec defines (did you mean 'orders'?) [PW103]",
    ]);
  });

  it('report an unknown environment, an unknown base, a cycle and conflicting image overrides', () => {
    const config = `${HEAD}environments:
  dev:
    extends: qa
  staging:
    extends: prod
  prod:
    extends: staging
  test:
    overrides:
      image: ghcr.io/acme/etl:1.0.0
      imageTag: "1.0.1"
`;
    expect(compileIn(config, 'stagin').diagnostics.map(brief)).toEqual([
      "pipewright.yaml:3:1: error: unknown environment 'stagin' (did you mean 'staging'?): pipewright.yaml declares 'dev', 'prod', 'staging', 'test' [PW103]",
    ]);
    expect(compileIn(config, 'dev').diagnostics.map(brief)).toEqual([
      "pipewright.yaml:5:14: error: environment 'dev' extends the unknown environment 'qa': pipewright.yaml declares 'dev', 'prod', 'staging', 'test' [PW103]",
    ]);
    expect(compileIn(config, 'prod').diagnostics.map(brief)).toEqual([
      "pipewright.yaml:9:14: error: environments extend each other in a cycle: prod → staging → prod (remove one 'extends') [PW103]",
    ]);
    const conflict = compileIn(config, 'test').diagnostics.filter((d) => d.severity === 'error');
    expect(conflict.map(brief)).toEqual([
      "pipewright.yaml:13:7: error: conflicting overrides: 'image' and 'imageTag' both set the image here; keep one [PW103]",
    ]);
    expect(conflict[0]!.related?.[0]?.range.start.line).toBe(12);
  });
});
