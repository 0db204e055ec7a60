import { mkdir, mkdtemp, open, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverSpecFiles, readSpecInput } from '../../src/emit/project.js';
import type { RebuildReport } from '../../src/watch/engine.js';
import { SpecScope } from '../../src/watch/filter.js';
import { type DirectoryWatcher, exhaustionHint, watchDirectories } from '../../src/watch/fs-watcher.js';
import { displayPath } from '../../src/watch/incremental.js';
import { loadNativeWatch, type NativeWatch, nativeErrorCode } from '../../src/watch/native-watcher.js';
import { startSession, type WatchSession } from '../../src/watch/session.js';
import { type SpecChange, specReader } from '../../src/watch/snapshot.js';
import { RecordingEngine, waitFor } from './helpers.js';

const noop = () => {};

describe('the native watcher (real @parcel/watcher, real files)', () => {
  let dir: string;
  let watcher: DirectoryWatcher | undefined;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-native-')));
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('is installed with a binary for this platform', async () => {
    expect(await loadNativeWatch()).toBeTypeOf('function');
  });

  it('reports bursts, renames, deletes and atomic saves; never editor temp files or the output directory', async () => {
    const specs = join(dir, 'pipelines');
    const out = join(dir, 'generated');
    await mkdir(join(specs, 'team'), { recursive: true });
    await mkdir(out);
    await writeFile(join(specs, 'a.yaml'), 'a: 1\n');
    const seen = new Set<string>();
    watcher = watchDirectories({
      roots: [dir],
      ignored: new SpecScope([dir], [], [out]).ignored(),
      excluded: [out],
      onPath: (path) => seen.add(path),
      onExhausted: noop,
      onRescan: noop,
      onError: (e) => {
        throw e;
      },
    });
    await watcher.ready;
    expect(watcher.backend).toBe('native');
    const sentinel = async (name: string) => {
      await writeFile(join(specs, name), 'z: 1\n');
      await waitFor(() => (seen.has(join(specs, name)) ? true : undefined), `event of ${name}`);
    };

    // a burst: every file is reported (coalescing never drops the last event of a file)
    const burst = Array.from({ length: 100 }, (_, i) => join(specs, 'team', `p${i}.yaml`));
    await Promise.all(burst.map((p, i) => writeFile(p, `n: ${i}\n`)));
    await waitFor(() => (burst.every((p) => seen.has(p)) ? true : undefined), 'every file of the burst');

    // vim-style atomic save: swap file, write probe, backup, then the new content renamed over the spec
    seen.clear();
    await writeFile(join(specs, '.a.yaml.swp'), 'swap');
    await writeFile(join(specs, '4913'), '');
    await rm(join(specs, '4913'));
    await writeFile(join(specs, 'a.yaml~'), 'a: 1\n');
    await writeFile(join(specs, 'a.yaml.tmp'), 'a: 2\n');
    await rename(join(specs, 'a.yaml.tmp'), join(specs, 'a.yaml'));
    await writeFile(join(specs, 'notes.txt'), 'not a spec');
    await writeFile(join(out, 'k8s.yaml'), 'ours: 1\n');
    await sentinel('s1.yaml');
    expect(seen.has(join(specs, 'a.yaml'))).toBe(true);
    for (const ignored of ['.a.yaml.swp', '4913', 'a.yaml~', 'a.yaml.tmp', 'notes.txt'])
      expect(seen.has(join(specs, ignored))).toBe(false);
    expect([...seen].some((p) => p.startsWith(out))).toBe(false);

    // rename: both names are reported
    seen.clear();
    await rename(join(specs, 'a.yaml'), join(specs, 'b.yaml'));
    await waitFor(
      () => (seen.has(join(specs, 'a.yaml')) && seen.has(join(specs, 'b.yaml')) ? true : undefined),
      'both sides of the rename',
    );

    // deleting a directory of specs: the directory (or its specs) is reported
    seen.clear();
    await rm(join(specs, 'team'), { recursive: true });
    await waitFor(
      () => (seen.has(join(specs, 'team')) || seen.has(burst[0]!) ? true : undefined),
      'the deleted directory',
    );
  });

  it('falls back to chokidar when the native watcher cannot start, saying why', async () => {
    const failing: NativeWatch = async () => {
      throw new Error('no backend here');
    };
    const reasons: string[] = [];
    const seen: string[] = [];
    watcher = watchDirectories({
      roots: [dir],
      ignored: new SpecScope([dir], [], []).ignored(),
      native: failing,
      onPath: (path) => seen.push(path),
      onExhausted: noop,
      onRescan: noop,
      onError: noop,
      onFallback: (reason) => reasons.push(reason),
    });
    await watcher.ready;
    expect(watcher.backend).toBe('chokidar');
    expect(reasons).toEqual([expect.stringContaining('no backend here')]);
    await writeFile(join(dir, 'p.yaml'), 'a: 1\n');
    await waitFor(() => (seen.includes(join(dir, 'p.yaml')) ? true : undefined), 'event from chokidar');
  });

  it('falls back to polling with the sysctl hint when inotify watches run out, at start or later', async () => {
    // @parcel/watcher reports inotify failures as strerror text, not as codes
    const atStart: NativeWatch = async () => {
      throw new Error(`inotify_add_watch on '${dir}' failed: No space left on device`);
    };
    const hints: string[] = [];
    watcher = watchDirectories({
      roots: [dir],
      ignored: new SpecScope([dir], [], []).ignored(),
      native: atStart,
      pollIntervalMs: 50,
      onPath: noop,
      onExhausted: (hint) => hints.push(hint),
      onRescan: noop,
      onError: noop,
    });
    await watcher.ready;
    expect(watcher.backend).toBe('polling');
    expect(hints).toEqual([exhaustionHint('ENOSPC')]);
    await watcher.close();

    // later: the subscription works, then reports EMFILE; the session switches to polling and re-checks everything
    let report: ((error: Error | null, paths: string[]) => void) | undefined;
    let unsubscribed = 0;
    const later: NativeWatch = async (_root, onEvents) => {
      report = onEvents;
      return {
        unsubscribe: async () => {
          unsubscribed++;
        },
      };
    };
    const seen: string[] = [];
    let rescans = 0;
    hints.length = 0;
    watcher = watchDirectories({
      roots: [dir],
      ignored: new SpecScope([dir], [], []).ignored(),
      native: later,
      pollIntervalMs: 50,
      onPath: (path) => seen.push(path),
      onExhausted: (hint) => hints.push(hint),
      onRescan: () => rescans++,
      onError: noop,
    });
    await watcher.ready;
    expect(watcher.backend).toBe('native');
    report!(null, [join(dir, 'x.yaml')]);
    expect(seen).toEqual([join(dir, 'x.yaml')]);
    report!(new Error('Too many open files'), []);
    await waitFor(() => (rescans > 0 ? true : undefined), 'rescan after the switch');
    expect(hints).toEqual([exhaustionHint('EMFILE')]);
    expect(unsubscribed).toBe(1);
    expect(watcher.backend).toBe('polling');
    await writeFile(join(dir, 'p.yaml'), 'a: 1\n');
    await waitFor(() => (seen.includes(join(dir, 'p.yaml')) ? true : undefined), 'event from the polling watcher');
  });

  it('recognises exhaustion in native error messages', () => {
    expect(nativeErrorCode(new Error("inotify_add_watch on '/x' failed: No space left on device"))).toBe('ENOSPC');
    expect(nativeErrorCode(new Error('Unable to initialize inotify: Too many open files'))).toBe('EMFILE');
    expect(nativeErrorCode(new Error('something else'))).toBeUndefined();
  });
});

/** Blocks the first rebuild after the initial build until released. */
class SlowEngine extends RecordingEngine {
  #release: (() => void) | undefined;
  started: Promise<void>;
  #started!: () => void;
  constructor() {
    super();
    this.started = new Promise((r) => {
      this.#started = r;
    });
  }
  release() {
    this.#release?.();
  }
  override async apply(changes: SpecChange[], initial: boolean): Promise<RebuildReport> {
    const report = await super.apply(changes, initial);
    if (!initial && this.calls.length === 2) {
      this.#started();
      await new Promise<void>((r) => {
        this.#release = r;
      });
    }
    return report;
  }
}

describe('a session on the native watcher (real files)', () => {
  let dir: string;
  let session: WatchSession | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  /** A project with one spec, `pipelines/a.yaml` (`v: 0`). */
  const project = async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-native-session-')));
    const specs = join(dir, 'pipelines');
    await mkdir(specs);
    const a = join(specs, 'a.yaml');
    await writeFile(a, 'v: 0\n');
    return { specs, a };
  };
  const start = (specs: string, engine: RecordingEngine, native?: NativeWatch, prompt?: boolean) =>
    startSession({
      scope: new SpecScope([specs], [], [join(dir, 'generated')]),
      engine,
      discover: discoverSpecFiles,
      read: specReader((path) => readSpecInput(path, displayPath(dir, path))),
      ...(native ? { native } : {}),
      ...(prompt !== undefined ? { prompt } : {}),
    });

  it('never loses a save: rapid rewrites of one file, during a rebuild, end with the last content rebuilt', async () => {
    const { specs, a } = await project();
    const engine = new SlowEngine();
    session = start(specs, engine);
    await session.ready;
    expect(session.backend).toBe('native');
    await writeFile(a, 'v: 1\n');
    await engine.started; // the rebuild of v: 1 is running now
    // saves while it runs: several within a few milliseconds (what chokidar would drop), one an atomic rename
    for (let i = 2; i <= 6; i++) await writeFile(a, `v: ${i}\n`);
    await writeFile(join(specs, 'a.yaml.tmp'), 'v: 7\n');
    await rename(join(specs, 'a.yaml.tmp'), a);
    engine.release();
    await waitFor(
      () => (engine.calls.some((c) => c.changes.some((x) => x.input?.source === 'v: 7\n')) ? true : undefined),
      'the last save rebuilt',
    );
    await session.idle();
    const last = engine.calls
      .flatMap((c) => c.changes)
      .filter((c) => c.path === a)
      .at(-1);
    expect(last?.input?.source).toBe('v: 7\n');
    expect(await readFile(a, 'utf8')).toBe('v: 7\n');
  });

  it('a save by truncate-then-write is one change: the empty moment never reaches the engine; a file left empty does', async () => {
    const { specs, a } = await project();
    const engine = new RecordingEngine();
    const calls = () => engine.calls.map((c) => c.changes);
    session = start(specs, engine);
    await session.ready;
    // a writer descheduled between the truncation and the write (as on a loaded machine)
    const handle = await open(a, 'w');
    await new Promise((r) => setTimeout(r, 40));
    await handle.writeFile('v: 1\n');
    await handle.close();
    await waitFor(
      () =>
        calls()
          .flat()
          .some((c) => c.input?.source === 'v: 1\n')
          ? true
          : undefined,
      'the save',
    );
    await new Promise((r) => setTimeout(r, 200));
    await session.idle();
    expect(
      calls()
        .slice(1)
        .flat()
        .map((c) => c.input?.source),
    ).toEqual(['v: 1\n']);

    // emptied for good: counted once the re-check still reads it empty
    await writeFile(a, '');
    await waitFor(
      () =>
        calls()
          .flat()
          .some((c) => c.input?.source === '')
          ? true
          : undefined,
      'the empty file',
    );
    expect(
      calls()
        .slice(1)
        .flat()
        .map((c) => c.input?.source),
    ).toEqual(['v: 1\n', '']);
  });

  it('re-reads every reported path after the native delivery window: a change whose events were coalesced away is still seen', async () => {
    const { specs, a } = await project();
    // a native watcher under the test's control: it delivers only what the test passes on (as @parcel/watcher
    // delivers nothing for a create followed by a delete in one window)
    let deliver: ((error: Error | null, paths: string[]) => void) | undefined;
    const native: NativeWatch = async (_root, onEvents) => {
      deliver = onEvents;
      return { unsubscribe: async () => {} };
    };
    const engine = new RecordingEngine();
    const calls = () => engine.calls.map((c) => c.changes);
    const batches: number[] = [];
    // without the prompt watcher, which would hear the deletion itself (src/watch/prompt-watcher.ts)
    session = start(specs, engine, native, false);
    session.on('batch', (b) => batches.push(b.changes));
    await session.ready;
    expect(session.backend).toBe('native');
    await writeFile(a, 'v: 1\n');
    deliver!(null, [a]);
    await waitFor(() => (calls().length >= 2 ? true : undefined), 'the edit');
    await rm(a); // no event delivered for this one
    await waitFor(
      () =>
        calls()
          .flat()
          .some((c) => c.kind === 'removed')
          ? true
          : undefined,
      'the removal, from the re-check',
    );
    expect(
      calls()
        .slice(1)
        .map((c) => c.map((x) => x.kind)),
    ).toEqual([['changed'], ['removed']]);
    // a re-check that finds nothing new is not reported as a batch
    expect(batches).toEqual([1, 1]);
  });

  it('with the prompt watcher (src/watch/prompt-watcher.ts) a save is rebuilt from its early notice; the native report of it is a quiet re-read; a save the prompt watcher cannot hear still comes through the native watcher', async () => {
    const { specs, a } = await project();
    const team = join(specs, 'team');
    await mkdir(team);
    const b = join(team, 'b.yaml');
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
    session = start(specs, engine, native);
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
