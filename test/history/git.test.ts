import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryError } from '../../src/history/errors.js';
import { GitRepo } from '../../src/history/git.js';
import { checkRevArgument } from '../../src/history/revs.js';
import { TestRepo } from './repo.js';

describe('git access on a real repository', () => {
  const repo = new TestRepo();
  let first = '';
  let second = '';
  let merge = '';
  beforeAll(() => {
    first = repo.commit('first', {
      'pipelines/a.yaml': 'a: 1\n',
      'pipelines/dir with space/ünï cödé.yaml': 'u: 1\n',
      README: 'x',
    });
    second = repo.commit('second', { 'pipelines/a.yaml': 'a: 2\n', README: 'y' });
    repo.commit('docs only', { README: 'z' });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.commit('feature edit', { 'pipelines/b.yaml': 'b: 1\n' });
    repo.git('checkout', '-q', 'main');
    repo.commit('main edit', { 'pipelines/a.yaml': null });
    repo.git('merge', '-q', '--no-ff', '-m', 'merge feature', 'feature');
    merge = repo.head();
  });
  afterAll(() => repo.remove());

  it('resolves revisions to full SHAs', async () => {
    const git = await GitRepo.open(join(repo.dir, 'pipelines'));
    expect(await git.resolveCommit('HEAD')).toBe(merge);
    expect(await git.resolveCommit(first.slice(0, 8))).toBe(first);
    expect(await git.resolveCommit('main~3')).toBe(second);
  });

  it('refuses option-looking, multi-line and range revisions before running git', async () => {
    const git = await GitRepo.open(repo.dir);
    const target = join(mkdtempSync(join(tmpdir(), 'pw-hostile-')), 'x');
    for (const rev of [`--output=${target}`, '-h', 'HEAD\n--output=/tmp/y', 'HEAD~1..HEAD', 'a\0b', '']) {
      await expect(git.resolveCommit(rev)).rejects.toBeInstanceOf(HistoryError);
    }
    expect(existsSync(target)).toBe(false);
    await expect(git.resolveCommit('no-such-branch')).rejects.toThrow("unknown revision 'no-such-branch'");
    await expect(git.resolveCommit('HEAD^{tree}')).rejects.toThrow('unknown revision');
    expect(checkRevArgument('--output=/tmp/x')).toContain('looks like an option');
  });

  it('lists files at a revision with odd paths intact', async () => {
    const git = await GitRepo.open(repo.dir);
    const files = await git.listFiles(first, 'pipelines');
    expect(files.map((f) => f.path)).toEqual(['pipelines/a.yaml', 'pipelines/dir with space/ünï cödé.yaml']);
    const reader = git.openBlobReader();
    try {
      const contents = await Promise.all(files.map((f) => reader.read(f.blob)));
      expect(contents.map((c) => c?.toString('utf8'))).toEqual(['a: 1\n', 'u: 1\n']);
      expect(await reader.read('0'.repeat(40))).toBeUndefined();
    } finally {
      await reader.close();
    }
  });

  it('walks only first-parent commits touching the directory, merges compared to their first parent', async () => {
    const git = await GitRepo.open(repo.dir);
    const log = await git.firstParentLog(undefined, merge, 'pipelines');
    expect(log.map((c) => c.subject)).toEqual(['first', 'second', 'main edit', 'merge feature']);
    expect(log[0]).toMatchObject({
      sha: first,
      parent: undefined,
      author: 'Test Author',
      email: 'author@example.com',
      date: '2024-01-01T10:00:00+00:00',
    });
    expect(log[3]?.changes).toEqual([
      { path: 'pipelines/b.yaml', status: 'A', blob: expect.stringMatching(/^[0-9a-f]{40}$/) },
    ]);
    expect(log[2]?.changes).toEqual([{ path: 'pipelines/a.yaml', status: 'D', blob: undefined }]);
    expect((await git.firstParentLog(second, merge, 'pipelines')).map((c) => c.subject)).toEqual([
      'main edit',
      'merge feature',
    ]);
  });

  it('frames large and many blob replies from one cat-file process', async () => {
    const big = `${'line with\nnewlines and 0 1 2 '.repeat(20_000)}end`;
    const sha = repo.commit('big blob', { 'pipelines/big.yaml': big, 'pipelines/empty.yaml': '' });
    const git = await GitRepo.open(repo.dir);
    const files = await git.listFiles(sha, 'pipelines');
    const reader = git.openBlobReader();
    try {
      // Interleave: many concurrent requests, each reply must go to its own request.
      const ids = [...files, ...files, ...files].map((f) => f.blob);
      const replies = await Promise.all(ids.map((id) => reader.read(id)));
      const byPath = new Map(files.map((f) => [f.blob, f.path]));
      replies.forEach((content, i) => {
        const path = byPath.get(ids[i]!)!;
        if (path.endsWith('big.yaml')) expect(content?.toString('utf8')).toBe(big);
        if (path.endsWith('empty.yaml')) expect(Buffer.isBuffer(content) && content.length).toBe(0);
      });
      await expect(reader.read('HEAD')).rejects.toThrow('not a full object id');
      await expect(reader.read(sha)).rejects.toThrow('is a commit, not a blob');
      const first = await reader.read(files[0]!.blob);
      expect(Buffer.isBuffer(first) && first.length).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
    await expect(reader.read(files[0]!.blob)).rejects.toThrow();
  });

  it('refuses a pipelines directory outside the repository', async () => {
    const git = await GitRepo.open(repo.dir);
    expect(() => git.repoPath(repo.dir, '../elsewhere')).toThrow('is outside the repository');
    expect(git.repoPath(join(repo.dir, 'pipelines'), '.')).toBe('pipelines');
  });

  it('works on a detached HEAD', async () => {
    const clone = new TestRepo(mkdtempSync(join(tmpdir(), 'pw-detached-')));
    try {
      clone.git('clone', '-q', repo.dir, '.');
      clone.git('checkout', '-q', '--detach', second);
      const git = await GitRepo.open(clone.dir);
      expect(await git.resolveCommit('HEAD')).toBe(second);
      await git.assertNotShallow();
    } finally {
      clone.remove();
    }
  });

  it('refuses a shallow clone with the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-shallow-'));
    try {
      const shallow = new TestRepo(dir);
      shallow.git('clone', '-q', '--depth', '1', `file://${repo.dir}`, '.');
      const git = await GitRepo.open(dir);
      await expect(git.assertNotShallow()).rejects.toThrow(/shallow clone.*git fetch --unshallow.*GIT_DEPTH: 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the directory is not a repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-norepo-'));
    try {
      await expect(GitRepo.open(dir)).rejects.toThrow('is not inside a git working tree');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
