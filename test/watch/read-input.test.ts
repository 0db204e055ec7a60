import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileSources } from '../../src/emit/compile.js';
import { readSpecInput } from '../../src/emit/project.js';
import { MAX_SPEC_BYTES } from '../../src/spec/load.js';
import { TARGETS } from '../../src/targets/target.js';
import { spec } from './specs.js';

/** readSpecInput: the per-file reader compile and watch share (added to src/emit/project.ts for the watch engine). */
describe('readSpecInput + compileSources on rejected files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-read-')));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads UTF-8 text as is', async () => {
    await writeFile(join(dir, 'a.yaml'), spec('a'));
    expect(await readSpecInput(join(dir, 'a.yaml'), 'pipelines/a.yaml')).toEqual({
      file: 'pipelines/a.yaml',
      source: spec('a'),
    });
  });

  it('rejects non-UTF-8 bytes with PW001 and oversized files with PW008, and compile reports exactly that', async () => {
    await writeFile(join(dir, 'bin.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    await writeFile(join(dir, 'big.yaml'), `a: "${'x'.repeat(MAX_SPEC_BYTES)}"\n`);
    const bin = await readSpecInput(join(dir, 'bin.yaml'), 'p/bin.yaml');
    const big = await readSpecInput(join(dir, 'big.yaml'), 'p/big.yaml');
    expect(bin.source).toBe('');
    expect(big.source).toBe('');
    const result = compileSources([bin, big], { targets: TARGETS, outDir: 'generated' });
    expect(result.diagnostics.map((d) => [d.file, d.code, d.range.start.line])).toEqual([
      ['p/big.yaml', 'PW008', 1],
      ['p/bin.yaml', 'PW001', 1],
    ]);
    expect(result.diagnostics[1]?.message).toBe('file is not valid UTF-8: save it as UTF-8');
    expect(result.files.size).toBe(0);
  });

  it('throws the fs error for a file that is gone', async () => {
    await expect(readSpecInput(join(dir, 'nope.yaml'), 'nope.yaml')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
