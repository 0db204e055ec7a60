/**
 * Issue 11 item 4 (git blob reading): a blob is read in time and memory linear in its size, and a blob over the spec
 * size cap is never buffered — the cap is decided from the size in `git cat-file --batch`'s header, before the
 * content arrives, and the content is skipped as it streams. `diff` then reports PW008 for such a spec.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BlobReader } from '../../src/history/blob-reader.js';
import { MAX_SPEC_BYTES } from '../../src/spec/load.js';
import { pipelineSpec } from '../cli/compile-support.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';

const repos: TestRepo[] = [];
afterAll(() => {
  for (const r of repos) r.remove();
});

function repoWith(files: Record<string, string>): { repo: TestRepo; sha: string } {
  const repo = new TestRepo();
  repos.push(repo);
  const sha = repo.commit('specs', files);
  return { repo, sha };
}

const blobOf = (repo: TestRepo, sha: string, path: string) => repo.git('rev-parse', `${sha}:${path}`).trim();

describe('BlobReader', () => {
  it('reads a multi-megabyte blob without re-copying what it already buffered (linear, not one concat per chunk)', async () => {
    const big = `${'x'.repeat(1023)}\n`.repeat(1000); // ~1 MB, under the cap: read in full
    const { repo, sha } = repoWith({ 'pipelines/big.yaml': big });
    const concat = vi.spyOn(Buffer, 'concat');
    const reader = new BlobReader(repo.dir);
    try {
      const content = await reader.read(blobOf(repo, sha, 'pipelines/big.yaml'));
      expect(Buffer.isBuffer(content) && content.toString('utf8') === big).toBe(true);
      const copied = concat.mock.calls.reduce(
        (n, [parts]) => n + (parts as Buffer[]).reduce((m, p) => m + p.length, 0),
        0,
      );
      expect(copied).toBeLessThan(big.length);
    } finally {
      concat.mockRestore();
      await reader.close();
    }
  });

  it('does not buffer a blob over the cap: it answers with its size, and the next reply is still right', async () => {
    const huge = `${'y'.repeat(1023)}\n`.repeat(8 * 1024); // 8 MiB
    const { repo, sha } = repoWith({ 'pipelines/huge.yaml': huge, 'pipelines/a.yaml': pipelineSpec('alpha') });
    const concat = vi.spyOn(Buffer, 'concat');
    const alloc = vi.spyOn(Buffer, 'allocUnsafe');
    const reader = new BlobReader(repo.dir);
    try {
      const [tooBig, small] = await Promise.all([
        reader.read(blobOf(repo, sha, 'pipelines/huge.yaml')),
        reader.read(blobOf(repo, sha, 'pipelines/a.yaml')),
      ]);
      expect(tooBig).toEqual({ tooLarge: huge.length });
      expect(Buffer.isBuffer(small) && small.toString('utf8')).toBe(pipelineSpec('alpha'));
      const buffered = [...concat.mock.calls.map(([parts]) => (parts as Buffer[]).reduce((m, p) => m + p.length, 0))];
      const allocated = alloc.mock.calls.map(([n]) => n as number);
      expect(Math.max(0, ...buffered, ...allocated)).toBeLessThan(MAX_SPEC_BYTES);
    } finally {
      concat.mockRestore();
      alloc.mockRestore();
      await reader.close();
    }
  });
});

describe('diff with a huge spec in history', () => {
  it('reports PW008 for the oversized spec and diffs the others', async () => {
    const repo = new TestRepo();
    repos.push(repo);
    const base = repo.commit('base', { 'pipelines/a.yaml': pipelineSpec('alpha') });
    const huge = `# ${'z'.repeat(1021)}\n`.repeat(3 * 1024);
    repo.commit('huge', { 'pipelines/huge.yaml': huge });
    const r = await runCliCapture(['diff', base, 'HEAD'], { cwd: repo.dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('huge.yaml');
    expect(r.stderr).toContain('PW008');
    expect(r.stderr).toContain(`file is 3,145,728 bytes`);
  });
});
