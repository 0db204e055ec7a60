import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scopeChange } from '../../src/emit/change-scope.js';
import { checkAgainstBase } from '../../src/emit/gate.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';
import { baseSpec, clone, specYaml } from '../history/specs.js';

/**
 * `check --base` / `validate --base` (the merge-request gate) in real temporary git repositories: every change a merge
 * request can make is still caught, and the findings are exactly those of a full check (compared on every case).
 */

const ENV = { HOME: '' }; // no compile-cache key: every run computes

interface Findings {
  code: number;
  ok?: boolean;
  stale?: string[];
  missing?: string[];
  extra?: string[];
  errors?: unknown[];
}

function findings(r: { code: number; stdout: string }): Findings {
  const json = JSON.parse(r.stdout) as {
    ok: boolean;
    stale?: string[];
    missing?: string[];
    extra?: string[];
    diagnostics?: { severity: string }[];
  };
  return {
    code: r.code,
    ok: json.ok,
    ...(json.stale ? { stale: json.stale, missing: json.missing, extra: json.extra } : {}),
    ...(json.diagnostics ? { errors: json.diagnostics.filter((d) => d.severity === 'error') } : {}),
  };
}

/** The per-pipeline files compile writes for a pipeline, as check lists them (sorted). */
function outputsOf(name: string): string[] {
  return [`compose/${name}.compose.yaml`, `gitlab/${name}.gitlab-ci.yml`, `index/${name}.json`, `k8s/${name}.yaml`];
}

function spec(name: string, edit?: (s: ReturnType<typeof baseSpec>) => void): string {
  const s = clone(baseSpec(name));
  edit?.(s);
  return specYaml(s);
}

describe('check --base: the merge-request gate', () => {
  const repo = new TestRepo();
  let base = '';

  /** Runs the gate and a full check on the same working tree; returns the gate's mode line and both findings. */
  async function compare(rev = base) {
    const gate = await runCliCapture(['check', '--base', rev, '--format', 'json'], { cwd: repo.dir, env: ENV });
    const full = await runCliCapture(['check', '--format', 'json'], { cwd: repo.dir, env: ENV });
    const mode = gate.stderr.split('\n')[0] ?? '';
    const json = JSON.parse(gate.stdout) as { gate?: { mode: string; reason?: string } };
    expect(json.gate?.mode).toBe(mode.includes(': incremental:') ? 'incremental' : 'full');
    expect(findings(gate)).toEqual(findings(full));
    return { mode, gate: findings(gate), json };
  }

  async function compile() {
    const r = await runCliCapture(['compile'], { cwd: repo.dir, env: ENV });
    expect(r.code, r.stderr).toBe(0);
  }

  beforeAll(async () => {
    repo.write({
      'pipelines/orders.yaml': spec('orders'),
      'pipelines/billing.yaml': spec('billing', (s) => {
        s.spec.concurrency = 2;
      }),
      'pipelines/events.yaml': spec('events', (s) => {
        delete s.spec.schedule;
      }),
      'README.md': 'a project\n',
    });
    await compile();
    base = repo.commit('base', {});
  });
  afterAll(() => repo.remove());
  beforeEach(() => {
    repo.git('reset', '-q', '--hard', base);
    repo.git('clean', '-q', '-fdx');
  });

  it('passes an unchanged tree incrementally, and a change outside specs and generated/', async () => {
    repo.write({ 'README.md': 'changed\n' });
    const r = await compare();
    expect(r.mode).toMatch(/^check --base [0-9a-f]{12}: incremental: 0 of 3 specs changed since the base/);
    expect(r.gate).toMatchObject({ code: 0, ok: true });
  });

  it('catches an edited spec (uncommitted) and passes once generated/ is recompiled', async () => {
    repo.write({ 'pipelines/orders.yaml': spec('orders', (s) => (s.spec.tasks.extract!.retries = 1)) });
    const r = await compare();
    expect(r.mode).toContain('incremental: 1 of 3 specs changed');
    expect(r.gate.code).toBe(1);
    expect(r.gate.stale).toEqual([
      'compose/orders.compose.yaml',
      'gitlab/orders.gitlab-ci.yml',
      'index/orders.json', // the spec index records the spec's blob id
      'k8s/orders.yaml',
      '.pipewright-manifest.json',
    ]);
    await compile();
    expect((await compare()).gate).toMatchObject({ code: 0, ok: true });
  });

  it('catches a hand-edited generated file of a pipeline the change did not touch', async () => {
    repo.write({ 'pipelines/orders.yaml': spec('orders', (s) => (s.metadata.description = 'new')) });
    await compile();
    appendFileSync(join(repo.dir, 'generated/k8s/billing.yaml'), '# tweak\n');
    const r = await compare();
    expect(r.mode).toContain('incremental');
    expect(r.gate.stale).toEqual(['k8s/billing.yaml']);
    // committed hand edit too (the gate compares with the base, not with the index)
    repo.commit('hand edit', {});
    expect((await compare()).gate.stale).toEqual(['k8s/billing.yaml']);
  });

  it('catches a hand-edited or deleted spec index file of a pipeline the change did not touch', async () => {
    // diff trusts the base's index (docs/gate.md): a merge request must not be able to slip a forged entry in
    const path = join(repo.dir, 'generated/index/billing.json');
    const forged = readFileSync(path, 'utf8').replace(/"readers": \[[\s\S]*\]/, '"readers": []');
    expect(forged).not.toBe(readFileSync(path, 'utf8'));
    writeFileSync(path, forged);
    const r = await compare();
    expect(r.mode).toContain('incremental: 0 of 3 specs changed, 1 generated file changed');
    expect(r.gate).toMatchObject({ code: 1, stale: ['index/billing.json'] });
    repo.commit('forged index entry', {});
    expect((await compare()).gate.stale).toEqual(['index/billing.json']);
    rmSync(join(repo.dir, 'generated/index/events.json'));
    expect((await compare()).gate).toMatchObject({ code: 1, missing: ['index/events.json'] });
  });

  it('catches a deleted generated file and a hand-edited manifest', async () => {
    rmSync(join(repo.dir, 'generated/compose/events.compose.yaml'));
    expect((await compare()).gate.missing).toEqual(['compose/events.compose.yaml']);
    appendFileSync(join(repo.dir, 'generated/.pipewright-manifest.json'), '\n');
    expect((await compare()).gate.stale).toEqual(['.pipewright-manifest.json']);
  });

  it('catches a deleted spec: its outputs must go, the GitLab parent changes', async () => {
    repo.git('rm', '-q', 'pipelines/billing.yaml');
    const r = await compare();
    expect(r.mode).toContain('incremental');
    expect(r.gate.extra).toEqual(outputsOf('billing'));
    expect(r.gate.stale).toEqual(['gitlab/pipelines.gitlab-ci.yml', '.pipewright-manifest.json']);
    await compile();
    expect((await compare()).gate).toMatchObject({ code: 0, ok: true });
  });

  it('catches a renamed pipeline (file moved, metadata.name changed), committed', async () => {
    repo.git('mv', 'pipelines/events.yaml', 'pipelines/audit-events.yaml');
    repo.write({
      'pipelines/audit-events.yaml': spec('audit-events', (s) => {
        delete s.spec.schedule;
      }),
    });
    repo.commit('rename', {});
    const r = await compare();
    expect(r.mode).toContain('incremental: 2 of 3 specs changed');
    expect(r.gate.missing).toEqual(outputsOf('audit-events'));
    expect(r.gate.extra).toEqual(outputsOf('events'));
    await compile();
    expect((await compare()).gate).toMatchObject({ code: 0, ok: true });
  });

  it('catches a moved spec file with the same pipeline name (its outputs name their source)', async () => {
    mkdirSync(join(repo.dir, 'pipelines/sales'));
    repo.git('mv', 'pipelines/orders.yaml', 'pipelines/sales/orders.yaml');
    const r = await compare();
    expect(r.gate.stale).toContain('k8s/orders.yaml');
    expect(r.gate.stale).toContain('gitlab/pipelines.gitlab-ci.yml');
    await compile();
    expect((await compare()).gate).toMatchObject({ code: 0, ok: true });
  });

  it('catches a new spec, untracked and even git-ignored (compile reads it)', async () => {
    repo.write({ 'pipelines/refunds.yaml': spec('refunds'), '.gitignore': 'pipelines/refunds.yaml\n' });
    const r = await compare();
    expect(r.mode).toContain('incremental: 1 of 4 specs changed');
    expect(r.gate.missing).toEqual(outputsOf('refunds'));
    expect(r.gate.stale).toEqual(['gitlab/pipelines.gitlab-ci.yml', '.pipewright-manifest.json']);
    await compile();
    expect((await compare()).gate).toMatchObject({ code: 0, ok: true });
  });

  it('re-emits the GitLab parent when a changed spec gains or loses its schedule, concurrency 1 or enabled', async () => {
    repo.write({
      'pipelines/events.yaml': spec('events', (s) => {
        s.spec.concurrency = 3;
        s.spec.enabled = false;
      }),
      'pipelines/billing.yaml': spec('billing', (s) => {
        delete s.spec.schedule;
      }),
    });
    const r = await compare();
    expect(r.mode).toContain('incremental');
    expect(r.gate.stale).toContain('gitlab/pipelines.gitlab-ci.yml');
    await compile();
    expect((await compare()).gate).toMatchObject({ code: 0, ok: true });
  });

  it('reports the errors of a changed spec like a full check (exit 1)', async () => {
    repo.write({ 'pipelines/orders.yaml': spec('orders', (s) => (s.spec.tasks.load!.needs = ['nope'])) });
    const r = await compare();
    expect(r.mode).toContain('incremental');
    expect(r.gate.code).toBe(1);
    expect(r.gate.errors).toHaveLength(1);
  });

  it('runs in full when a changed spec takes the name of an unchanged one (the duplicate is reported with both)', async () => {
    repo.write({ 'pipelines/orders.yaml': spec('billing') });
    const r = await compare();
    expect(r.mode).toMatch(/full run: pipelines\/orders\.yaml now writes generated\/.*billing.*duplicate/);
    expect(r.gate.code).toBe(1);
    expect(r.gate.errors?.length).toBeGreaterThan(0);
  });

  it('runs in full when pipewright.yaml changes (levels, environments) and says why', async () => {
    repo.write({ 'pipewright.yaml': 'apiVersion: pipewright.dev/v1\nkind: Project\n' });
    let r = await compare();
    expect(r.mode).toMatch(/full run: pipewright\.yaml changed since the base/);
    repo.commit('config', {});
    const withConfig = repo.head();
    await compile();
    repo.commit('compiled', {});
    const compiled = repo.head();
    expect((await compare(compiled)).mode).toContain('incremental');
    repo.write({
      'pipewright.yaml': 'apiVersion: pipewright.dev/v1\nkind: Project\ndiagnostics:\n  PW303: error\n',
    });
    r = await compare(compiled);
    expect(r.mode).toContain('full run: pipewright.yaml changed');
    expect(r.gate.code).toBe(1);
    repo.write({
      'pipewright.yaml':
        'apiVersion: pipewright.dev/v1\nkind: Project\nenvironments:\n  prod:\n    namespace: pipelines-prod\n',
    });
    r = await compare(compiled);
    expect(r.mode).toContain('full run: pipewright.yaml changed');
    expect(r.gate.missing?.length).toBeGreaterThan(0);
    repo.commit('environments', {});
    await compile();
    repo.commit('compiled environments', {});
    r = await compare(repo.head());
    expect(r.mode).toContain('full run: the project declares environments');
    expect(r.gate).toMatchObject({ code: 0, ok: true });
    expect(withConfig).not.toBe(compiled);
  });

  it('runs in full when the base was checked by another pipewright version', async () => {
    const path = join(repo.dir, 'generated/.pipewright-manifest.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/"version": "[^"]*"/, '"version": "0.0.1-old"'));
    const old = repo.commit('manifest of an older pipewright', {});
    const r = await compare(old);
    expect(r.mode).toContain("full run: the base's outputs were written by pipewright 0.0.1-old");
    expect(r.gate.stale).toEqual(['.pipewright-manifest.json']);
  });

  it('runs in full when a package or lock file changes (the pipewright build may differ)', async () => {
    repo.write({ 'package-lock.json': '{"lockfileVersion": 3}\n' });
    const r = await compare();
    expect(r.mode).toContain('full run: package-lock.json changed since the base');
  });

  it("runs in full when pipewright's own files in the repository change", async () => {
    repo.commit('vendored pipewright', { 'vendor/pipewright/dist/emit/compile.js': 'export {};\n' });
    const vendored = repo.head();
    const request = { cwd: repo.dir, paths: ['pipelines'], out: 'generated', base: vendored };
    const pipewrightRoot = join(repo.dir, 'vendor/pipewright');
    let scope = await scopeChange({ ...request, pipewrightRoot });
    expect(scope.full).toBeUndefined();
    await scope.blobs.close();
    repo.write({ 'vendor/pipewright/README.md': 'docs are not part of the build\n' });
    scope = await scopeChange({ ...request, pipewrightRoot });
    expect(scope.full).toBeUndefined();
    await scope.blobs.close();
    repo.write({ 'vendor/pipewright/dist/emit/compile.js': 'export const changed = 1;\n' });
    scope = await scopeChange({ ...request, pipewrightRoot });
    expect(scope.full).toBe(
      'vendor/pipewright/dist/emit/compile.js changed since the base: it is part of the pipewright build running this check',
    );
    await scope.blobs.close();
    const gate = await checkAgainstBase({ ...request, pipewrightRoot });
    expect(gate).toMatchObject({ gate: { mode: 'full' } });
    expect(gate.check).toBeUndefined();
  });

  it('runs in full when the base has no committed generated/', async () => {
    repo.git('rm', '-rq', 'generated');
    const bare = repo.commit('no generated', {});
    repo.git('reset', '-q', '--hard', base);
    const r = await compare(bare);
    expect(r.mode).toContain('full run: the base has no generated/.pipewright-manifest.json');
  });

  it('runs in full when git would not compare files byte for byte', async () => {
    repo.write({ '.gitattributes': 'generated/** text eol=crlf\n' });
    expect((await compare()).mode).toMatch(/full run: git attribute (text|eol)=/);
    rmSync(join(repo.dir, '.gitattributes'));
    repo.git('update-index', '--assume-unchanged', 'generated/k8s/orders.yaml');
    appendFileSync(join(repo.dir, 'generated/k8s/orders.yaml'), '# hidden from git diff\n');
    const r = await compare();
    expect(r.mode).toContain('assume-unchanged');
    expect(r.gate.stale).toEqual(['k8s/orders.yaml']);
    repo.git('update-index', '--no-assume-unchanged', 'generated/k8s/orders.yaml');
  });

  it('refuses hostile or unknown revisions with a clear error (exit 2)', async () => {
    for (const [rev, message] of [
      ['--output=/tmp/pw-gate-x', "'--output=/tmp/pw-gate-x' looks like an option"],
      ['no-such-branch', "unknown revision 'no-such-branch'"],
      [`${base}..HEAD`, 'is a range'],
      ['', 'must not be empty'],
      ['HEAD:pipelines', "unknown revision 'HEAD:pipelines'"],
    ] as const) {
      const r = await runCliCapture(['check', `--base=${rev}`], { cwd: repo.dir, env: ENV });
      expect(r.code, rev).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const v = await runCliCapture(['validate', '--base=-x'], { cwd: repo.dir, env: ENV });
    expect(v.code).toBe(2);
    expect(v.stderr).toContain("'-x' looks like an option");
  });

  it('says it is not a git repository (exit 2)', async () => {
    const dir = join(repo.dir, '..', `pw-gate-nogit-${process.pid}`);
    mkdirSync(join(dir, 'pipelines'), { recursive: true });
    try {
      writeFileSync(join(dir, 'pipelines/orders.yaml'), spec('orders'));
      const r = await runCliCapture(['check', '--base', 'HEAD'], {
        cwd: dir,
        env: { HOME: '', GIT_CEILING_DIRECTORIES: join(dir, '..') },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('not inside a git working tree');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scripts/ci-diff-gate.sh runs check --base in merge request pipelines whose base commits generated/', () => {
    const script = join(import.meta.dirname, '..', '..', 'scripts', 'ci-diff-gate.sh');
    expect(existsSync(join(import.meta.dirname, '..', '..', 'dist', 'cli.js')), 'run `npm run build` first').toBe(true);
    repo.commit('edit without compiling', {
      'pipelines/orders.yaml': spec('orders', (s) => (s.spec.tasks.extract!.retries = 1)),
    });
    const r = spawnSync('bash', [script], {
      cwd: repo.dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: '', CI_MERGE_REQUEST_DIFF_BASE_SHA: base },
    });
    expect(r.stdout).toContain(`ci-diff-gate: merge request: pipewright check --base ${base.slice(0, 12)}`);
    expect(r.stderr).toContain('incremental: 1 of 3 specs changed');
    expect(r.stderr).toContain('stale    generated/k8s/orders.yaml');
    expect(r.status).toBe(1);
  });

  describe('validate --base', () => {
    async function both(args: string[] = []) {
      const gate = await runCliCapture(['validate', '--base', base, '--format', 'json', ...args], {
        cwd: repo.dir,
        env: ENV,
      });
      const full = await runCliCapture(['validate', '--format', 'json', ...args], { cwd: repo.dir, env: ENV });
      return { gate, full, mode: gate.stderr.split('\n')[0] ?? '' };
    }
    const errors = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { diagnostics: { severity: string }[] }).diagnostics.filter(
        (d) => d.severity === 'error',
      );

    it('reads only the changed specs and reports their errors like a full validate', async () => {
      repo.write({ 'pipelines/orders.yaml': spec('orders', (s) => (s.spec.tasks.load!.needs = ['nope'])) });
      const r = await both();
      expect(r.mode).toContain('validate --base');
      expect(r.mode).toContain('incremental: 1 of 3 specs changed');
      expect(r.gate.code).toBe(r.full.code);
      expect(r.gate.code).toBe(1);
      expect(errors(r.gate)).toEqual(errors(r.full));
      expect((JSON.parse(r.gate.stdout) as { summary: { files: number } }).summary.files).toBe(1);
    });

    it('validates a new spec incrementally; a renamed pipeline with settings by name in pipewright.yaml in full', async () => {
      repo.write({ 'pipelines/refunds.yaml': spec('refunds') });
      let r = await both();
      expect(r.mode).toContain('incremental: 1 of 4 specs changed');
      expect(r.gate.code).toBe(0);
      expect(r.full.code).toBe(0);
      rmSync(join(repo.dir, 'pipelines/refunds.yaml'));
      repo.commit('settings by name', {
        'pipewright.yaml':
          'apiVersion: pipewright.dev/v1\nkind: Project\npipelines:\n  orders:\n    diagnostics:\n      PW303: off\n',
      });
      await compile();
      const configured = repo.commit('compiled', {});
      repo.write({ 'pipelines/orders.yaml': spec('orders-v2') });
      const gate = await runCliCapture(['validate', '--base', configured, '--format', 'json'], {
        cwd: repo.dir,
        env: ENV,
      });
      const full = await runCliCapture(['validate', '--format', 'json'], { cwd: repo.dir, env: ENV });
      expect(gate.stderr).toContain(
        "full run: pipewright.yaml has settings by pipeline name and a changed spec's name changed",
      );
      expect(gate.stdout).toBe(full.stdout);
      expect(gate.stdout).toContain('PW102');
      r = await both();
      expect(r.mode).toContain('full run: pipewright.yaml changed since the base');
    });

    it('passes a clean change, and validates in full with --max-warnings or a name clash', async () => {
      repo.write({ 'pipelines/orders.yaml': spec('orders', (s) => (s.metadata.description = 'x')) });
      let r = await both();
      expect(r.gate.code).toBe(0);
      expect(r.full.code).toBe(0);
      r = await both(['--max-warnings', '0']);
      expect(r.mode).toContain('full run: --max-warnings counts the warnings of every spec');
      expect(r.gate.code).toBe(r.full.code);
      repo.write({ 'pipelines/orders.yaml': spec('events') });
      r = await both();
      expect(r.mode).toContain('full run');
      expect(r.gate.code).toBe(1);
      expect(errors(r.gate)).toEqual(errors(r.full));
    });
  });
});
