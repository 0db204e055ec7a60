import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/model/hash.js';
import { type FileObjects, objectsOfFile } from '../../src/reconcile/desired.js';
import { type CachedFile, DESIRED_CACHE_DIR, DesiredCache } from '../../src/reconcile/desired-cache.js';

const TEXT = [
  'apiVersion: v1',
  'kind: ServiceAccount',
  'metadata:',
  '  name: orders-runner',
  '  labels:',
  '    pipewright.dev/pipeline: orders',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: orders-plan',
  'data:',
  '  a: "1"',
  '',
].join('\n');

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-desired-cache-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function open(cwd: string, home: string): Promise<DesiredCache> {
  const cache = await DesiredCache.open({ cwd, version: 'test', env: { HOME: home } });
  if (!cache) throw new Error('no cache');
  return cache;
}

/** The cache's `make` for a parse (no desired hashes: no placement namespace). */
const made = (parse: () => FileObjects) => async (): Promise<CachedFile> => ({ objects: parse() });

describe('DesiredCache', () => {
  it('parses a file once; later runs take its objects from the entry, equal to a parse', async () => {
    const cwd = await tempDir();
    const home = await tempDir();
    const expected = objectsOfFile('k8s/orders.yaml', TEXT);
    let parses = 0;
    const parse = () => {
      parses++;
      return objectsOfFile('k8s/orders.yaml', TEXT);
    };
    const first = await open(cwd, home);
    expect(await first.objectsOf(sha256Hex(TEXT), { namespace: undefined }, made(parse))).toEqual({
      objects: expected,
    });
    const second = await open(cwd, home);
    expect(await second.objectsOf(sha256Hex(TEXT), { namespace: undefined }, made(parse))).toEqual({
      objects: expected,
    });
    expect(parses).toBe(1);
    expect([second.hits, second.misses]).toEqual([1, 0]);
    // another namespace or other bytes are other entries
    expect(await second.objectsOf(sha256Hex(TEXT), { namespace: 'prod' }, made(parse))).toEqual({ objects: expected });
    expect(await second.objectsOf(sha256Hex(`${TEXT}\n`), { namespace: undefined }, made(parse))).toEqual({
      objects: expected,
    });
    expect(parses).toBe(3);
  });

  it('ignores an edited entry (MAC) and entries written under another machine key: the file is parsed', async () => {
    const cwd = await tempDir();
    const home = await tempDir();
    const parse = () => objectsOfFile('k8s/orders.yaml', TEXT);
    await (await open(cwd, home)).objectsOf(sha256Hex(TEXT), { namespace: undefined }, made(parse));
    const dir = join(cwd, DESIRED_CACHE_DIR);
    const [entry] = (await readdir(dir)).filter((n) => n.endsWith('.json'));
    const stored = await readFile(join(dir, entry!), 'utf8');
    // a forged entry: same name and MAC line, a different object in the payload
    await writeFile(join(dir, entry!), stored.replace('orders-plan', 'evil-plan'));
    const forged = await open(cwd, home);
    const { objects } = await forged.objectsOf(sha256Hex(TEXT), { namespace: undefined }, made(parse));
    expect(objects).toEqual(parse());
    expect(JSON.stringify(objects)).not.toContain('evil');
    expect([forged.hits, forged.misses]).toEqual([0, 1]);
    // the whole directory as committed from another machine (another key): nothing of it is used
    const otherHome = await tempDir();
    const other = await open(cwd, otherHome);
    await other.objectsOf(sha256Hex(TEXT), { namespace: undefined }, made(parse));
    expect([other.hits, other.misses]).toEqual([0, 1]);
  });

  it('is off when .pipewright is a symbolic link, and without a machine key', async () => {
    const cwd = await tempDir();
    const elsewhere = await tempDir();
    await symlink(elsewhere, join(cwd, '.pipewright'));
    expect(await DesiredCache.open({ cwd, version: 'test', env: { HOME: await tempDir() } })).toBeUndefined();
    const plain = await tempDir();
    expect(await DesiredCache.open({ cwd: plain, version: 'test', env: {} })).toBeUndefined();
  });

  it('drops entries unused for a day once it writes new ones', async () => {
    const cwd = await tempDir();
    const home = await tempDir();
    const dir = join(cwd, DESIRED_CACHE_DIR);
    await mkdir(dir, { recursive: true });
    const stale = join(dir, `${'a'.repeat(64)}.json`);
    await writeFile(stale, 'x');
    const cache = await open(cwd, home);
    await cache.objectsOf(
      sha256Hex(TEXT),
      { namespace: undefined },
      made(() => objectsOfFile('k8s/orders.yaml', TEXT)),
    );
    await cache.prune(Date.now() + 2 * 24 * 3600 * 1000);
    const left = await readdir(dir);
    expect(left).not.toContain(`${'a'.repeat(64)}.json`);
    expect(left.filter((n) => n.endsWith('.json'))).toHaveLength(1);
  });
});
