import { mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileAndWrite } from '../../src/emit/project.js';
import { writeOutputs } from '../../src/emit/write.js';
import type { TargetName } from '../../src/targets/target.js';
import type { BatchEvent, RebuildEvent, WatchSession } from '../../src/watch/session.js';
import { startWatch } from '../../src/watch/watch.js';
import { tree, waitFor } from './helpers.js';
import { spec } from './specs.js';

describe('watch on the real compile pipeline (real chokidar, real files)', () => {
  let cwd: string;
  let specs: string;
  let out: string;
  let session: WatchSession | undefined;
  let rebuilds: RebuildEvent[];
  let batches: BatchEvent[];
  let writes: string[][];

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'pw-watch-')));
    specs = join(cwd, 'pipelines');
    out = join(cwd, 'generated');
    await mkdir(specs);
    await writeFile(join(specs, 'orders.yaml'), spec('daily-orders'));
    await writeFile(join(specs, 'users.yaml'), spec('users-sync'));
    rebuilds = [];
    batches = [];
    writes = [];
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await rm(cwd, { recursive: true, force: true });
  });

  const start = async (options: { debounceMs?: number; targets?: TargetName[] } = {}) => {
    session = startWatch({
      cwd,
      ...options,
      // compile's writer, observed: every call's written paths are recorded
      write: async (dir, files, opts) => {
        const report = await writeOutputs(dir, files, opts);
        writes.push(report.written);
        return report;
      },
    });
    session.on('rebuild', (e) => rebuilds.push(e)).on('batch', (e) => batches.push(e));
    return session.ready;
  };
  const nextRebuild = (n: number) => waitFor(() => rebuilds[n], `rebuild #${n}`);

  it('the initial build writes exactly what `pipewright compile` writes', async () => {
    const initial = await start();
    expect(initial.initial).toBe(true);
    expect(initial.rebuilt).toEqual(['daily-orders', 'users-sync']);
    expect(initial.failing).toEqual([]);
    const watched = await tree(out);
    await session!.close();
    await rm(out, { recursive: true });
    const compiled = await compileAndWrite({
      paths: ['pipelines'],
      cwd,
      out: 'generated',
      targets: ['compose', 'k8s', 'gitlab'],
    });
    expect(compiled.write).toBeDefined();
    expect(await tree(out)).toEqual(watched);
    expect(Object.keys(watched)).toContain('compose/daily-orders.compose.yaml');
    expect(initial.written).toEqual(Object.keys(watched).filter((p) => p !== '.pipewright-manifest.json'));
  });

  it('an edit rewrites only the edited pipeline’s outputs, and they equal a fresh compile', async () => {
    await start();
    await writeFile(join(specs, 'orders.yaml'), spec('daily-orders', '1.0.1'));
    const event = await nextRebuild(1);
    expect(event.changed).toEqual(['pipelines/orders.yaml']);
    expect(event.rebuilt).toEqual(['daily-orders']);
    expect(event.written.length).toBeGreaterThan(0);
    // only the pipeline's own files: the GitLab parent lists pipelines and trigger settings, which did not change
    expect(event.written).toEqual([
      'compose/daily-orders.compose.yaml',
      'gitlab/daily-orders.gitlab-ci.yml',
      'index/daily-orders.json',
      'k8s/daily-orders.yaml',
    ]);
    expect(event.removed).toEqual([]);
    const watched = await tree(out);
    await session!.close();
    await rm(out, { recursive: true });
    await compileAndWrite({ paths: ['pipelines'], cwd, out: 'generated', targets: ['compose', 'k8s', 'gitlab'] });
    expect(await tree(out)).toEqual(watched);
  });

  it('edits that change what the GitLab parent lists relink it; every step equals a fresh compile', async () => {
    await start();
    const fresh = async () => {
      const watched = await tree(out);
      const scratch = await realpath(await mkdtemp(join(tmpdir(), 'pw-watch-fresh-')));
      try {
        await mkdir(join(scratch, 'pipelines'));
        for (const name of await readdir(specs))
          await writeFile(join(scratch, 'pipelines', name), await readFile(join(specs, name), 'utf8'));
        await compileAndWrite({
          paths: ['pipelines'],
          cwd: scratch,
          out: 'generated',
          targets: ['compose', 'k8s', 'gitlab'],
        });
        expect(watched).toEqual(await tree(join(scratch, 'generated')));
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    };
    const parent = 'gitlab/pipelines.gitlab-ci.yml';
    const steps: { source: string; parentWritten: boolean }[] = [
      // task-only edit: the parent is untouched (the previous link is reused)
      { source: spec('daily-orders', '1.0.1'), parentWritten: false },
      // a schedule: the parent's trigger rules change
      {
        source: spec('daily-orders', '1.0.1').replace('spec:\n', 'spec:\n  schedule: "0 5 * * *"\n'),
        parentWritten: true,
      },
      // concurrency 2 (default 1): the parent's job loses its resource group
      {
        source: spec('daily-orders', '1.0.1').replace('spec:\n', 'spec:\n  schedule: "0 5 * * *"\n  concurrency: 2\n'),
        parentWritten: true,
      },
      // another task edit after those: reused again
      {
        source: spec('daily-orders', '1.0.2').replace('spec:\n', 'spec:\n  schedule: "0 5 * * *"\n  concurrency: 2\n'),
        parentWritten: false,
      },
      // a renamed pipeline: old files removed, parent relinked
      { source: spec('orders-daily', '1.0.2'), parentWritten: true },
    ];
    for (const [i, step] of steps.entries()) {
      await writeFile(join(specs, 'orders.yaml'), step.source);
      const event = await nextRebuild(i + 1);
      expect(event.failing).toEqual([]);
      expect([i, event.written.includes(parent)]).toEqual([i, step.parentWritten]);
      await fresh();
    }
  });

  it('an invalid edit keeps the last good output in place; fixing it recompiles', async () => {
    await start();
    const good = await tree(out);
    const file = join(specs, 'orders.yaml');
    await writeFile(file, spec('daily-orders').replace('needs: [extract]', 'needs: [extrakt]'));
    const broken = await nextRebuild(1);
    expect(broken.failing).toEqual(['pipelines/orders.yaml']);
    expect(broken.rebuilt).toEqual([]);
    expect(broken.written).toEqual([]);
    expect(broken.removed).toEqual([]);
    expect(broken.fresh.map((d) => [d.file, d.code, d.range.start.line])).toEqual([
      ['pipelines/orders.yaml', 'PW201', 14],
    ]);
    expect(broken.sources.get('pipelines/orders.yaml')).toContain('extrakt');
    expect(await tree(out)).toEqual(good);

    // the other pipeline still updates while this one is broken
    await writeFile(join(specs, 'users.yaml'), spec('users-sync', '2.0.0'));
    const other = await nextRebuild(2);
    expect(other.rebuilt).toEqual(['users-sync']);
    expect(other.failing).toEqual(['pipelines/orders.yaml']);
    expect(other.fresh).toEqual([]); // the broken file did not change: its diagnostics are not repeated
    expect(other.diagnostics.map((d) => d.code)).toEqual(['PW201']);
    const during = await tree(out);
    for (const [path, text] of Object.entries(good)) if (path.includes('daily-orders')) expect(during[path]).toBe(text);

    await writeFile(file, spec('daily-orders', '1.0.2'));
    const fixed = await nextRebuild(3);
    expect(fixed.failing).toEqual([]);
    expect(fixed.rebuilt).toEqual(['daily-orders']);
    expect(fixed.diagnostics).toEqual([]);
    expect(await readFile(join(out, 'compose', 'daily-orders.compose.yaml'), 'utf8')).toContain('etl:1.0.2');
  });

  it('an atomic save (write a temporary file, rename it over the spec) is a modification', async () => {
    await start();
    await writeFile(join(specs, '.orders.yaml.tmp'), spec('daily-orders', '3.0.0'));
    await rename(join(specs, '.orders.yaml.tmp'), join(specs, 'orders.yaml'));
    const event = await nextRebuild(1);
    expect(event.changed).toEqual(['pipelines/orders.yaml']);
    expect(event.rebuilt).toEqual(['daily-orders']);
    expect(event.removed).toEqual([]);
    expect(await readFile(join(out, 'compose', 'daily-orders.compose.yaml'), 'utf8')).toContain('etl:3.0.0');
  });

  it('renaming a spec file is a modification of the same pipeline (no removal)', async () => {
    await start();
    await rename(join(specs, 'orders.yaml'), join(specs, 'daily-orders.yaml'));
    const event = await waitFor(
      () =>
        rebuilds.find(
          (e) => e.changed.includes('pipelines/daily-orders.yaml') && e.changed.includes('pipelines/orders.yaml'),
        ),
      'the rename rebuild',
    );
    expect(event.removed).toEqual([]);
    expect(event.deleted).toEqual([]);
    expect(event.failing).toEqual([]);
    expect(await readFile(join(out, 'compose', 'daily-orders.compose.yaml'), 'utf8')).toContain(
      'pipelines/daily-orders.yaml',
    );
  });

  it('deleting a spec removes its generated files and keeps the manifest consistent', async () => {
    await start();
    const before = Object.keys(await tree(out));
    await rm(join(specs, 'users.yaml'));
    const event = await nextRebuild(1);
    expect(event.changed).toEqual(['pipelines/users.yaml']);
    expect(event.deleted).toEqual(['users-sync']);
    const usersFiles = before.filter((p) => p.includes('users-sync'));
    expect(usersFiles.length).toBeGreaterThan(0);
    expect(event.removed).toEqual(expect.arrayContaining(usersFiles));
    const after = await tree(out);
    expect(Object.keys(after).filter((p) => p.includes('users-sync'))).toEqual([]);
    const manifest = JSON.parse(after['.pipewright-manifest.json']!) as { files: Record<string, string> };
    expect(Object.keys(manifest.files).sort()).toEqual(
      Object.keys(after)
        .filter((p) => p !== '.pipewright-manifest.json')
        .sort(),
    );
  });

  it('a new spec (in a new directory) is picked up', async () => {
    await start();
    await mkdir(join(specs, 'team'));
    await writeFile(join(specs, 'team', 'billing.yml'), spec('billing'));
    const event = await waitFor(() => rebuilds.find((e) => e.rebuilt.includes('billing')), 'the add rebuild');
    expect(event.changed).toEqual(['pipelines/team/billing.yml']);
    expect(await stat(join(out, 'compose', 'billing.compose.yaml'))).toBeTruthy();
  });

  it('a burst of 200 changes is exactly one rebuild', async () => {
    await start({ debounceMs: 300 });
    const files = Array.from({ length: 200 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    await Promise.all(files.map((n) => writeFile(join(specs, `${n}.yaml`), spec(n))));
    const event = await nextRebuild(1);
    await session!.idle();
    expect(rebuilds).toHaveLength(2);
    expect(event.changed).toHaveLength(200);
    expect(event.rebuilt).toEqual(files);
    expect(writes).toHaveLength(2);
  });

  it('a no-op touch (and an identical rewrite) causes no rebuild and no write', async () => {
    await start();
    const manifestPath = join(out, '.pipewright-manifest.json');
    const before = await stat(join(out, 'compose', 'daily-orders.compose.yaml'));
    const manifestBefore = await stat(manifestPath);
    const later = new Date(Date.now() + 10_000);
    await utimes(join(specs, 'orders.yaml'), later, later);
    await waitFor(() => batches[0], 'the touch batch');
    await writeFile(join(specs, 'orders.yaml'), spec('daily-orders'));
    await waitFor(() => batches[1], 'the rewrite batch');
    await session!.idle();
    expect(batches.map((b) => b.changes)).toEqual([0, 0]);
    expect(rebuilds).toHaveLength(1);
    expect(writes).toHaveLength(1);
    const after = await stat(join(out, 'compose', 'daily-orders.compose.yaml'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    const manifestAfter = await stat(manifestPath);
    expect([manifestAfter.ino, manifestAfter.mtimeMs]).toEqual([manifestBefore.ino, manifestBefore.mtimeMs]);
  });
});
