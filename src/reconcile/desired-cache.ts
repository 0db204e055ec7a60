/**
 * plan/apply's per-file cache of parsed generated Kubernetes files (I/O): `.pipewright/cache/desired-v1/<name>.json`
 * under the working directory, one entry per output file content. Parsing all of generated/k8s with the YAML library
 * was the largest part of a plan at 1,000 pipelines (141 MiB: 8 s of parsing plus the garbage of its node trees);
 * an entry holds the file's objects as JSON (JSON.parse is an order of magnitude cheaper) and the run plan's facts.
 *
 * Keyed by what decides the result: the pipewright version, the namespace given (an environment's files name it),
 * the namespace the objects are placed in (the entry also keeps each object's desired hash there: normalize.ts
 * desiredHash, a canonical-JSON sha256 of every object, was the next cost of a plan) and the sha256 of the file's
 * bytes — the digest compile's cache recorded for the bytes plan has just found fresh (load-desired.ts), or of the
 * bytes read and compared — so an entry is never used for content it was not made from. The entry's file name is an HMAC of that key and its
 * content carries an HMAC-SHA256 over key and payload, under the machine-local secret of compile's cache
 * (src/emit/cache-key.ts, never in the project): an entry that was committed, copied from another machine or forged
 * fails the check and the file is parsed as without a cache — the cache can only save time, never change a plan.
 * Written atomically (temporary file + rename); any error reading or writing is ignored. Entries not used for
 * ENTRY_TTL_MS are removed when a plan writes new ones, so the directory does not grow without bound.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, futimesSync, readSync } from 'node:fs';
import { lstat, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheKeyFile, loadCacheKey } from '../emit/cache-key.js';
import { makeStateDir } from '../runtime/state-dir.js';
import { linkOnTheWay, openNoFollowSync } from '../spec/no-follow.js';
import type { FileObjects } from './desired.js';

export const DESIRED_CACHE_DIR = '.pipewright/cache/desired-v1';
const ENTRY = /^[0-9a-f]{64}\.json$/;
/** Entries unused this long are dropped (a day: the trees of several environments and branches stay cached). */
const ENTRY_TTL_MS = 24 * 3600 * 1000;
/** A used entry's mtime is renewed when it is older than this (not at every use: one write less per file and plan). */
const TOUCH_AFTER_MS = 3600 * 1000;

/**
 * An entry's text, read synchronously (a plan reads one per generated file: 1,000 at 1,000 pipelines, and five thread
 * pool round trips each cost more than the read on a busy machine), never through a link or from a special file
 * (undefined then, as for a missing entry). Renews the mtime of an entry older than TOUCH_AFTER_MS (prune's clock).
 */
function readEntry(path: string, now: number): Buffer | undefined {
  const fd = openNoFollowSync(path);
  if (fd === undefined) return undefined;
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return undefined;
    const bytes = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    if (now - info.mtimeMs > TOUCH_AFTER_MS) {
      try {
        futimesSync(fd, now / 1000, now / 1000);
      } catch {
        // only means the entry may be dropped earlier and parsed again
      }
    }
    return bytes.subarray(0, filled);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** What an entry holds: the file's objects and, when they were placed in a namespace, their desired hashes there. */
export interface CachedFile {
  objects: FileObjects;
  /** desiredHash of each object (in order) placed in the entry's namespace. */
  hashes?: string[];
}

function isFileObjects(v: unknown): v is FileObjects {
  if (!isRecord(v) || !Array.isArray(v.objects)) return false;
  const objectsOk = v.objects.every(
    (o) =>
      isRecord(o) &&
      typeof o.apiVersion === 'string' &&
      typeof o.kind === 'string' &&
      isRecord(o.metadata) &&
      typeof o.metadata.name === 'string',
  );
  const facts = v.facts;
  return (
    objectsOk &&
    (facts === undefined ||
      (isRecord(facts) && typeof facts.specHash === 'string' && typeof facts.version === 'string'))
  );
}

/** The namespace given to plan (an environment's files name it) and the one the objects are placed in. */
export interface Where {
  namespace?: string | undefined;
  place?: string | undefined;
}

/** An entry's payload: FileObjects, and one desired hash per object when it was made for a placement namespace. */
function isCachedFile(v: unknown, where: Where): v is FileObjects & { hashes?: string[] } {
  if (!isFileObjects(v)) return false;
  const hashes = (v as { hashes?: unknown }).hashes;
  if (hashes === undefined) return where.place === undefined;
  return (
    where.place !== undefined &&
    Array.isArray(hashes) &&
    hashes.length === v.objects.length &&
    hashes.every((h) => typeof h === 'string' && /^[0-9a-f]{32}$/.test(h))
  );
}

export class DesiredCache {
  readonly #dir: string;
  readonly #secret: Buffer;
  readonly #version: string;
  /** Entry file names read or written in this run (kept when old ones are dropped). */
  readonly #used = new Set<string>();
  #written = 0;
  hits = 0;
  misses = 0;

  private constructor(dir: string, secret: Buffer, version: string) {
    this.#dir = dir;
    this.#secret = secret;
    this.#version = version;
  }

  /**
   * The cache of `cwd`, or undefined without a machine-local key (no HOME) or when `.pipewright/` or `cache/` is a
   * symbolic link (nothing is read or written through a link).
   */
  static async open(options: {
    cwd: string;
    version: string;
    env: Record<string, string | undefined>;
  }): Promise<DesiredCache | undefined> {
    const link = await linkOnTheWay(options.cwd, DESIRED_CACHE_DIR, '').catch(() => DESIRED_CACHE_DIR);
    if (link !== undefined) return undefined;
    const keyFile = cacheKeyFile(options.env);
    const secret = keyFile ? await loadCacheKey(keyFile) : undefined;
    if (!secret) return undefined;
    return new DesiredCache(join(options.cwd, DESIRED_CACHE_DIR), secret, options.version);
  }

  #mac(...parts: (string | Uint8Array)[]): string {
    const h = createHmac('sha256', this.#secret);
    for (const p of parts) h.update(p).update('\0');
    return h.digest('hex');
  }

  /** The lookup key of a file's bytes given `namespace` and placed in `place`, and the entry's file name (its HMAC). */
  #names(sha256: string, where: Where): { key: string; file: string } {
    const key = `${this.#version}\0${where.namespace ?? ''}\0${where.place ?? ''}\0${sha256}`;
    return { key, file: `${this.#mac('name', key)}.json` };
  }

  /**
   * What the file whose bytes have digest `sha256` holds (given `where.namespace`, placed in `where.place`), from the
   * cache or by `make` (then stored). `make` reads and parses the file; it must check the bytes against the digest.
   */
  async objectsOf(sha256: string, where: Where, make: () => Promise<CachedFile>): Promise<CachedFile> {
    const { key, file } = this.#names(sha256, where);
    this.#used.add(file);
    const stored = readEntry(join(this.#dir, file), Date.now());
    if (stored !== undefined) {
      // the MAC over the payload's bytes as read (the UTF-8 of the text it was computed over): no re-encoding
      const nl = stored.indexOf(0x0a);
      const mac = Buffer.from(stored.toString('latin1', 0, Math.max(nl, 0)), 'hex');
      const payload = stored.subarray(nl + 1);
      const expected = Buffer.from(this.#mac('entry', key, payload), 'hex');
      if (nl === 64 && mac.length === expected.length && timingSafeEqual(mac, expected)) {
        let value: unknown;
        try {
          value = JSON.parse(payload.toString('utf8'));
        } catch {
          value = undefined;
        }
        if (isCachedFile(value, where)) {
          this.hits++;
          const { hashes, ...objects } = value;
          return { objects, ...(hashes ? { hashes } : {}) };
        }
      }
    }
    this.misses++;
    const made = await make();
    await this.#store(key, file, made);
    return made;
  }

  async #store(key: string, file: string, value: CachedFile): Promise<void> {
    const payload = JSON.stringify({ ...value.objects, ...(value.hashes ? { hashes: value.hashes } : {}) });
    const temp = join(this.#dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      makeStateDir(this.#dir);
      await writeFile(temp, `${this.#mac('entry', key, payload)}\n${payload}`, { flag: 'wx' });
      await rename(temp, join(this.#dir, file));
      this.#written++;
    } catch {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /** After a run that wrote entries: drop entries unused for ENTRY_TTL_MS (and stray temporary files). */
  async prune(now = Date.now()): Promise<void> {
    if (this.#written === 0) return;
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    for (const name of names) {
      if (this.#used.has(name)) continue;
      if (!ENTRY.test(name) && !/^\.[0-9a-f]{12}\.tmp$/.test(name)) continue;
      const st = await lstat(join(this.#dir, name)).catch(() => undefined);
      if (st && now - st.mtimeMs > ENTRY_TTL_MS)
        await rm(join(this.#dir, name), { force: true }).catch(() => undefined);
    }
  }
}
