import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from './repo.js';
import { baseSpec, clone, specYaml } from './specs.js';

// changelog keeps each parsed spec blob in the user's cache directory: here a throwaway one.
const homes: string[] = [];
const repos: TestRepo[] = [];
afterAll(async () => {
  for (const r of repos) r.remove();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

function home(): { XDG_CACHE_HOME: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-changelog-cache-'));
  homes.push(dir);
  return { XDG_CACHE_HOME: dir };
}

/** A history with releases, an unreleased change, a move, a removal, an invalid spec and its fix. */
function history(): TestRepo {
  const repo = new TestRepo();
  repos.push(repo);
  const orders = baseSpec('orders');
  repo.commit('add', {
    'pipelines/orders.yaml': specYaml(orders),
    'pipelines/refunds.yaml': specYaml(baseSpec('refunds')),
    'pipelines/gone.yaml': specYaml(baseSpec('gone')),
  });
  const v2 = clone(orders);
  v2.metadata.version = '1.1.0';
  v2.spec.tasks.load!.outputs = ['warehouse://analytics.orders'];
  repo.commit('release orders', { 'pipelines/orders.yaml': specYaml(v2) });
  const unreleased = clone(v2);
  unreleased.spec.tasks.extract!.retries = 5;
  repo.commit('tune orders', { 'pipelines/orders.yaml': specYaml(unreleased) });
  repo.commit('move refunds', {
    'pipelines/refunds.yaml': null,
    'pipelines/finance/refunds.yaml': specYaml(baseSpec('refunds')),
  });
  repo.commit('break gone', { 'pipelines/gone.yaml': 'apiVersion: pipewright.dev/v1\nkind: Pipeline\nmetadata: {}\n' });
  repo.commit('remove gone', { 'pipelines/gone.yaml': null });
  // the same content as an earlier commit: a blob seen before
  repo.commit('revert tune', { 'pipelines/orders.yaml': specYaml(v2) });
  return repo;
}

describe('changelog with the persistent blob cache', () => {
  it('prints the same bytes cold, warm and without the cache', async () => {
    const repo = history();
    const env = home();
    for (const format of ['json', 'markdown']) {
      const argv = ['changelog', '--format', format];
      const uncached = await runCliCapture([...argv, '--no-cache'], { cwd: repo.dir, env });
      const cold = await runCliCapture(argv, { cwd: repo.dir, env: home() });
      const warm1 = await runCliCapture(argv, { cwd: repo.dir, env });
      const warm2 = await runCliCapture(argv, { cwd: repo.dir, env });
      expect(uncached.code).toBe(0);
      expect(uncached.stderr).toContain('not a valid spec at this commit');
      for (const run of [cold, warm1, warm2]) expect(run).toEqual(uncached);
    }
    const entries = readdirSync(join(env.XDG_CACHE_HOME, 'pipewright', 'history-v1'));
    expect(entries.length).toBeGreaterThan(0);
  });

  it('ignores entries it did not seal: a forged parse changes nothing', async () => {
    const repo = history();
    const env = home();
    const argv = ['changelog', '--format', 'json'];
    const expected = await runCliCapture(argv, { cwd: repo.dir, env });
    // Every entry now claims version 9.9.9 and no problem, under a MAC of zeros.
    const dir = join(env.XDG_CACHE_HOME, 'pipewright', 'history-v1');
    let forged = 0;
    for (const sub of readdirSync(dir))
      for (const name of readdirSync(join(dir, sub))) {
        const file = join(dir, sub, name);
        const json = readFileSync(file, 'utf8').split('\n', 2)[1]!;
        const value = JSON.parse(json);
        if (value.ir) value.ir.version = '9.9.9';
        delete value.problem;
        writeFileSync(file, `${'0'.repeat(64)}\n${JSON.stringify(value)}`);
        forged++;
      }
    expect(forged).toBeGreaterThan(0);
    const after = await runCliCapture(argv, { cwd: repo.dir, env });
    expect(after).toEqual(expected);
    expect(after.stdout).not.toContain('9.9.9');
  });
});
