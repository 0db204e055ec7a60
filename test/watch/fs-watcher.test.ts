import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEditorTempFile, isSpecPath, SpecScope } from '../../src/watch/filter.js';
import {
  chokidarFactory,
  type DirectoryWatcher,
  exhaustionHint,
  type WatcherFactory,
  watchDirectories,
} from '../../src/watch/fs-watcher.js';
import { waitFor } from './helpers.js';

describe('spec path filter', () => {
  it.each([
    ['a.yaml', true],
    ['a.yml', true],
    ['A.YAML', true],
    ['a.json', false],
    ['.a.yaml.swp', false],
    ['.a.yaml.swx', false],
    ['a.yaml~', false],
    ['.#a.yaml', false],
    ['#a.yaml#', false],
    ['4913', false],
    ['a.yaml.tmp', false],
  ])('%s is a spec: %s', (name, expected) => {
    expect(isSpecPath(`/dir/${name}`)).toBe(expected);
  });

  it('recognises editor temp files', () => {
    expect(isEditorTempFile('/d/4913')).toBe(true);
    expect(isEditorTempFile('/d/orders.yaml')).toBe(false);
  });
});

describe('watchDirectories (real chokidar on a temp directory)', () => {
  let dir: string;
  let watcher: DirectoryWatcher | undefined;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'pw-fsw-')));
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('reports spec edits in nested directories, ignores temp files and the excluded output directory', async () => {
    await mkdir(join(dir, 'specs', 'team'), { recursive: true });
    await mkdir(join(dir, 'generated'), { recursive: true });
    const seen: string[] = [];
    watcher = watchDirectories({
      roots: [dir],
      ignored: new SpecScope([dir], [], [join(dir, 'generated')]).ignored(),
      onPath: (path) => seen.push(path),
      onExhausted: () => {},
      onRescan: () => {},
      onError: (e) => {
        throw e;
      },
    });
    await watcher.ready;
    await writeFile(join(dir, 'generated', 'x.yaml'), 'out: 1\n');
    await writeFile(join(dir, 'specs', 'team', '.a.yaml.swp'), 'swap');
    await writeFile(join(dir, 'specs', 'team', '4913'), '');
    await writeFile(join(dir, 'specs', 'team', 'notes.txt'), 'x');
    await writeFile(join(dir, 'specs', 'team', 'a.yaml'), 'a: 1\n');
    // a sentinel written last: once its event arrived, the events of the ignored files would have too
    await writeFile(join(dir, 'specs', 'z.yml'), 'z: 1\n');
    await waitFor(() => (seen.includes(join(dir, 'specs', 'z.yml')) ? true : undefined), 'sentinel event');
    const files = seen.filter((p) => !p.endsWith('team') && !p.endsWith('specs'));
    expect(new Set(files)).toEqual(new Set([join(dir, 'specs', 'team', 'a.yaml'), join(dir, 'specs', 'z.yml')]));
    expect(watcher.polling).toBe(false);
  });

  it('falls back to polling on ENOSPC (injected through the factory seam) and keeps reporting edits', async () => {
    // A real inotify exhaustion cannot be provoked safely on a shared machine: the injected factory creates real
    // chokidar watchers and makes the native one emit the error chokidar emits when fs.watch fails with ENOSPC.
    const created: { usePolling: boolean }[] = [];
    const factory: WatcherFactory = (paths, options) => {
      const w = chokidarFactory(paths, options);
      created.push({ usePolling: options.usePolling === true });
      if (!options.usePolling) {
        w.on('ready', () => {
          const error = Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
            code: 'ENOSPC',
          });
          (w as unknown as { emit(e: string, err: unknown): void }).emit('error', error);
        });
      }
      return w;
    };
    const hints: string[] = [];
    let rescans = 0;
    const seen: string[] = [];
    const errors: unknown[] = [];
    watcher = watchDirectories({
      roots: [dir],
      ignored: new SpecScope([dir], [], []).ignored(),
      factory,
      pollIntervalMs: 50,
      onPath: (path) => seen.push(path),
      onExhausted: (hint) => hints.push(hint),
      onRescan: () => rescans++,
      onError: (e) => errors.push(e),
    });
    await watcher.ready;
    await waitFor(() => (rescans > 0 ? true : undefined), 'rescan after fallback');
    expect(hints).toEqual([exhaustionHint('ENOSPC')]);
    expect(hints[0]).toContain('sysctl fs.inotify.max_user_watches=524288');
    expect(created).toEqual([{ usePolling: false }, { usePolling: true }]);
    expect(watcher.polling).toBe(true);
    await writeFile(join(dir, 'p.yaml'), 'a: 1\n');
    await waitFor(() => (seen.includes(join(dir, 'p.yaml')) ? true : undefined), 'event from the polling watcher');
    expect(errors).toEqual([]);
  });

  it('EMFILE hints at the open-file limit', () => {
    expect(exhaustionHint('EMFILE')).toContain('ulimit -n');
  });
});
