import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from './repo.js';
import { baseSpec, clone, specYaml } from './specs.js';

describe('pipewright diff on a real repository', () => {
  const repo = new TestRepo();
  let c1 = '';
  let c2 = '';
  beforeAll(() => {
    c1 = repo.commit('add orders', { 'pipelines/orders.yaml': specYaml(baseSpec('orders')) });
    const next = clone(baseSpec('orders'));
    next.spec.tasks.extract.retries = 4;
    next.metadata.version = '1.0.1';
    c2 = repo.commit('more retries', { 'pipelines/orders.yaml': specYaml(next) });
  });
  afterAll(() => repo.remove());

  it('prints the text report', async () => {
    const r = await runCliCapture(['diff', c1, c2], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tasks.extract.retries: 3 → 4');
  });

  it('json', async () => {
    const r = await runCliCapture(['diff', c1, c2, '--format', 'json'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pipelines[0]).toMatchObject({ name: 'orders', status: 'modified', requiredBump: 'patch', policy: 'ok' });
  });

  it('refuses a hostile rev without creating a file', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'pw-out-')), 'x');
    const r = await runCliCapture(['diff', '--', `--output=${target}`, 'HEAD'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('looks like an option');
    expect(existsSync(target)).toBe(false);
  });
});
