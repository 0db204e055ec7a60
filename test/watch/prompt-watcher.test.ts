import { mkdir, mkdtemp, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PromptWatcher, watchPromptly } from '../../src/watch/prompt-watcher.js';
import { waitFor } from './helpers.js';

describe('the prompt watcher (real fs.watch, real files)', () => {
  let dir: string;
  let prompt: PromptWatcher | undefined;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-prompt-')));
  });
  afterEach(async () => {
    prompt?.close();
    prompt = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('hears writes, atomic renames and deletions in the directories it watches, and nothing after close', async () => {
    const seen = new Set<string>();
    prompt = watchPromptly({ onPath: (p) => seen.add(p) });
    prompt.add(dir);
    const a = join(dir, 'a.yaml');
    await writeFile(a, 'v: 1\n');
    await waitFor(() => (seen.has(a) ? true : undefined), 'the write');
    seen.clear();
    await writeFile(join(dir, 'a.yaml.tmp'), 'v: 2\n');
    await rename(join(dir, 'a.yaml.tmp'), a);
    await waitFor(() => (seen.has(a) ? true : undefined), 'the atomic rename save');
    seen.clear();
    await rm(a);
    await waitFor(() => (seen.has(a) ? true : undefined), 'the deletion');
    prompt.close();
    seen.clear();
    await writeFile(a, 'v: 3\n');
    // a sentinel watched by a second prompt watcher proves the event had time to arrive
    const other = watchPromptly({ onPath: (p) => seen.add(p) });
    other.add(dir);
    await writeFile(join(dir, 'sentinel.yaml'), 'x: 1\n');
    await waitFor(() => (seen.has(join(dir, 'sentinel.yaml')) ? true : undefined), 'the sentinel');
    other.close();
    expect(seen.has(a)).toBe(false);
  });

  it('watches at most maxDirs directories, dropping the least recently used; a missing directory is skipped', async () => {
    const dirs = ['d1', 'd2', 'd3'].map((d) => join(dir, d));
    for (const d of dirs) await mkdir(d);
    const seen = new Set<string>();
    prompt = watchPromptly({ onPath: (p) => seen.add(p), maxDirs: 2 });
    prompt.add(dirs[0]!);
    prompt.add(dirs[1]!);
    prompt.add(dirs[0]!); // used again: d2 is now the least recently used
    prompt.add(dirs[2]!);
    expect(prompt.dirs).toEqual([dirs[0], dirs[2]]);
    prompt.add(join(dir, 'missing'));
    expect(prompt.dirs).toEqual([dirs[0], dirs[2]]);
    await writeFile(join(dirs[1]!, 'x.yaml'), 'x: 1\n');
    await writeFile(join(dirs[2]!, 'x.yaml'), 'x: 1\n');
    await waitFor(() => (seen.has(join(dirs[2]!, 'x.yaml')) ? true : undefined), 'the write in d3');
    expect(seen.has(join(dirs[1]!, 'x.yaml'))).toBe(false);
  });

  it('drops the watch of a directory that was deleted; adding it again after it is recreated watches the new one', async () => {
    const sub = join(dir, 'sub');
    await mkdir(sub);
    const seen = new Set<string>();
    prompt = watchPromptly({ onPath: (p) => seen.add(p) });
    prompt.add(sub);
    await rm(sub, { recursive: true });
    await waitFor(() => (prompt!.dirs.length === 0 ? true : undefined), 'the dropped watch');
    await mkdir(sub);
    prompt.add(sub);
    await writeFile(join(sub, 'a.yaml'), 'v: 1\n');
    await waitFor(() => (seen.has(join(sub, 'a.yaml')) ? true : undefined), 'a write in the recreated directory');
  });
});
