import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { files, pipelineSpec, project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

const SUMMARY = /^compiled (\d+) pipelines?: (\d+) written, (\d+) unchanged, (\d+) deleted \(\d+ ms\)\n$/;

describe('pipewright compile', () => {
  it('writes every target, then finds everything unchanged on a second run', async () => {
    const cwd = await project({
      'pipelines/a.yaml': pipelineSpec('alpha'),
      'pipelines/b.yaml': pipelineSpec('beta', { schedule: '@daily' }),
    });
    const first = await runCliCapture(['compile'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(SUMMARY);
    expect(SUMMARY.exec(first.stdout)!.slice(1)).toEqual(['2', '9', '0', '0']);
    expect(first.stderr).toContain('pipelines/b.yaml:8:13: warning: Docker Compose has no schedules');
    expect(Object.keys(await files(cwd, 'generated')).sort()).toEqual([
      'generated/.pipewright-manifest.json',
      'generated/compose/alpha.compose.yaml',
      'generated/compose/beta.compose.yaml',
      'generated/gitlab/alpha.gitlab-ci.yml',
      'generated/gitlab/beta.gitlab-ci.yml',
      'generated/gitlab/pipelines.gitlab-ci.yml',
      'generated/index/alpha.json',
      'generated/index/beta.json',
      'generated/k8s/alpha.yaml',
      'generated/k8s/beta.yaml',
    ]);
    const second = await runCliCapture(['compile'], { cwd });
    expect(SUMMARY.exec(second.stdout)!.slice(1)).toEqual(['2', '0', '9', '0']);
  });

  it('is deterministic: two projects with the same specs get byte-identical outputs', async () => {
    const specs = { 'pipelines/a.yaml': pipelineSpec('alpha', { schedule: '0 5 * * *', extraTask: true }) };
    const [one, two] = [await project(specs), await project(specs)];
    expect((await runCliCapture(['compile'], { cwd: one })).code).toBe(0);
    expect((await runCliCapture(['compile'], { cwd: two })).code).toBe(0);
    expect(await files(two, 'generated')).toEqual(await files(one, 'generated'));
  });

  it('removes the outputs of a deleted pipeline, never a foreign file', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha'), 'pipelines/b.yaml': pipelineSpec('beta') });
    await runCliCapture(['compile'], { cwd });
    await writeFile(join(cwd, 'generated/compose/notes.md'), 'mine\n');
    await rm(join(cwd, 'pipelines/b.yaml'));
    const r = await runCliCapture(['compile'], { cwd });
    expect(SUMMARY.exec(r.stdout)!.slice(1)).toEqual(['1', '1', '4', '4']);
    const left = Object.keys(await files(cwd, 'generated'));
    expect(left.filter((p) => p.includes('beta'))).toEqual([]);
    expect(left).toContain('generated/compose/notes.md');
  });

  it('is all-or-nothing: an error anywhere writes nothing and exits 1', async () => {
    const cwd = await project({
      'pipelines/a.yaml': pipelineSpec('alpha'),
      'pipelines/b.yaml': pipelineSpec('beta').replace('needs: [extract]', 'needs: [nope]'),
    });
    const r = await runCliCapture(['compile'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pipelines\/b\.yaml:\d+:\d+: error: .*nope.* \[PW201\]/);
    expect(r.stderr).toMatch(/compile failed: 1 error, \d+ warnings? — nothing written\n$/);
    expect(existsSync(join(cwd, 'generated'))).toBe(false);
  });

  it('refuses an output directory outside the project, the project itself, or overlapping the specs', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    for (const [out, message] of [
      ['../elsewhere', /must be inside the working directory/],
      ['.', /must be a subdirectory, not the working directory itself/],
      ['pipelines', /overlaps the spec path pipelines/],
      ['pipelines/gen', /overlaps the spec path pipelines/],
    ] as const) {
      const r = await runCliCapture(['compile', '--out', out], { cwd });
      expect(r.code, out).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(Object.keys(await files(cwd))).toEqual(['pipelines/a.yaml']);
  });

  it('compiles `.` into generated/ (a directory discovery skips) and reads only the specs next time', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const first = await runCliCapture(['compile', '.', '--target', 'compose'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const again = await runCliCapture(['compile', '.', '--target', 'compose'], { cwd });
    expect(SUMMARY.exec(again.stdout)!.slice(1)).toEqual(['1', '0', '2', '0']);
    expect((await runCliCapture(['compile', '.', '--out', 'out'], { cwd })).stderr).toMatch(
      /overlaps the spec path \./,
    );
  });

  it('refuses to overwrite a file it did not write, writing nothing', async () => {
    const cwd = await project({
      'pipelines/a.yaml': pipelineSpec('alpha'),
      'generated/k8s/alpha.yaml': 'kind: Mine\n',
    });
    const r = await runCliCapture(['compile'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('k8s/alpha.yaml exists and was not written by pipewright');
    expect(Object.keys(await files(cwd, 'generated'))).toEqual(['generated/k8s/alpha.yaml']);
  });

  it('reports a hand-edited generated file and restores it', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    await runCliCapture(['compile'], { cwd });
    const path = join(cwd, 'generated/compose/alpha.compose.yaml');
    const original = await readFile(path, 'utf8');
    await writeFile(path, `${original}# tweak\n`);
    const r = await runCliCapture(['compile'], { cwd });
    expect(r.stderr).toContain(
      'note: generated/compose/alpha.compose.yaml had been edited by hand; compile replaced it',
    );
    expect(await readFile(path, 'utf8')).toBe(original);
  });

  it('compiles selected targets into a chosen directory', async () => {
    const cwd = await project({ 'specs/a.yaml': pipelineSpec('alpha') });
    const r = await runCliCapture(['compile', 'specs', '--target', 'compose,kubernetes', '--out', 'build/out'], {
      cwd,
    });
    expect(r.code).toBe(0);
    expect(Object.keys(await files(cwd, 'build')).sort()).toEqual([
      'build/out/.pipewright-manifest.json',
      'build/out/compose/alpha.compose.yaml',
      'build/out/index/alpha.json',
      'build/out/k8s/alpha.yaml',
    ]);
  });

  it('rejects unknown targets and formats as usage errors (exit 2)', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const bad = await runCliCapture(['compile', '--target', 'swarm'], { cwd });
    expect(bad).toMatchObject({
      code: 2,
      stderr: "pipewright: --target must be a comma-separated list of compose, k8s, gitlab (got 'swarm')\n",
    });
    expect((await runCliCapture(['compile', '--format', 'xml'], { cwd })).code).toBe(2);
  });

  it('fails clearly on a missing spec path', async () => {
    const cwd = await project({});
    const r = await runCliCapture(['compile', 'nowhere'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('pipewright: no such file or directory: nowhere\n');
  });

  it('--format json reports files, pipelines and diagnostics', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha', { schedule: '@hourly' }) });
    const r = await runCliCapture(['compile', '--target', 'compose', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      ok: true,
      out: 'generated',
      targets: ['compose'],
      pipelines: ['alpha'],
      written: ['compose/alpha.compose.yaml', 'index/alpha.json'],
      unchanged: [],
      removed: [],
      summary: { files: 1, errors: 0, warnings: 1 },
    });
    expect(json.diagnostics[0]).toMatchObject({
      file: 'pipelines/a.yaml',
      line: 8,
      column: 13,
      severity: 'warning',
      code: 'PW303',
    });
  });

  it('--format json with errors: ok false, nothing written, exit 1', async () => {
    const cwd = await project({
      'pipelines/a.yaml': pipelineSpec('alpha').replace('needs: [extract]', 'needs: [nope]'),
    });
    const r = await runCliCapture(['compile', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ok: false, pipelines: [], written: [], summary: { files: 1, errors: 1 } });
    expect(json.diagnostics.map((d: { code: string }) => d.code)).toContain('PW201');
    expect(existsSync(join(cwd, 'generated'))).toBe(false);
  });

  it('runs as the built CLI', () => {
    const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
    expect(existsSync(cli), 'dist/cli.js (run `npm run build` first)').toBe(true);
    return project({ 'pipelines/a.yaml': pipelineSpec('alpha') }).then((cwd) => {
      const r = spawnSync(process.execPath, [cli, 'compile', '--target', 'compose'], { cwd, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(SUMMARY);
    });
  });
});
