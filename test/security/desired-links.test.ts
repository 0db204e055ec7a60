/**
 * Issue 11 item 1 for `plan`/`apply`: the desired state read from generated/k8s goes through the same link-refusing
 * reader as check — a link there (even to a byte-identical copy outside the project, or to /dev/zero) is refused
 * before anything is opened.
 */
import { copyFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/reconcile/load-desired.js';
import { pipelineSpec, project, removeProjects } from '../cli/compile-support.js';
import { runCliCapture } from '../helpers/cli.js';
import { outsideDir, removeOutside } from './support.js';

afterAll(async () => {
  await removeProjects();
  await removeOutside();
});

describe('desired state of plan/apply', () => {
  it('refuses generated/k8s files that are links, also to identical bytes outside the project or /dev/zero', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    expect((await runCliCapture(['compile'], { cwd })).code).toBe(0);
    const file = join(cwd, 'generated/k8s/alpha.yaml');
    const copy = join(await outsideDir(), 'alpha.yaml');
    await copyFile(file, copy);
    await rm(file);
    await symlink(copy, file);
    const options = { cwd, out: 'generated', specPaths: ['pipelines'] };
    await expect(loadDesired(options)).rejects.toThrow(/generated\/k8s\/alpha\.yaml is a symbolic link/);
    await rm(file);
    await symlink('/dev/zero', file);
    await expect(loadDesired(options)).rejects.toThrow(/generated\/k8s\/alpha\.yaml is a symbolic link/);
  }, 20_000);
});
