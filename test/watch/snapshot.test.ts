import { mkdir, mkdtemp, realpath, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverSpecFiles, readSpecInput } from '../../src/emit/project.js';
import { SpecScope } from '../../src/watch/filter.js';
import { displayPath } from '../../src/watch/incremental.js';
import { SpecSnapshot, specReader } from '../../src/watch/snapshot.js';

describe('SpecSnapshot', () => {
  let dir: string;
  let scope: SpecScope;
  const read = () => specReader((path) => readSpecInput(path, displayPath(dir, path)));
  const rel = (path: string) => displayPath(dir, path);
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-snap-')));
    scope = new SpecScope([dir], [], [join(dir, 'generated')]);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('turns event paths into content changes: touch is nothing, edits, adds and removes are', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    await writeFile(a, 'a: 1\n');
    const snap = new SpecSnapshot(scope, discoverSpecFiles, read());
    expect(await snap.changes({ paths: [], all: true })).toEqual([
      { path: a, kind: 'added', input: { file: rel(a), source: 'a: 1\n' } },
    ]);

    const later = new Date(Date.now() + 5000);
    await utimes(a, later, later);
    expect(await snap.changes({ paths: [a], all: false })).toEqual([]);

    await writeFile(a, 'a: 2\n');
    await writeFile(b, 'b: 1\n');
    expect(await snap.changes({ paths: [a, b], all: false })).toEqual([
      { path: a, kind: 'changed', input: { file: rel(a), source: 'a: 2\n' } },
      { path: b, kind: 'added', input: { file: rel(b), source: 'b: 1\n' } },
    ]);

    // atomic save: write a temporary file, rename it over the spec — same content is no change
    await writeFile(join(dir, 'a.yaml.tmp'), 'a: 2\n');
    await rename(join(dir, 'a.yaml.tmp'), a);
    expect(await snap.changes({ paths: [a], all: false })).toEqual([]);

    await rm(b);
    expect(await snap.changes({ paths: [b], all: false })).toEqual([{ path: b, kind: 'removed' }]);
    expect(snap.paths()).toEqual([a]);
  });

  it('a directory event re-checks known specs under it and discovers new ones; a removed directory removes its specs', async () => {
    await mkdir(join(dir, 'team'));
    const old = join(dir, 'team', 'old.yaml');
    await writeFile(old, 'o: 1\n');
    const snap = new SpecSnapshot(scope, discoverSpecFiles, read());
    await snap.changes({ paths: [], all: true });
    await rm(old);
    const fresh = join(dir, 'team', 'new.yml');
    await writeFile(fresh, 'n: 1\n');
    expect(await snap.changes({ paths: [join(dir, 'team')], all: false })).toEqual([
      { path: fresh, kind: 'added', input: { file: rel(fresh), source: 'n: 1\n' } },
      { path: old, kind: 'removed' },
    ]);
    await rm(join(dir, 'team'), { recursive: true });
    expect(await snap.changes({ paths: [join(dir, 'team')], all: false })).toEqual([{ path: fresh, kind: 'removed' }]);
  });

  it("follows compile's discovery: no hidden directories, node_modules, output directory, editor temp files", async () => {
    for (const sub of ['.git', 'node_modules', 'generated', 'ok']) await mkdir(join(dir, sub));
    const paths = [
      join(dir, '.git', 'x.yaml'),
      join(dir, 'node_modules', 'x.yaml'),
      join(dir, 'generated', 'x.yaml'),
      join(dir, 'ok', '.#x.yaml'),
      join(dir, 'ok', 'x.yaml~'),
      join(dir, 'ok', 'notes.txt'),
      join(dir, 'ok', 'x.yaml'),
    ];
    for (const p of paths) await writeFile(p, 'x: 1\n');
    const snap = new SpecSnapshot(scope, discoverSpecFiles, read());
    const expected = [
      { path: join(dir, 'ok', 'x.yaml'), kind: 'added', input: { file: 'ok/x.yaml', source: 'x: 1\n' } },
    ];
    expect(await snap.changes({ paths, all: false })).toEqual(expected);
    await rm(join(dir, 'ok', 'x.yaml'));
    expect((await snap.changes({ paths: [], all: true })).map((c) => c.kind)).toEqual(['removed']);
    await writeFile(join(dir, 'ok', 'x.yaml'), 'x: 1\n');
    expect(await snap.changes({ paths: [], all: true })).toEqual(expected);
  });

  it('a file compile refuses (not UTF-8) is an input with its rejection; edits that keep it refused are no change', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, Buffer.from([0xff, 0x0a]));
    const snap = new SpecSnapshot(scope, discoverSpecFiles, read());
    const [first] = await snap.changes({ paths: [bad], all: false });
    expect(first?.input?.rejected?.diagnostics.map((d) => d.code)).toEqual(['PW001']);
    await writeFile(bad, Buffer.from([0xfe, 0xff, 0x0a]));
    expect(await snap.changes({ paths: [bad], all: false })).toEqual([]);
  });

  it('a file named explicitly is in scope whatever its name; its siblings are not', async () => {
    const named = join(dir, 'pipeline.conf');
    await writeFile(named, 'x: 1\n');
    await writeFile(join(dir, 'sibling.yaml'), 'y: 1\n');
    const snap = new SpecSnapshot(new SpecScope([], [named], []), discoverSpecFiles, read());
    expect(await snap.changes({ paths: [], all: true })).toEqual([
      { path: named, kind: 'added', input: { file: rel(named), source: 'x: 1\n' } },
    ]);
    expect(await snap.changes({ paths: [join(dir, 'sibling.yaml'), dir], all: false })).toEqual([]);
  });
});
