import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobCache } from '../../src/history/blob-cache.js';
import type { BlobReader } from '../../src/history/blob-reader.js';
import { buildChangelog } from '../../src/history/changelog.js';
import { GitRepo } from '../../src/history/git.js';
import { runCliCapture } from '../helpers/cli.js';
import { bucketFiles, rewriteEntries, rotateEntries, storedEntries } from './cache-entries.js';
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
    expect(storedEntries(env.XDG_CACHE_HOME).length).toBeGreaterThan(0);
  });

  it('ignores entries it did not seal: a forged parse changes nothing', async () => {
    const repo = history();
    const env = home();
    const argv = ['changelog', '--format', 'json'];
    const expected = await runCliCapture(argv, { cwd: repo.dir, env });
    // Every entry now claims version 9.9.9 and no problem, under a MAC of zeros.
    const forged = rewriteEntries(env.XDG_CACHE_HOME, (e) => {
      const value = JSON.parse(e.json);
      // a head claiming another version, a pair claiming another change
      if (value.head) value.head.version = '9.9.9';
      if (Array.isArray(value)) for (const c of value) c.after = '9.9.9';
      if (!Array.isArray(value)) delete value.problem;
      return { id: e.id, seal: '0'.repeat(64), json: JSON.stringify(value) };
    });
    expect(forged).toBeGreaterThan(0);
    const after = await runCliCapture(argv, { cwd: repo.dir, env });
    expect(after).toEqual(expected);
    expect(after.stdout).not.toContain('9.9.9');
  });
});

/** buildChangelog over the whole history with the cache of `env` (none when undefined), counting blob reads. */
async function walk(repo: TestRepo, env: { XDG_CACHE_HOME: string } | undefined, version = 'test-build') {
  const git = await GitRepo.open(repo.dir);
  const real = git.openBlobReader();
  const reads: string[] = [];
  const reader = {
    read: (id: string) => {
      reads.push(id);
      return real.read(id);
    },
  } as unknown as BlobReader;
  const cache = env ? await BlobCache.open({ env, version }) : undefined;
  if (env) expect(cache).toBeDefined();
  try {
    const changelog = await buildChangelog(git, reader, {
      from: undefined,
      to: repo.head(),
      dir: 'pipelines',
      ...(cache ? { cache } : {}),
    });
    return { changelog, reads };
  } finally {
    await real.close();
  }
}

describe('changelog cache entries: heads per blob, changes per blob pair', () => {
  it('a second run reads no blob; a new commit reads only its blob and the one it is compared with', async () => {
    const repo = history();
    const env = home();
    const uncached = await walk(repo, undefined);
    const cold = await walk(repo, env);
    expect(cold.changelog).toEqual(uncached.changelog);
    expect(cold.reads.length).toBeGreaterThan(5);
    const warm = await walk(repo, env);
    expect(warm.changelog).toEqual(uncached.changelog);
    expect(warm.reads).toEqual([]);

    // a spec change: its new blob misses; the pair (previous blob, new blob) misses, so the previous one is re-read
    const next = baseSpec('orders');
    next.metadata.version = '2.0.0';
    next.spec.tasks.extract!.retries = 7;
    repo.commit('orders 2.0.0', { 'pipelines/orders.yaml': specYaml(next) });
    const blob = (rev: string) => repo.git('rev-parse', `${rev}:pipelines/orders.yaml`).trim();
    const after = await walk(repo, env);
    expect(after.changelog).toEqual((await walk(repo, undefined)).changelog);
    expect(after.reads.sort()).toEqual([blob('HEAD'), blob('HEAD~1')].sort());
    expect(JSON.stringify(after.changelog)).toContain('2.0.0');
    expect((await walk(repo, env)).reads).toEqual([]);
  });

  it('another build of pipewright misses every entry', async () => {
    const repo = history();
    const env = home();
    const cold = await walk(repo, env);
    const other = await walk(repo, env, 'another-build');
    expect(other.reads.length).toBe(cold.reads.length);
    expect(other.changelog).toEqual(cold.changelog);
  });

  it('an entry copied onto another key does not verify: every blob is parsed again, output unchanged', async () => {
    const repo = history();
    const env = home();
    const expected = (await walk(repo, undefined)).changelog;
    const cold = await walk(repo, env);
    // each entry gets the (validly sealed) value of the next one: right MACs, wrong keys
    expect(rotateEntries(env.XDG_CACHE_HOME)).toBeGreaterThan(3);
    const poisoned = await walk(repo, env);
    expect(poisoned.changelog).toEqual(expected);
    expect(poisoned.reads.length).toBe(cold.reads.length);
    // the entries were rewritten: the next run is warm again
    expect((await walk(repo, env)).reads).toEqual([]);
  });

  it('--no-cache neither reads nor writes the cache', async () => {
    const repo = history();
    const fresh = home();
    const argv = ['changelog', '--format', 'json'];
    // --jobs 2 from the sources: no worker script here, so the parses stay on the main thread
    const uncached = await runCliCapture([...argv, '--no-cache', '--jobs', '2'], { cwd: repo.dir, env: fresh });
    expect(uncached.code).toBe(0);
    const dir = join(fresh.XDG_CACHE_HOME, 'pipewright', 'history-v1');
    expect(() => readdirSync(dir)).toThrow();
    // a poisoned cache (every entry claims another key's content) is not even looked at
    const env = home();
    await runCliCapture(argv, { cwd: repo.dir, env });
    rotateEntries(env.XDG_CACHE_HOME);
    const files = bucketFiles(env.XDG_CACHE_HOME);
    const before = files.map((f) => readFileSync(f, 'utf8'));
    expect(await runCliCapture([...argv, '--no-cache'], { cwd: repo.dir, env })).toEqual(uncached);
    expect(files.map((f) => readFileSync(f, 'utf8'))).toEqual(before);
  });
});

describe('changelog when a blob cannot be read', () => {
  it('fails with the reader error, after the parses have ended (no unhandled rejection)', async () => {
    const repo = history();
    const git = await GitRepo.open(repo.dir);
    const real = git.openBlobReader();
    let reads = 0;
    const reader = {
      read: (id: string) => (++reads === 3 ? Promise.reject(new Error('cat-file went away')) : real.read(id)),
    } as unknown as BlobReader;
    try {
      await expect(buildChangelog(git, reader, { from: undefined, to: repo.head(), dir: 'pipelines' })).rejects.toThrow(
        'cat-file went away',
      );
    } finally {
      await real.close();
    }
  });
});
