import { mkdir, mkdtemp, readdir, realpath, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSpecPath } from '../../src/watch/filter.js';
import { SpecSnapshot } from '../../src/watch/snapshot.js';

async function walk(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    for (const entry of await readdir(p, { withFileTypes: true, recursive: true })) {
      const full = join(entry.parentPath, entry.name);
      if (entry.isFile() && isSpecPath(full)) out.push(full);
    }
  }
  return out.sort();
}

describe('SpecSnapshot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-snap-')));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('turns event paths into content changes: touch is nothing, edits, adds and removes are', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    await writeFile(a, 'a: 1\n');
    const snap = new SpecSnapshot(walk);
    snap.record(a, 'a: 1\n');

    const later = new Date(Date.now() + 5000);
    await utimes(a, later, later);
    expect(await snap.changes({ paths: [a], all: false }, [dir])).toEqual([]);

    await writeFile(a, 'a: 2\n');
    await writeFile(b, 'b: 1\n');
    expect(await snap.changes({ paths: [a, b], all: false }, [dir])).toEqual([
      { path: a, kind: 'changed', source: 'a: 2\n' },
      { path: b, kind: 'added', source: 'b: 1\n' },
    ]);

    // atomic save: write a temporary file, rename it over the spec — same content is no change
    await writeFile(join(dir, 'a.yaml.tmp'), 'a: 2\n');
    await rename(join(dir, 'a.yaml.tmp'), a);
    expect(await snap.changes({ paths: [a], all: false }, [dir])).toEqual([]);

    await rm(b);
    expect(await snap.changes({ paths: [b], all: false }, [dir])).toEqual([{ path: b, kind: 'removed' }]);
    expect(snap.paths()).toEqual([a]);
  });

  it('a directory event re-checks known specs under it and discovers new ones', async () => {
    await mkdir(join(dir, 'team'));
    const old = join(dir, 'team', 'old.yaml');
    const snap = new SpecSnapshot(walk);
    snap.record(old, 'x');
    const fresh = join(dir, 'team', 'new.yml');
    await writeFile(fresh, 'n: 1\n');
    expect(await snap.changes({ paths: [join(dir, 'team')], all: false }, [dir])).toEqual([
      { path: fresh, kind: 'added', source: 'n: 1\n' },
      { path: old, kind: 'removed' },
    ]);
  });

  it('ignores paths outside the roots and non-spec files', async () => {
    const snap = new SpecSnapshot(walk);
    await writeFile(join(dir, 'x.txt'), 'x');
    expect(
      await snap.changes({ paths: ['/elsewhere/a.yaml', join(dir, 'x.txt')], all: false }, [join(dir, 'sub')]),
    ).toEqual([]);
  });

  it('all: re-checks everything under the roots', async () => {
    const snap = new SpecSnapshot(walk);
    await writeFile(join(dir, 'a.yaml'), 'a');
    expect(await snap.changes({ paths: [], all: true }, [dir])).toEqual([
      { path: join(dir, 'a.yaml'), kind: 'added', source: 'a' },
    ]);
  });
});
