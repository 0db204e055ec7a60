import { existsSync, mkdtempSync } from 'node:fs';
import { copyFile, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/main.js';
import { buildId } from '../../src/emit/build-id.js';
import { cacheKeyFile, loadCacheKey } from '../../src/emit/cache-key.js';
import { CROSS_FILE_RULE_NAMES } from '../../src/emit/compile.js';
import { COMPILE_CACHE_PATH, COMPILE_IR_DIR, CompileCache, entryMac } from '../../src/emit/compile-cache.js';
import {
  checkProject,
  compileAndWrite,
  compileCacheVersion,
  compileProject,
  readSources,
} from '../../src/emit/project.js';
import { sha256Hex } from '../../src/model/hash.js';
import { TARGETS } from '../../src/targets/target.js';
import { files, pipelineSpec, project, removeProjects } from '../cli/compile-support.js';
import { runCliCapture } from '../helpers/cli.js';

// the machine-local key of the cache lives in a throwaway user cache directory, never the developer's
const KEY_HOME = mkdtempSync(join(tmpdir(), 'pw-cache-key-'));
const ENV = { XDG_CACHE_HOME: KEY_HOME };
const key = async () => (await loadCacheKey(cacheKeyFile(ENV)!))!;

/** Write a cache file edited by a test as this machine would have written it (every entry sealed with the key). */
async function writeSealed(cwd: string, cache: { entries: Record<string, object> }): Promise<void> {
  const secret = await key();
  for (const [k, entry] of Object.entries(cache.entries)) {
    const { mac: _mac, ...fields } = entry as { mac?: string };
    cache.entries[k] = { ...fields, mac: entryMac(secret, k, fields) };
  }
  await writeFile(join(cwd, COMPILE_CACHE_PATH), JSON.stringify(cache));
}

afterAll(async () => {
  await removeProjects();
  await rm(KEY_HOME, { recursive: true, force: true });
});

const SPECS = {
  'pipelines/a.yaml': pipelineSpec('alpha'),
  'pipelines/b.yaml': pipelineSpec('beta', { schedule: '@daily' }), // a Compose warning
  'pipelines/c.yaml': pipelineSpec('gamma', { extraTask: true }),
};

/** A project's options as the compile command passes them, with the cache. */
const options = (cwd: string) => ({
  paths: ['pipelines'],
  cwd,
  out: 'generated',
  targets: TARGETS,
  useCache: true,
  env: ENV,
});

const compile = (cwd: string, extra: { useCache?: boolean; targets?: typeof TARGETS } = {}) =>
  compileAndWrite({ ...options(cwd), ...extra });

describe('persistent compile cache', () => {
  it('a warm compile reuses every spec and gives the bytes and diagnostics of a cold one', async () => {
    const cwd = await project(SPECS);
    const cold = await compile(cwd);
    expect(cold.cache).toEqual({ reused: 0, compiled: 3 });
    expect(existsSync(join(cwd, COMPILE_CACHE_PATH))).toBe(true);
    const afterCold = await files(cwd, 'generated');

    const warm = await compile(cwd);
    expect(warm.cache).toEqual({ reused: 3, compiled: 0 });
    expect(warm.write?.written).toEqual([]);
    expect(warm.diagnostics).toEqual(cold.diagnostics);
    expect(warm.diagnostics.some((d) => d.severity === 'warning')).toBe(true);
    expect(warm.pipelines).toEqual(cold.pipelines);
    expect(warm.files).toEqual(cold.files);
    expect(await files(cwd, 'generated')).toEqual(afterCold);

    // and both equal a compile that does not use the cache at all (the GitLab parent is linked from cached IRs)
    const uncached = await compile(cwd, { useCache: false });
    expect(uncached.cache).toBeUndefined();
    expect(uncached.files).toEqual(warm.files);
    expect(uncached.diagnostics).toEqual(warm.diagnostics);
  });

  it('recompiles only the edited spec', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    await writeFile(join(cwd, 'pipelines/b.yaml'), pipelineSpec('beta', { schedule: '@hourly' }));
    const edited = await compile(cwd);
    expect(edited.cache).toEqual({ reused: 2, compiled: 1 });
    // beta's own files (and, in versions whose parent header lists spec hashes, the GitLab parent)
    const own = edited.write!.written.filter((p) => p !== 'gitlab/pipelines.gitlab-ci.yml');
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((p) => p.includes('beta'))).toBe(true);
    const fresh = await compile(cwd, { useCache: false });
    expect(edited.files).toEqual(fresh.files);
    expect(edited.diagnostics).toEqual(fresh.diagnostics);
  });

  it('keeps the diagnostics of failing specs, including the cross-file duplicate name, from cached units', async () => {
    const cwd = await project({
      ...SPECS,
      'pipelines/d.yaml': pipelineSpec('alpha'), // duplicate of a.yaml
      'pipelines/e.yaml': `${pipelineSpec('epsilon')}  bogus: 1\n`,
    });
    const cold = await compile(cwd);
    expect(cold.write).toBeUndefined();
    expect(cold.diagnostics.map((d) => d.code)).toContain('PW204');
    const warm = await compile(cwd);
    // nothing was written, so only specs without outputs (the failing ones) can be reused
    expect(warm.cache!.reused).toBeGreaterThan(0);
    expect(warm.diagnostics).toEqual(cold.diagnostics);
    const uncached = await compile(cwd, { useCache: false });
    expect(uncached.diagnostics).toEqual(cold.diagnostics);
  });

  it('recompiles a spec whose output was edited or deleted on disk, and restores it', async () => {
    const cwd = await project(SPECS);
    const cold = await compile(cwd);
    await writeFile(join(cwd, 'generated/k8s/alpha.yaml'), '# generated by pipewright\nhand: edit\n');
    const again = await compile(cwd);
    expect(again.cache).toEqual({ reused: 2, compiled: 1 });
    expect(again.write?.written).toEqual(['k8s/alpha.yaml']);
    expect(await readFile(join(cwd, 'generated/k8s/alpha.yaml'), 'utf8')).toBe(cold.files.get('k8s/alpha.yaml'));
  });

  it('ignores a corrupted or foreign cache file and rewrites it', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const path = join(cwd, COMPILE_CACHE_PATH);
    const good = await readFile(path, 'utf8');
    for (const bad of [good.slice(0, good.length / 2), '[]', '{"format":"something-else","entries":{}}', '\u0000']) {
      await writeFile(path, bad);
      const run = await compile(cwd);
      expect(run.cache).toEqual({ reused: 0, compiled: 3 });
      expect(run.write?.written).toEqual([]);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(JSON.parse(good));
    }
    // an entry under the right key but with a damaged shape is not used either
    const damaged = JSON.parse(good) as { entries: Record<string, { diagnostics: unknown }> };
    for (const entry of Object.values(damaged.entries)) entry.diagnostics = [{ file: 1 }];
    await writeFile(path, JSON.stringify(damaged));
    expect((await compile(cwd)).cache).toEqual({ reused: 0, compiled: 3 });
  });

  it('another pipewright version or other targets invalidate every entry', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const [input] = await readSources({ paths: ['pipelines'], cwd });
    const out = join(cwd, 'generated');
    const same = (await CompileCache.open({
      cwd,
      version: compileCacheVersion(),
      targets: [...TARGETS].reverse(),
      key: await key(),
    }))!;
    expect(await same.lookup(input!, out)).toBeDefined();
    const newer = (await CompileCache.open({
      cwd,
      version: `${compileCacheVersion()}-next`,
      targets: TARGETS,
      key: await key(),
    }))!;
    expect(await newer.lookup(input!, out)).toBeUndefined();
    const fewer = (await CompileCache.open({
      cwd,
      version: compileCacheVersion(),
      targets: ['compose', 'k8s'],
      key: await key(),
    }))!;
    expect(await fewer.lookup(input!, out)).toBeUndefined();

    const composeOnly = await compile(cwd, { targets: ['compose'] });
    expect(composeOnly.cache).toEqual({ reused: 0, compiled: 3 });
    expect((await compile(cwd, { targets: ['compose'] })).cache).toEqual({ reused: 3, compiled: 0 });
  });

  it('check reuses the cache and still finds a stale output', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const ok = await checkProject({ paths: ['pipelines'], cwd, out: 'generated', useCache: true, env: ENV }, TARGETS);
    expect(ok.cache).toEqual({ reused: 3, compiled: 0 });
    expect(ok.report?.ok).toBe(true);
    await writeFile(join(cwd, 'generated/compose/beta.compose.yaml'), '# generated by pipewright\nx: 1\n');
    const stale = await checkProject(
      { paths: ['pipelines'], cwd, out: 'generated', useCache: true, env: ENV },
      TARGETS,
    );
    expect(stale.cache).toEqual({ reused: 2, compiled: 1 });
    expect(stale.report?.stale).toEqual(['compose/beta.compose.yaml']);
  });

  it('compile --no-cache neither reads nor writes the cache; --format json reports the counts', async () => {
    const cwd = await project(SPECS);
    const uncached = await runCliCapture(['compile', '--no-cache', '--format', 'json'], { cwd, env: ENV });
    expect(uncached.code).toBe(0);
    expect(JSON.parse(uncached.stdout).cache).toBeUndefined();
    expect(existsSync(join(cwd, COMPILE_CACHE_PATH))).toBe(false);
    const first = await runCliCapture(['compile', '--format', 'json'], { cwd, env: ENV });
    expect(JSON.parse(first.stdout).cache).toEqual({ reused: 0, compiled: 3 });
    const second = await runCliCapture(['compile', '--format', 'json'], { cwd, env: ENV });
    expect(JSON.parse(second.stdout).cache).toEqual({ reused: 3, compiled: 0 });
    const check = await runCliCapture(['check'], { cwd, env: ENV });
    expect(check.code).toBe(0);
  });

  it('check ignores a forged cache by default: tampered generated/ files are found even when the cache vouches for them', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    // The attacker edits an output and rewrites the cache entry's hash to match (the key is computable by anyone).
    const file = join(cwd, 'generated/compose/beta.compose.yaml');
    const original = await readFile(file, 'utf8');
    const evil = original.replace(/image: .*/, 'image: evil.example/backdoor:1');
    expect(evil).not.toBe(original);
    await writeFile(file, evil);
    const cachePath = join(cwd, COMPILE_CACHE_PATH);
    const cacheText = await readFile(cachePath, 'utf8');
    const forged = cacheText.replaceAll(sha256Hex(original), sha256Hex(evil));
    expect(forged).not.toBe(cacheText);
    await writeFile(cachePath, forged);
    await writeFile(
      join(cwd, 'generated/.pipewright-manifest.json'),
      (await readFile(join(cwd, 'generated/.pipewright-manifest.json'), 'utf8')).replaceAll(
        sha256Hex(original),
        sha256Hex(evil),
      ),
    );
    const gate = await runCliCapture(['check'], { cwd, env: ENV });
    expect(gate.code).toBe(1);
    expect(gate.stdout + gate.stderr).toContain('compose/beta.compose.yaml');
    // With --cache the forged entry is not trusted either: its MAC no longer matches (src/emit/cache-key.ts)
    const cached = await runCliCapture(['check', '--cache'], { cwd, env: ENV });
    expect(cached.code).toBe(1);
    expect(cached.stdout + cached.stderr).toContain('compose/beta.compose.yaml');
  });

  it('the link view of a unit covers every cross-file rule (extend linkDocument when this changes)', () => {
    expect(CROSS_FILE_RULE_NAMES).toEqual(['duplicate-pipeline-name']);
  });
});

describe('build fingerprint in the cache key', () => {
  it('is a stable hex id of this build, so code changed without a version bump does not reuse old entries', () => {
    expect(buildId()).toMatch(/^[0-9a-f]{16}$/);
    expect(buildId()).toBe(buildId());
    expect(compileCacheVersion()).toBe(`${VERSION}+${buildId()}`);
  });
});

interface CacheOnDisk {
  entries: Record<string, { file: string; outputs: { path: string; sha256: string; stat?: string }[] }>;
}

const readCache = async (cwd: string) =>
  JSON.parse(await readFile(join(cwd, COMPILE_CACHE_PATH), 'utf8')) as CacheOnDisk;

describe('outputs known by their file metadata', () => {
  it('a compile records the metadata of every output it wrote; a warm compile then does not read them', async () => {
    const cwd = await project(SPECS);
    const cold = await compile(cwd);
    const outputs = Object.values((await readCache(cwd)).entries).flatMap((e) => e.outputs);
    expect(outputs.length).toBeGreaterThan(6);
    for (const o of outputs) {
      const st = await stat(join(cwd, 'generated', o.path), { bigint: true });
      expect(o.stat).toBe(`${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
    }
    const warm = await compile(cwd);
    expect(warm.cache).toEqual({ reused: 3, compiled: 0 });
    // reused outputs carry their text as a getter that reads the file only on demand
    const reused = warm.units.flatMap((u) => u.outputs);
    expect(reused.length).toBe(outputs.length);
    for (const o of reused) expect(Object.getOwnPropertyDescriptor(o, 'text')?.get).toBeTypeOf('function');
    // and what they read is the compiled text
    expect([...warm.files]).toEqual([...cold.files]);
  });

  it('notices a rewrite of the same size with the old mtime put back (ctime moved) and restores the output', async () => {
    const cwd = await project(SPECS);
    const cold = await compile(cwd);
    const file = join(cwd, 'generated/k8s/alpha.yaml');
    // a whole-second mtime, so that it can be put back exactly; the next compile hashes the file and learns it
    const when = new Date('2024-01-01T00:00:00Z');
    await utimes(file, when, when);
    expect((await compile(cwd)).cache).toEqual({ reused: 3, compiled: 0 });
    const learnt = Object.values((await readCache(cwd)).entries)
      .flatMap((e) => e.outputs)
      .find((o) => o.path === 'k8s/alpha.yaml');
    const size = (await stat(file)).size;
    expect(learnt?.stat).toMatch(new RegExp(`^\\d+:${size}:${BigInt(when.getTime()) * 1_000_000n}:\\d+$`));

    const original = await readFile(file, 'utf8');
    const forged = original.replace('alpha', 'ALPHA');
    expect(forged).not.toBe(original);
    expect(Buffer.byteLength(forged)).toBe(Buffer.byteLength(original));
    await writeFile(file, forged);
    await utimes(file, when, when);
    const again = await compile(cwd);
    expect(again.cache).toEqual({ reused: 2, compiled: 1 });
    expect(again.write?.written).toEqual(['k8s/alpha.yaml']);
    expect(await readFile(file, 'utf8')).toBe(cold.files.get('k8s/alpha.yaml'));
  });

  it('hashes outputs whose metadata is unknown or stale, reuses them when the bytes match, and learns their metadata', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const cache = await readCache(cwd);
    for (const entry of Object.values(cache.entries)) for (const o of entry.outputs) delete o.stat;
    const some = Object.values(cache.entries)[0]!.outputs[0]!;
    some.stat = '1:2:3:4'; // stale metadata, right bytes
    await writeSealed(cwd, cache);
    const warm = await compile(cwd);
    expect(warm.cache).toEqual({ reused: 3, compiled: 0 });
    expect(warm.write?.written).toEqual([]);
    // outputs verified by hashing carry their text as plain data
    expect(warm.units.flatMap((u) => u.outputs).every((o) => typeof o.text === 'string')).toBe(true);
    const learnt = Object.values((await readCache(cwd)).entries).flatMap((e) => e.outputs);
    expect(learnt.every((o) => typeof o.stat === 'string' && o.stat !== '1:2:3:4')).toBe(true);
  });

  it('an output replaced by a symbolic link to the same bytes is not vouched for by the cache: compile refuses the link', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const file = join(cwd, 'generated/k8s/alpha.yaml');
    await copyFile(file, join(cwd, 'elsewhere.yaml'));
    await rm(file);
    await symlink(join(cwd, 'elsewhere.yaml'), file);
    await expect(compile(cwd)).rejects.toThrow(/generated\/k8s\/alpha\.yaml is a symbolic link/);
    const stored = Object.values((await readCache(cwd)).entries).flatMap((e) => e.outputs);
    expect(stored.find((o) => o.path === 'k8s/alpha.yaml')?.stat).toBeUndefined();
  });

  it('a damaged metadata field makes the entry unusable, not trusted', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const cache = await readCache(cwd);
    for (const entry of Object.values(cache.entries)) for (const o of entry.outputs) o.stat = 'anything';
    await writeFile(join(cwd, COMPILE_CACHE_PATH), JSON.stringify(cache));
    expect((await compile(cwd)).cache).toEqual({ reused: 0, compiled: 3 });
  });
});

describe('pipelines stored as header + IR text', () => {
  const irOf = (result: Awaited<ReturnType<typeof compile>>, name: string) =>
    result.units.find((u) => u.pipeline === name)?.ir;

  it('a warm compile links from the headers; a reused unit parses its IR only when asked, equal to the cold one', async () => {
    const cwd = await project(SPECS);
    const cold = await compile(cwd);
    const warm = await compile(cwd);
    expect(warm.cache).toEqual({ reused: 3, compiled: 0 });
    for (const unit of warm.units) {
      expect(Object.getOwnPropertyDescriptor(unit, 'ir')?.get).toBeTypeOf('function');
      expect(unit.header).toEqual(cold.units.find((u) => u.file === unit.file)?.header);
      expect(unit.header).not.toHaveProperty('tasks');
    }
    for (const name of ['alpha', 'beta', 'gamma']) expect(irOf(warm, name)).toEqual(irOf(cold, name));
    expect(irOf(warm, 'gamma')?.tasks.length).toBeGreaterThan(1);
  });

  it('damaged IR text is a clear error when the IR is asked for; a damaged header makes the entry unusable', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const path = join(cwd, COMPILE_CACHE_PATH);
    const good = await readFile(path, 'utf8');
    const cache = JSON.parse(good) as {
      entries: Record<string, { irSha256?: string; header?: Record<string, unknown> }>;
    };
    // an IR text that matches its digest (the MAC covers the digest) but does not match the header
    const bad = '{"name":"x"}';
    for (const entry of Object.values(cache.entries)) {
      entry.irSha256 = sha256Hex(bad);
      await writeFile(join(cwd, COMPILE_IR_DIR, `${entry.irSha256}.json`), bad);
    }
    await writeSealed(cwd, cache);
    const warm = await compile(cwd);
    expect(warm.cache).toEqual({ reused: 3, compiled: 0 });
    expect(() => irOf(warm, 'alpha')).toThrow(/compile-v1\.json: the stored pipeline of pipelines\/a\.yaml is damaged/);

    const damaged = JSON.parse(good) as typeof cache;
    for (const entry of Object.values(damaged.entries)) entry.header = { ...entry.header, tasks: [] };
    await writeSealed(cwd, damaged);
    expect((await compile(cwd)).cache).toEqual({ reused: 0, compiled: 3 });
  });

  it('IR texts live in files named by their digest, which the MAC covers: a changed text is never used', async () => {
    const cwd = await project(SPECS);
    const cold = await compile(cwd);
    const cache = JSON.parse(await readFile(join(cwd, COMPILE_CACHE_PATH), 'utf8')) as {
      entries: Record<string, { ir?: string; irSha256?: string }>;
    };
    const texts = Object.values(cache.entries).map((e) => join(cwd, COMPILE_IR_DIR, `${e.irSha256}.json`));
    for (const entry of Object.values(cache.entries)) expect(entry).not.toHaveProperty('ir');
    for (const file of texts) {
      const text = await readFile(file, 'utf8');
      expect(sha256Hex(text)).toBe(basename(file, '.json'));
      // a forged pipeline: same name, file and hash, fewer tasks; the cache file (digests, MACs) is left as it was
      const ir = JSON.parse(text) as { tasks: unknown[] };
      await writeFile(file, JSON.stringify({ ...ir, tasks: ir.tasks.slice(0, 1) }));
    }
    // what reads the IR (run: compileProject) computes it again instead of using a changed text
    const withIr = await compileProject(options(cwd));
    expect(withIr.cache).toEqual({ reused: 3, compiled: 0 });
    for (const name of ['alpha', 'beta', 'gamma']) expect(irOf(withIr, name)).toEqual(irOf(cold, name));
    // compile links from headers and wants no IR: a unit it reused refuses a changed text if its IR is read
    const again = await compile(cwd);
    expect(again.cache).toEqual({ reused: 3, compiled: 0 });
    const failures = again.units.filter((u) => {
      try {
        void u.ir;
        return false;
      } catch {
        return true;
      }
    });
    expect(failures).toHaveLength(3);
  });

  it('IR files no entry names are removed when the cache is saved', async () => {
    const cwd = await project(SPECS);
    await compile(cwd);
    const before = (await readdir(join(cwd, COMPILE_IR_DIR))).sort();
    expect(before).toHaveLength(3);
    await writeFile(join(cwd, 'pipelines/c.yaml'), pipelineSpec('gamma'));
    expect((await compile(cwd)).cache).toEqual({ reused: 2, compiled: 1 });
    const after = (await readdir(join(cwd, COMPILE_IR_DIR))).sort();
    expect(after).toHaveLength(3);
    expect(after.filter((n) => before.includes(n))).toHaveLength(2);
  });
});
