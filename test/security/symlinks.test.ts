/**
 * Issue 11 item 1: check, compile and the spec readers never read through a symbolic link. A link committed under
 * the output directory (an output, the manifest, a file the manifest lists, a linked directory) or under a spec
 * directory (or a linked spec directory itself) is refused before anything is opened, so its target's bytes never
 * reach a log, and a link to /dev/zero cannot exhaust memory.
 */
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { files, pipelineSpec, project, removeProjects } from '../cli/compile-support.js';
import { runCliCapture } from '../helpers/cli.js';
import { MARKER, outsideDir, removeOutside } from './support.js';

afterAll(async () => {
  await removeProjects();
  await removeOutside();
});

async function compiledProject(): Promise<string> {
  const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
  const r = await runCliCapture(['compile'], { cwd });
  expect(r.code, r.stderr).toBe(0);
  return cwd;
}

async function secretOutside(): Promise<string> {
  const dir = await outsideDir();
  const file = join(dir, 'secret.txt');
  await writeFile(file, `${MARKER}\npassword: hunter2hunter2\n`);
  return file;
}

async function replaceWithLink(path: string, target: string): Promise<void> {
  await rm(path, { force: true, recursive: true });
  await symlink(target, path);
}

describe('symbolic links under the output directory', () => {
  it('check refuses an output that is a link instead of printing its target (text and json)', async () => {
    const cwd = await compiledProject();
    await replaceWithLink(join(cwd, 'generated/compose/alpha.compose.yaml'), await secretOutside());
    for (const args of [['check'], ['check', '--format', 'json']]) {
      const r = await runCliCapture(args, { cwd });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(MARKER);
      expect(r.stderr).toContain('generated/compose/alpha.compose.yaml is a symbolic link');
    }
  });

  it('check refuses a file listed in the manifest that is a link', async () => {
    const cwd = await compiledProject();
    const manifestPath = join(cwd, 'generated/.pipewright-manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.files['compose/zz.compose.yaml'] = 'a'.repeat(64);
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await symlink(await secretOutside(), join(cwd, 'generated/compose/zz.compose.yaml'));
    const r = await runCliCapture(['check'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(MARKER);
    expect(r.stderr).toContain('generated/compose/zz.compose.yaml is a symbolic link');
  });

  it('check refuses a manifest that is a link', async () => {
    const cwd = await compiledProject();
    await replaceWithLink(join(cwd, 'generated/.pipewright-manifest.json'), await secretOutside());
    const r = await runCliCapture(['check'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(MARKER);
    expect(r.stderr).toContain('generated/.pipewright-manifest.json is a symbolic link');
  });

  it('check refuses a linked directory inside the output directory', async () => {
    const cwd = await compiledProject();
    const dir = await outsideDir();
    await writeFile(join(dir, 'alpha.compose.yaml'), `${MARKER}\n`);
    await replaceWithLink(join(cwd, 'generated/compose'), dir);
    const r = await runCliCapture(['check'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(MARKER);
    expect(r.stderr).toContain('generated/compose is a symbolic link');
  });

  it('check and compile refuse a link to /dev/zero at once instead of reading it', async () => {
    const cwd = await compiledProject();
    await replaceWithLink(join(cwd, 'generated/compose/alpha.compose.yaml'), '/dev/zero');
    const check = await runCliCapture(['check'], { cwd });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('generated/compose/alpha.compose.yaml is a symbolic link');
    await writeFile(
      join(cwd, 'pipelines/a.yaml'),
      pipelineSpec('alpha').replace('command: [echo, load]', 'command: [echo, LOAD]'),
    );
    const compile = await runCliCapture(['compile'], { cwd });
    expect(compile.code).toBe(1);
    expect(compile.stderr).toContain('compose/alpha.compose.yaml is a symbolic link');
  }, 20_000);

  it('compile does not read an output that is a link when its cache entry is checked', async () => {
    const cwd = await compiledProject();
    await replaceWithLink(join(cwd, 'generated/k8s/alpha.yaml'), '/dev/zero');
    const r = await runCliCapture(['compile'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('k8s/alpha.yaml is a symbolic link');
  }, 20_000);
});

describe('symbolic links under the spec directories', () => {
  it('validate refuses a linked pipelines/ directory instead of printing frames of files outside', async () => {
    const cwd = await project({ 'README.md': 'x\n' });
    const dir = await outsideDir();
    await writeFile(join(dir, 'leak.yaml'), `apiVersion: pipewright.dev/v1\n${MARKER}: [\n`);
    await symlink(dir, join(cwd, 'pipelines'));
    for (const command of ['validate', 'compile', 'check']) {
      const r = await runCliCapture([command], { cwd });
      expect(r.code, command).not.toBe(0);
      expect(r.stdout + r.stderr).not.toContain(MARKER);
      expect(r.stderr).toContain('pipelines is a symbolic link');
    }
  });

  it('validate refuses a linked spec file or directory inside pipelines/, even one pointing inside', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    await symlink(join(cwd, 'pipelines/a.yaml'), join(cwd, 'pipelines/b.yaml'));
    const r = await runCliCapture(['validate'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pipelines/b.yaml is a symbolic link');

    await rm(join(cwd, 'pipelines/b.yaml'));
    const dir = await outsideDir();
    await writeFile(join(dir, 'leak.yaml'), `${MARKER}: [\n`);
    await symlink(dir, join(cwd, 'pipelines/more'));
    const linked = await runCliCapture(['validate'], { cwd });
    expect(linked.code).toBe(1);
    expect(linked.stdout + linked.stderr).not.toContain(MARKER);
    expect(linked.stderr).toContain('pipelines/more is a symbolic link');
  });

  it('validate refuses a spec file named on the command line that is a link', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    await mkdir(join(cwd, 'more'));
    await symlink(await secretOutside(), join(cwd, 'more/x.yaml'));
    const r = await runCliCapture(['validate', 'more/x.yaml'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(MARKER);
    expect(r.stderr).toContain('more/x.yaml is a symbolic link');
    expect(await files(cwd, 'pipelines')).toEqual({ 'pipelines/a.yaml': pipelineSpec('alpha') });
  });
});
