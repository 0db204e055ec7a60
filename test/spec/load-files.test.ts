import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics/diagnostic.js';
import { discoverSpecs, loadSpecFiles } from '../../src/spec/discover.js';
import { MAX_SPEC_BYTES } from '../../src/spec/load.js';

let root: string;
let outside: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pw-discover-'));
  outside = mkdtempSync(join(tmpdir(), 'pw-outside-'));
  const write = (rel: string, text = 'a: 1\n') => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write('pipelines/b.yaml');
  write('pipelines/a.yml');
  write('pipelines/notes.txt');
  write('pipelines/nested/deep/c.YAML');
  write('pipelines/.hidden/x.yaml');
  write('pipelines/node_modules/y.yaml');
  write('pipelines/big.yaml', `a: "${'x'.repeat(MAX_SPEC_BYTES)}"\n`);
  writeFileSync(join(root, 'pipelines', 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
  write('empty/readme.md');
  writeFileSync(join(outside, 'secret.yaml'), 'a: 1\n');
  mkdirSync(join(root, 'linked'));
  writeFileSync(join(root, 'linked', 'ok.yaml'), 'a: 1\n');
  symlinkSync(join(outside, 'secret.yaml'), join(root, 'linked', 'escape.yaml'));
  symlinkSync(outside, join(root, 'linked', 'escape-dir'));
  symlinkSync(join(root, 'linked', 'ok.yaml'), join(root, 'linked', 'z-link.yaml'));
  symlinkSync(join(root, 'linked'), join(root, 'linked', 'loop'));
  symlinkSync(join(root, 'linked'), join(root, 'linked', '.hidden-link'));
  symlinkSync(join(root, 'pipelines'), join(root, 'pipelines-link'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('discoverSpecs', () => {
  it('walks directories recursively for *.yaml/*.yml, sorted, POSIX paths relative to cwd', async () => {
    const found = await discoverSpecs(['pipelines'], root);
    expect(found.map((f) => f.file)).toEqual([
      'pipelines/a.yml',
      'pipelines/b.yaml',
      'pipelines/big.yaml',
      'pipelines/latin1.yaml',
      'pipelines/nested/deep/c.YAML',
    ]);
  });

  it('refuses every symbolic link under a spec directory (inside or outside, file, directory or loop), naming each', async () => {
    const error = await discoverSpecs(['linked'], root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    const lines = (error as Error).message.split('\n').map((l) => l.split(' is a symbolic link')[0]);
    expect(lines).toEqual(['linked/escape-dir', 'linked/escape.yaml', 'linked/loop', 'linked/z-link.yaml']);
  });

  it('refuses a spec path that is, or lies below, a symbolic link', async () => {
    await expect(discoverSpecs(['pipelines-link'], root)).rejects.toThrow(/^pipelines-link is a symbolic link/);
    await expect(discoverSpecs(['pipelines-link/b.yaml'], root)).rejects.toThrow(/^pipelines-link is a symbolic link/);
  });

  it('takes named files as given and de-duplicates', async () => {
    const found = await discoverSpecs(['pipelines/notes.txt', 'pipelines/b.yaml', './pipelines/b.yaml'], root);
    expect(found.map((f) => f.file)).toEqual(['pipelines/b.yaml', 'pipelines/notes.txt']);
  });

  it('throws a UserError for a missing path or a directory without specs', async () => {
    await expect(discoverSpecs(['nope'], root)).rejects.toThrow(new UserError('no such file or directory: nope'));
    await expect(discoverSpecs(['empty'], root)).rejects.toThrow('no *.yaml or *.yml files in empty');
  });
});

describe('loadSpecFiles', () => {
  it('checks the size before reading and rejects non-UTF-8 bytes', async () => {
    const docs = await loadSpecFiles(['pipelines/big.yaml', 'pipelines/latin1.yaml', 'pipelines/a.yml'], root);
    expect(docs.map((d) => [d.file, d.diagnostics.map((x) => `${x.code} ${x.message}`)])).toEqual([
      ['pipelines/a.yml', []],
      ['pipelines/big.yaml', ['PW008 file is 1,048,582 bytes; the limit is 1,048,576 bytes (1 MiB)']],
      ['pipelines/latin1.yaml', ['PW001 file is not valid UTF-8: save it as UTF-8']],
    ]);
    expect(docs[0]?.value).toEqual({ a: 1 });
  });
});
