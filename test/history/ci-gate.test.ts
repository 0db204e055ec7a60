import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRepo } from './repo.js';
import { baseSpec, clone, specYaml } from './specs.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'ci-diff-gate.sh');

/** scripts/ci-diff-gate.sh as CI runs it: bash, in the repository, against the built CLI. */
function gate(cwd: string, env: Record<string, string> = {}, args: string[] = []) {
  expect(existsSync(join(ROOT, 'dist', 'cli.js')), 'dist/cli.js (run `npm run build` first)').toBe(true);
  const r = spawnSync('bash', [SCRIPT, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scripts/ci-diff-gate.sh', () => {
  const repo = new TestRepo();
  const spec = baseSpec('orders');
  let first = '';
  beforeAll(() => {
    first = repo.commit('add', { 'pipelines/orders.yaml': specYaml(spec) });
  });
  afterAll(() => repo.remove());

  it('passes a repository with a single commit', () => {
    expect(gate(repo.dir)).toMatchObject({
      code: 0,
      stdout: 'ci-diff-gate: HEAD has no parent commit; nothing to compare.\n',
    });
  });

  it('skips when no spec changed', () => {
    repo.commit('docs', { 'README.md': 'x\n' });
    const r = gate(repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no spec changes under pipelines\/ since [0-9a-f]{12}/);
  });

  it('fails a spec change without the required bump, passes with it', () => {
    const next = clone(spec);
    next.spec.tasks.extract!.retries = 7;
    repo.commit('retries, no bump', { 'pipelines/orders.yaml': specYaml(next) });
    const fail = gate(repo.dir);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('version not bumped (still 1.0.0); changes require a patch bump');
    expect(fail.stderr).toContain('version policy violated');
    next.metadata.version = '1.0.1';
    repo.commit('bump', { 'pipelines/orders.yaml': specYaml(next) });
    const ok = gate(repo.dir);
    expect(ok.stdout).toContain('orders: modified 1.0.0 → 1.0.1');
    expect(ok.code).toBe(0);
  });

  it('gates a change of a versioned environment override in pipewright.yaml like a spec change', () => {
    const config = (tag: string) => `apiVersion: pipewright.dev/v1
kind: Project
environments:
  prod:
    versioned: true
    pipelines:
      orders:
        overrides: { imageTag: "${tag}" }
`;
    repo.commit('prod environment', { 'pipewright.yaml': config('1.0.0') });
    repo.commit('prod runs 1.1.0', { 'pipewright.yaml': config('1.1.0') });
    const fail = gate(repo.dir);
    expect(fail.stdout).toContain('pipewright.yaml changed since');
    expect(fail.stdout).toContain('prod: tasks.extract.image');
    expect(fail.code).toBe(1);
  });

  it('uses the merge request base when GitLab provides it', () => {
    const r = gate(repo.dir, { CI_MERGE_REQUEST_DIFF_BASE_SHA: first });
    expect(r.stdout).toContain(`since ${first.slice(0, 12)}`);
    expect(r.stdout).toContain('tasks.extract.retries: 3 → 7');
    expect(r.code).toBe(0);
  });

  it('refuses an option-looking base without running it', () => {
    const target = join(mkdtempSync(join(tmpdir(), 'pw-gate-')), 'x');
    const r = gate(repo.dir, {}, [`--output=${target}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('looks like an option');
    expect(existsSync(target)).toBe(false);
  });

  it('fails a shallow clone with the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-gate-shallow-'));
    try {
      execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, dir]);
      const r = gate(dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('git fetch --unshallow');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gates a shallow clone that has the base commit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-gate-shallow2-'));
    try {
      execFileSync('git', ['clone', '-q', '--depth', '2', `file://${repo.dir}`, dir]);
      const r = gate(dir);
      expect(r.stderr).not.toContain('shallow clone');
      expect(r.stdout + r.stderr).toMatch(/ci-diff-gate: (no spec changes|specs under)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
