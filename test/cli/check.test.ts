import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { pipelineSpec, project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

async function compiled(specs: Record<string, string>, args: string[] = []) {
  const cwd = await project(specs);
  const r = await runCliCapture(['compile', ...args], { cwd });
  expect(r.code, r.stderr).toBe(0);
  return cwd;
}

describe('pipewright check', () => {
  it('exits 0 when generated/ is what compile would write', async () => {
    const cwd = await compiled({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const r = await runCliCapture(['check'], { cwd });
    expect(r).toEqual({ code: 0, stdout: 'generated/ is up to date (6 files)\n', stderr: '' });
  });

  it('reports a stale file with a unified diff', async () => {
    const cwd = await compiled({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    await writeFile(
      join(cwd, 'pipelines/a.yaml'),
      pipelineSpec('alpha').replace('command: [echo, load]', 'command: [echo, LOAD]'),
    );
    const r = await runCliCapture(['check'], { cwd });
    expect(r.code).toBe(1);
    // the pipeline's three files, its spec index entry and the manifest; the GitLab parent does not depend on the tasks
    expect(r.stderr).toContain('generated/ is out of date: 5 stale, 0 missing, 0 extra\n');
    expect(r.stderr).toContain('  stale    generated/compose/alpha.compose.yaml\n');
    expect(r.stderr).not.toContain('pipelines.gitlab-ci.yml');
    expect(r.stderr).toContain('run `pipewright compile` to update generated/\n');
    expect(r.stdout).toContain(
      '--- a/generated/compose/alpha.compose.yaml\n+++ b/generated/compose/alpha.compose.yaml\n',
    );
    expect(r.stdout).toMatch(/^- {6}- load$/m);
    expect(r.stdout).toMatch(/^\+ {6}- LOAD$/m);
    // check writes nothing
    expect(await readFile(join(cwd, 'generated/compose/alpha.compose.yaml'), 'utf8')).toContain('- load\n');
  });

  it('reports missing and extra files, and a hand edit', async () => {
    const cwd = await compiled({ 'pipelines/a.yaml': pipelineSpec('alpha'), 'pipelines/b.yaml': pipelineSpec('beta') });
    await rm(join(cwd, 'generated/k8s/alpha.yaml'));
    await rm(join(cwd, 'pipelines/b.yaml'));
    await writeFile(join(cwd, 'generated/foreign.txt'), 'not ours\n');
    const r = await runCliCapture(['check', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      ok: false,
      out: 'generated',
      missing: ['k8s/alpha.yaml'],
      extra: ['compose/beta.compose.yaml', 'gitlab/beta.gitlab-ci.yml', 'index/beta.json', 'k8s/beta.yaml'],
      stale: ['gitlab/pipelines.gitlab-ci.yml', '.pipewright-manifest.json'],
    });
    expect(json.diff).toContain('+++ /dev/null');
    expect(json.diff).toContain('--- /dev/null\n+++ b/generated/k8s/alpha.yaml');
    // compile fixes everything check reported; the foreign file stays
    await runCliCapture(['compile'], { cwd });
    expect((await runCliCapture(['check'], { cwd })).code).toBe(0);
    expect(existsSync(join(cwd, 'generated/foreign.txt'))).toBe(true);
  });

  it('truncates a long diff with counts', async () => {
    const cwd = await compiled({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    await writeFile(join(cwd, 'pipelines/a.yaml'), pipelineSpec('alpha', { extraTask: true }));
    const r = await runCliCapture(['check', '--max-diff-lines', '10'], { cwd });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toMatch(/^… diff truncated: \d+ more lines in 5 files \(run `pipewright compile` to update\)$/);
  });

  it('checks the targets recorded in the manifest', async () => {
    const cwd = await compiled({ 'pipelines/a.yaml': pipelineSpec('alpha') }, ['--target', 'compose']);
    expect((await runCliCapture(['check'], { cwd })).stdout).toBe('generated/ is up to date (3 files)\n');
    const all = await runCliCapture(['check', '--target', 'compose,k8s,gitlab'], { cwd });
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('  missing  generated/k8s/alpha.yaml\n');
  });

  it('fails when nothing was compiled yet, and when the specs have errors', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const fresh = await runCliCapture(['check'], { cwd });
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain('out of date: 0 stale, 6 missing, 0 extra');
    await writeFile(join(cwd, 'pipelines/a.yaml'), 'kind: [');
    const broken = await runCliCapture(['check'], { cwd });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/check failed: the specs have \d+ errors?; fix them first/);
  });

  it('refuses a corrupt manifest instead of guessing', async () => {
    const cwd = await compiled({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    await writeFile(join(cwd, 'generated/.pipewright-manifest.json'), '{"generator":"someone-else"}');
    const r = await runCliCapture(['check'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'pipewright: .pipewright-manifest.json is not a pipewright manifest (expected generator, version, targets, files)\n',
    );
  });

  it('runs as the built CLI', async () => {
    const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
    expect(existsSync(cli), 'dist/cli.js (run `npm run build` first)').toBe(true);
    const cwd = await compiled({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const r = spawnSync(process.execPath, [cli, 'check'], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('generated/ is up to date (6 files)\n');
  });
});
