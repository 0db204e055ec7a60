import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobReader } from '../../src/history/blob-reader.js';
import { GitRepo } from '../../src/history/git.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from './repo.js';
import { baseSpec, clone, specYaml } from './specs.js';

/** Blobs of a whole command go through one `git cat-file --batch` process (observed, not mocked: spies call through). */
describe('one cat-file process per command', () => {
  const repo = new TestRepo();
  beforeAll(() => {
    const files: Record<string, string> = {};
    for (const name of ['a', 'b', 'c', 'd']) files[`pipelines/${name}.yaml`] = specYaml(baseSpec(name));
    repo.commit('four pipelines', files);
    for (let i = 1; i <= 3; i++) {
      const next = clone(baseSpec('a'));
      next.metadata.version = `1.0.${i}`;
      repo.commit(`a ${i}`, { 'pipelines/a.yaml': specYaml(next) });
    }
  });
  afterAll(() => {
    repo.remove();
    vi.restoreAllMocks();
  });

  it.each([
    // a at both sides, and b, c, d once (unchanged: summarised from one side; no cache directory in this env)
    [['diff', 'HEAD~3', 'HEAD'], 5],
    [['changelog', '--format', 'json'], 7],
  ])('%j', async (argv, blobs) => {
    const open = vi.spyOn(GitRepo.prototype, 'openBlobReader');
    const read = vi.spyOn(BlobReader.prototype, 'read');
    const close = vi.spyOn(BlobReader.prototype, 'close');
    const r = await runCliCapture(argv, { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(open).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
    expect(read).toHaveBeenCalledTimes(blobs);
    open.mockRestore();
    read.mockRestore();
    close.mockRestore();
  });
});
