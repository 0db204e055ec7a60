import { mkdir, mkdtemp, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverSpecFiles, readSpecInput } from '../../src/emit/project.js';
import { SpecScope } from '../../src/watch/filter.js';
import { displayPath } from '../../src/watch/incremental.js';
import type { NativeWatch } from '../../src/watch/native-watcher.js';
import { type PromptWatcher, watchPromptly } from '../../src/watch/prompt-watcher.js';
import { startSession, type WatchSession } from '../../src/watch/session.js';
import { specReader } from '../../src/watch/snapshot.js';
import { RecordingEngine, waitFor } from './helpers.js';

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

describe('a native session with the prompt watcher (real files, native deliveries under the test’s control)', () => {
  let dir: string;
  let session: WatchSession | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('a save is rebuilt from the early notice; the native report of it is a quiet re-read; a save the prompt watcher cannot hear still comes through the native watcher', async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-prompt-session-')));
    const specs = join(dir, 'pipelines');
    const team = join(specs, 'team');
    await mkdir(team, { recursive: true });
    const a = join(specs, 'a.yaml');
    const b = join(team, 'b.yaml');
    await writeFile(a, 'v: 0\n');
    await writeFile(b, 'w: 0\n');
    // the native watcher delivers only what the test passes on (as if its 50 ms window never ended)
    let deliver: ((error: Error | null, paths: string[]) => void) | undefined;
    const native: NativeWatch = async (_root, onEvents) => {
      deliver = onEvents;
      return { unsubscribe: async () => {} };
    };
    // saves by rename (one event for the spec's name): a plain write's truncation could be read as a separate empty moment
    const save = async (path: string, text: string) => {
      await writeFile(`${path}.tmp`, text);
      await rename(`${path}.tmp`, path);
    };
    const engine = new RecordingEngine();
    const sources = () => engine.calls.slice(1).map((c) => c.changes.map((x) => x.input?.source));
    const batches: number[] = [];
    session = startSession({
      scope: new SpecScope([specs], [], [join(dir, 'generated')]),
      engine,
      discover: discoverSpecFiles,
      read: specReader((path) => readSpecInput(path, displayPath(dir, path))),
      native,
    });
    session.on('batch', (e) => batches.push(e.changes));
    await session.ready;
    expect(session.backend).toBe('native');

    // the spec directory (the root) is watched from the start: the save is heard without any native delivery
    await save(a, 'v: 1\n');
    await waitFor(() => (sources().length === 1 ? true : undefined), 'the early rebuild');
    await session.idle();
    expect(sources()).toEqual([['v: 1\n']]);
    expect(batches).toEqual([1]);
    // the native watcher's report of the same save: read again, nothing changed, nothing reported
    deliver!(null, [a]);
    await new Promise((r) => setTimeout(r, 50));
    await session.idle();
    expect(sources()).toEqual([['v: 1\n']]);
    expect(batches).toEqual([1]);

    // a subdirectory is not watched until a save is reported there: only the native delivery brings this one
    await save(b, 'w: 1\n');
    await new Promise((r) => setTimeout(r, 100));
    await session.idle();
    expect(sources()).toEqual([['v: 1\n']]);
    deliver!(null, [b]);
    await waitFor(() => (sources().length === 2 ? true : undefined), 'the native report of team/b.yaml');
    // from now on team/ is watched too
    await save(b, 'w: 2\n');
    await waitFor(() => (sources().length === 3 ? true : undefined), 'the early rebuild in team/');
    expect(sources()).toEqual([['v: 1\n'], ['w: 1\n'], ['w: 2\n']]);
    expect(batches).toEqual([1, 1, 1]);
  });
});
