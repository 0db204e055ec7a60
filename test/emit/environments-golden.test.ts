/**
 * A three-environment project (test/fixtures/environments/three: pipewright.yaml + pipelines/) compiled by the real
 * CLI into generated/<env>/<target>/… for all three targets must equal expected/ byte for byte (UPDATE_GOLDEN=1
 * rewrites it; review the diff), `check` must then pass, and bad environment settings must fail with positions.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'environments', 'three');
const EXPECTED = join(FIXTURE, 'expected');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-envs-'));
  dirs.push(dir);
  cpSync(join(FIXTURE, 'pipewright.yaml'), join(dir, 'pipewright.yaml'));
  cpSync(join(FIXTURE, 'pipelines'), join(dir, 'pipelines'), { recursive: true });
  return dir;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

describe('environments: one tree per environment', () => {
  it('compiles dev, staging and prod for compose, k8s and gitlab as expected/, and check agrees', async () => {
    const dir = project();
    const compiled = await runCliCapture(['compile', '--no-cache'], { cwd: dir });
    expect(compiled.stderr).toContain('0 errors');
    expect(compiled.code).toBe(0);
    const generated = join(dir, 'generated');
    const files = listFiles(generated).filter((f) => f !== '.pipewright-manifest.json');
    if (UPDATE) {
      rmSync(EXPECTED, { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(dirname(join(EXPECTED, f)), { recursive: true });
        writeFileSync(join(EXPECTED, f), readFileSync(join(generated, f)));
      }
    }
    expect(files).toEqual(listFiles(EXPECTED));
    expect(files.map((f) => f.split('/').slice(0, 2).join('/'))).toEqual(
      expect.arrayContaining(['dev/compose', 'dev/k8s', 'dev/gitlab', 'staging/k8s', 'prod/compose', 'prod/gitlab']),
    );
    for (const f of files)
      expect(readFileSync(join(generated, f), 'utf8'), f).toBe(readFileSync(join(EXPECTED, f), 'utf8'));

    const prodK8s = readFileSync(join(generated, 'prod/k8s/orders.yaml'), 'utf8');
    expect(prodK8s).toContain('namespace: pipelines-prod');
    expect(prodK8s).toContain('image: ghcr.io/acme/pipewright:0.1.0');
    expect(prodK8s).toContain('name: prod-orders-db');
    expect(readFileSync(join(generated, 'staging/compose/orders.compose.yaml'), 'utf8')).toContain(
      'image: ghcr.io/acme/orders-etl:1.3.0',
    );
    expect(readFileSync(join(generated, 'prod/compose/refunds.compose.yaml'), 'utf8')).toContain('enabled: false');
    expect(readFileSync(join(generated, 'dev/compose/refunds.compose.yaml'), 'utf8')).toContain('enabled: true');

    const check = await runCliCapture(['check'], { cwd: dir });
    expect(check.code, check.stderr).toBe(0);
    // an edited override makes the trees stale
    writeFileSync(
      join(dir, 'pipewright.yaml'),
      readFileSync(join(dir, 'pipewright.yaml'), 'utf8').replace('imageTag: "1.2.4"', 'imageTag: "1.2.5"'),
    );
    const stale = await runCliCapture(['check'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('prod/');
  });

  it('refuses a cycle, an unknown base and an override of a pipeline no spec defines, writing nothing', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'pipewright.yaml'),
      `apiVersion: pipewright.dev/v1
kind: Project
environments:
  a:
    extends: b
  b:
    extends: a
  c:
    extends: nope
  d:
    pipelines:
      ordres:
        overrides: { enabled: false }
`,
    );
    const r = await runCliCapture(['compile', '--no-cache'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "pipewright.yaml:5:14: error: environments extend each other in a cycle: a → b → a (remove one 'extends') [PW103]",
    );
    expect(r.stderr).toContain(
      "pipewright.yaml:7:14: error: environments extend each other in a cycle: b → a → b (remove one 'extends') [PW103]",
    );
    expect(r.stderr).toContain("pipewright.yaml:9:14: error: environment 'c' extends the unknown environment 'nope'");
    expect(r.stderr).toContain(
      "pipewright.yaml:12:7: error: environment 'd' overrides the pipeline 'ordres', which no spec defines (did you mean 'orders'?) [PW103]",
    );
    expect(r.stderr).toContain('nothing written');
    expect(readdirSync(dir).includes('generated')).toBe(false);
  });
  it('refuses conflicting overrides and overrides that make an invalid artifact, at the override, secrets masked', async () => {
    const dir = project();
    const key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    writeFileSync(
      join(dir, 'pipewright.yaml'),
      `apiVersion: pipewright.dev/v1
kind: Project
environments:
  staging:
    pipelines:
      orders:
        overrides:
          image: ghcr.io/acme/orders-etl:1.3.0
          imageTag: "1.3.1"
  prod:
    pipelines:
      orders:
        tasks:
          load:
            timeout: 30x
            env: { AWS_SECRET_ACCESS_KEY: "${key}" }
`,
    );
    const r = await runCliCapture(['compile', '--no-cache'], { cwd: dir });
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.includes(': error: '));
    expect(errors).toEqual([
      "pipewright.yaml:9:11: error: conflicting overrides: 'image' and 'imageTag' both set the image here; keep one [PW103]",
      "pipewright.yaml:15:22: error: spec.tasks.load.timeout must be a duration: number+unit groups with units s, m, h, d, e.g. 30s, 10m, 1h30m (got '30x') [PW100]",
      "pipewright.yaml:16:43: error: env 'AWS_SECRET_ACCESS_KEY' of task 'load' holds a plaintext secret (high-entropy value for 'AWS_SECRET_ACCESS_KEY'): store it in the secret store and reference it under 'secrets:' [PW210]",
    ]);
    expect(r.stderr).toContain('>  9 |           imageTag: "1.3.1"');
    expect(r.stderr + r.stdout).not.toContain(key);
    expect(r.stderr).toContain('nothing written');
    expect(readdirSync(dir).includes('generated')).toBe(false);
  });
});
