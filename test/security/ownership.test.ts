/**
 * Issue 11 item 2: compile writes only inside the project and deletes only what it wrote. `--out` through a linked
 * parent is refused (real paths stay inside the working directory); a manifest entry can make compile delete a file
 * only when the file's current bytes hash to what pipewright recorded writing and carry its generated header — a
 * hand-edited or forged manifest naming NOTES.md deletes nothing; a deletion is reported as "deleted".
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/model/hash.js';
import { pipelineSpec, project, removeProjects } from '../cli/compile-support.js';
import { runCliCapture } from '../helpers/cli.js';
import { outsideDir, removeOutside } from './support.js';

afterAll(async () => {
  await removeProjects();
  await removeOutside();
});

async function listManifest(cwd: string, entries: Record<string, string>): Promise<void> {
  const path = join(cwd, 'generated/.pipewright-manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  Object.assign(manifest.files, entries);
  manifest.files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1)));
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

describe('writes stay inside the project', () => {
  it('refuses --out through a linked parent directory and writes nothing outside', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const outside = await outsideDir();
    await symlink(outside, join(cwd, 'linkdir'));
    for (const format of ['text', 'json']) {
      const r = await runCliCapture(['compile', '--out', 'linkdir/gen', '--format', format], { cwd });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--out linkdir/gen: linkdir is a symbolic link');
    }
    expect(await readdir(outside)).toEqual([]);
    const check = await runCliCapture(['check', '--out', 'linkdir/gen'], { cwd });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('linkdir is a symbolic link');
  });

  it('refuses an output directory that is itself a link', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const outside = await outsideDir();
    await symlink(outside, join(cwd, 'generated'));
    const r = await runCliCapture(['compile'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('generated is a symbolic link');
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('deletes only what pipewright wrote', () => {
  it('a hand-edited manifest listing NOTES.md (with any hash) gets nothing deleted', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    expect((await runCliCapture(['compile'], { cwd })).code).toBe(0);
    const notes = '# Notes\nkeep me\n';
    await writeFile(join(cwd, 'generated/NOTES.md'), notes);
    await mkdir(join(cwd, 'generated/compose'), { recursive: true });
    await writeFile(join(cwd, 'generated/compose/notes.yaml'), 'mine: true\n');
    // one entry with a wrong hash, two with the file's true hash (a forger can compute it)
    await listManifest(cwd, {
      'NOTES.md': 'b'.repeat(64),
      'compose/notes.yaml': sha256Hex('mine: true\n'),
    });
    const r = await runCliCapture(['compile'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(cwd, 'generated/NOTES.md'), 'utf8')).toBe(notes);
    expect(await readFile(join(cwd, 'generated/compose/notes.yaml'), 'utf8')).toBe('mine: true\n');
    expect(r.stderr).not.toMatch(/replaced|deleted/);
    expect(r.stderr).toContain('note: kept generated/NOTES.md:');
    expect(r.stderr).toContain('note: kept generated/compose/notes.yaml:');
    // no longer claimed: the next compile neither mentions nor touches them
    const manifest = JSON.parse(await readFile(join(cwd, 'generated/.pipewright-manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files)).not.toContain('NOTES.md');
    const again = await runCliCapture(['compile'], { cwd });
    expect(again.stderr).not.toContain('NOTES.md');

    await listManifest(cwd, { 'NOTES.md': sha256Hex(notes) });
    const forged = await runCliCapture(['compile', '--format', 'json'], { cwd });
    expect(JSON.parse(forged.stdout)).toMatchObject({ ok: true, removed: [], kept: ['NOTES.md'] });
    expect(existsSync(join(cwd, 'generated/NOTES.md'))).toBe(true);
  });

  it('deletes the untouched outputs of a removed pipeline and says "deleted"; keeps an edited one', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha'), 'pipelines/b.yaml': pipelineSpec('beta') });
    expect((await runCliCapture(['compile'], { cwd })).code).toBe(0);
    const edited = join(cwd, 'generated/k8s/beta.yaml');
    await writeFile(edited, `${await readFile(edited, 'utf8')}# my edit\n`);
    await rm(join(cwd, 'pipelines/b.yaml'));
    const r = await runCliCapture(['compile'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('deleted generated/compose/beta.compose.yaml (no spec produces it any more)\n');
    expect(r.stderr).toContain('deleted generated/gitlab/beta.gitlab-ci.yml (no spec produces it any more)\n');
    expect(r.stderr).toContain('note: kept generated/k8s/beta.yaml:');
    expect(r.stderr).not.toContain('replaced');
    expect(r.stdout).toMatch(/, 3 deleted \(/);
    expect(existsSync(join(cwd, 'generated/compose/beta.compose.yaml'))).toBe(false);
    expect(await readFile(edited, 'utf8')).toContain('# my edit\n');
  });
});
