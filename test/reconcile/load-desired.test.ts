/**
 * The staleness check of plan/apply with compile's cache (src/reconcile/load-desired.ts): outputs the cache vouches
 * for by file metadata are not read, and yet every way a generated file or spec can differ from what compile writes
 * is still refused — an edit that keeps size and mtime, an edited spec, a cache copied with the project or made under
 * another machine key — with the cache and with --no-cache. Pure file-system tests: no cluster is contacted.
 */
import { mkdtempSync } from 'node:fs';
import { cp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPILE_CACHE_PATH } from '../../src/emit/compile-cache.js';
import { compileAndWrite } from '../../src/emit/project.js';
import { hashValue } from '../../src/model/hash.js';
import { DESIRED_CACHE_DIR } from '../../src/reconcile/desired-cache.js';
import { type LoadDesiredOptions, loadDesired } from '../../src/reconcile/load-desired.js';
import { desiredHash, placeObject } from '../../src/reconcile/normalize.js';
import { TARGETS } from '../../src/targets/target.js';
import { pipelineSpec, project, removeProjects } from '../cli/compile-support.js';

// the machine-local key lives in a throwaway user cache directory, never the developer's
const KEY_HOME = mkdtempSync(join(tmpdir(), 'pw-load-desired-key-'));
const OTHER_KEY_HOME = mkdtempSync(join(tmpdir(), 'pw-load-desired-key-'));
const ENV = { XDG_CACHE_HOME: KEY_HOME };

afterAll(async () => {
  await removeProjects();
  await rm(KEY_HOME, { recursive: true, force: true });
  await rm(OTHER_KEY_HOME, { recursive: true, force: true });
});

const SPECS = {
  'pipelines/a.yaml': pipelineSpec('alpha'),
  'pipelines/b.yaml': pipelineSpec('beta', { schedule: '@daily' }),
};

async function compiled(): Promise<string> {
  const cwd = await project(SPECS);
  const r = await compileAndWrite({
    paths: ['pipelines'],
    cwd,
    out: 'generated',
    targets: TARGETS,
    useCache: true,
    env: ENV,
  });
  expect(r.write).toBeDefined();
  return cwd;
}

const options = (cwd: string, extra: Partial<LoadDesiredOptions> = {}): LoadDesiredOptions => ({
  cwd,
  out: 'generated',
  specPaths: ['pipelines'],
  useCache: true,
  env: ENV,
  placeNamespace: 'team-a',
  ...extra,
});

/** A whole-second mtime, so that a test can put it back exactly after a rewrite. */
const WHEN = new Date('2024-01-01T00:00:00Z');

/**
 * Give alpha's output the whole-second mtime and let a plan's staleness check record its metadata (after the ctime
 * tick has passed: compile-cache.ts records only settled files), and check that it did.
 */
async function learnMetadata(cwd: string, env: Record<string, string> = ENV): Promise<void> {
  const file = join(cwd, 'generated/k8s/alpha.yaml');
  await utimes(file, WHEN, WHEN);
  await sleep(120);
  await loadDesired(options(cwd, { env }));
  const cache = JSON.parse(await readFile(join(cwd, COMPILE_CACHE_PATH), 'utf8')) as {
    entries: Record<string, { outputs: { path: string; stat?: string }[] }>;
  };
  const recorded = Object.values(cache.entries)
    .flatMap((e) => e.outputs)
    .find((o) => o.path === 'k8s/alpha.yaml');
  const st = await stat(file, { bigint: true });
  expect(recorded?.stat).toBe(`${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
  expect(st.mtimeNs).toBe(BigInt(WHEN.getTime()) * 1_000_000n);
}

/** Rewrite alpha's output to other bytes of the same size, its mtime put back: only ctime (and the bytes) tell. */
async function editKeepingSizeAndMtime(cwd: string): Promise<void> {
  const file = join(cwd, 'generated/k8s/alpha.yaml');
  const before = await stat(file, { bigint: true });
  const text = await readFile(file, 'utf8');
  const edited = text.replace('alpine:3.20', 'alpine:6.66');
  expect(edited).not.toBe(text);
  expect(BigInt(Buffer.byteLength(edited))).toBe(before.size);
  await writeFile(file, edited);
  await utimes(file, WHEN, WHEN);
  const after = await stat(file, { bigint: true });
  expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
}

describe('plan/apply staleness check with the compile cache', () => {
  it('gives the objects and desired hashes of a full read and parse, also from the caches on a second run', async () => {
    const cwd = await compiled();
    const full = await loadDesired(options(cwd, { useCache: false }));
    const first = await loadDesired(options(cwd));
    expect(first.files).toEqual(full.files);
    expect(first.desired).toEqual(full.desired);
    // the second run takes objects and hashes from the desired cache (written by the first)
    const second = await loadDesired(options(cwd));
    expect(second.desired).toEqual(full.desired);
    for (const d of second.desired) {
      const fresh = placeObject(structuredClone(d.object), 'team-a');
      expect(desiredHash(placeObject(d.object, 'team-a'))).toBe(hashValue(fresh).slice(0, 32));
    }
  }, 30_000);

  it('refuses a generated file edited after compile even when its size and mtime were kept', async () => {
    const cwd = await compiled();
    await learnMetadata(cwd);
    await editKeepingSizeAndMtime(cwd);
    await expect(loadDesired(options(cwd))).rejects.toThrow(/stale {4}generated\/k8s\/alpha\.yaml/);
    await expect(loadDesired(options(cwd, { useCache: false }))).rejects.toThrow(
      /stale {4}generated\/k8s\/alpha\.yaml/,
    );
  }, 30_000);

  it('refuses outputs of a spec edited since compile, with and without the cache', async () => {
    const cwd = await compiled();
    await loadDesired(options(cwd));
    await writeFile(join(cwd, 'pipelines/b.yaml'), pipelineSpec('beta', { schedule: '@hourly' }));
    await expect(loadDesired(options(cwd))).rejects.toThrow(/stale {4}generated\/k8s\/beta\.yaml/);
    await expect(loadDesired(options(cwd, { useCache: false }))).rejects.toThrow(/stale {4}generated\/k8s\/beta\.yaml/);
  }, 30_000);

  it('a project copied with its caches (new inodes) vouches for nothing by metadata: an edited copy is refused', async () => {
    const cwd = await compiled();
    await learnMetadata(cwd);
    const copy = await project({});
    await cp(cwd, copy, { recursive: true, preserveTimestamps: true });
    await editKeepingSizeAndMtime(copy);
    await expect(loadDesired(options(copy))).rejects.toThrow(/stale {4}generated\/k8s\/alpha\.yaml/);
    // the untouched original is still fresh
    expect((await loadDesired(options(cwd))).files).toHaveLength(2);
  }, 30_000);

  it('caches made under another machine key (committed, restored from CI) are ignored: edits are still refused', async () => {
    const cwd = await compiled();
    await learnMetadata(cwd);
    const other = { XDG_CACHE_HOME: OTHER_KEY_HOME };
    // untouched files are fresh under the other key too (checked by reading them), edited ones are not
    expect((await loadDesired(options(cwd, { env: other }))).files).toHaveLength(2);
    await editKeepingSizeAndMtime(cwd);
    await expect(loadDesired(options(cwd, { env: other }))).rejects.toThrow(/stale {4}generated\/k8s\/alpha\.yaml/);
  }, 30_000);

  it('a desired-cache entry for the old bytes is not used for a file whose bytes changed (the key is their digest)', async () => {
    const cwd = await compiled();
    const before = await loadDesired(options(cwd));
    // the spec changes and is compiled: alpha's file has other bytes, its old entry stays in the directory
    await writeFile(
      join(cwd, 'pipelines/a.yaml'),
      pipelineSpec('alpha').replace('command: [echo, load]', 'command: [echo, LOAD]'),
    );
    await compileAndWrite({ paths: ['pipelines'], cwd, out: 'generated', targets: TARGETS, useCache: true, env: ENV });
    const after = await loadDesired(options(cwd));
    expect(JSON.stringify(after.desired)).toContain('LOAD');
    expect(after.desired).toEqual((await loadDesired(options(cwd, { useCache: false }))).desired);
    expect(after.desired).not.toEqual(before.desired);
    // and the cache directory holds entries (they were written and reused, not bypassed)
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(cwd, DESIRED_CACHE_DIR))).filter((n) => n.endsWith('.json')).length).toBeGreaterThan(2);
  }, 30_000);
});
