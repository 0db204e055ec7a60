import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryRepo } from '../../bench/history.mjs';
import { TestRepo } from './repo.js';

/**
 * changelog parses spec blobs on worker threads (--jobs, src/history/spec-blob-worker.ts) as users run it: the built
 * CLI in a real process (the worker script exists only in dist/). Whatever the number of threads, with or without
 * the blob cache, the same bytes on stdout and stderr.
 */
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => {
  expect(existsSync(CLI), 'dist/cli.js (run `npm run build` first)').toBe(true);
});

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

function run(
  cwd: string,
  args: string[],
  cacheHome: string,
): Pick<SpawnSyncReturns<string>, 'status' | 'stdout' | 'stderr'> {
  const r = spawnSync(process.execPath, [CLI, 'changelog', ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', XDG_CACHE_HOME: cacheHome },
    timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('changelog --jobs', () => {
  it('prints the same bytes on one thread, on two, by default and from the cache', () => {
    const dir = join(temp('pw-changelog-jobs-'), 'repo');
    // 80 commits over 12 specs: more blobs than PARALLEL_MIN_BLOBS, so the default uses worker threads too
    createHistoryRepo(dir, { seed: 11, specs: 12, tasks: 4, commits: 80 });
    const repo = new TestRepo(dir);
    repo.commit('break one spec', { 'pipelines/broken.yaml': 'apiVersion: pipewright.dev/v1\nkind: Pipeline\n' });
    for (const format of ['json', 'markdown']) {
      const one = run(dir, ['--format', format, '--jobs', '1', '--no-cache'], temp('pw-cache-'));
      expect(one.status).toBe(0);
      expect(one.stderr).toContain('not a valid spec at this commit');
      expect(one.stdout.length).toBeGreaterThan(1000);
      expect(run(dir, ['--format', format, '--jobs', '2', '--no-cache'], temp('pw-cache-'))).toEqual(one);
      if (format === 'markdown') continue;
      expect(run(dir, ['--format', format, '--no-cache'], temp('pw-cache-'))).toEqual(one);
      const home = temp('pw-cache-');
      expect(run(dir, ['--format', format, '--jobs', '2'], home)).toEqual(one);
      expect(run(dir, ['--format', format, '--jobs', '2'], home)).toEqual(one);
    }
  });

  it('rejects a --jobs that is not a whole number ≥ 1 (exit 2)', () => {
    const dir = join(temp('pw-changelog-jobs-'), 'repo');
    createHistoryRepo(dir, { seed: 3, specs: 2, tasks: 2, commits: 3 });
    for (const bad of ['0', 'two']) {
      const r = run(dir, ['--jobs', bad], temp('pw-cache-'));
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--jobs');
      expect(r.stdout).toBe('');
    }
  });
});
