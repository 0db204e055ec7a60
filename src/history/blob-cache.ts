import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildId } from '../emit/build-id.js';
import { cacheKeyFile, loadCacheKey } from '../emit/cache-key.js';
import { VERSION } from '../version.js';

/**
 * The persistent cache of what history commands derive from one spec blob (`pipewright changelog`'s parsed spec,
 * `pipewright diff`'s lineage summary of an unchanged spec), keyed by what alone determines the result: the kind of
 * entry, the pipewright build, the blob id (git's content address) and the spec's path (the IR records its file).
 *
 * It lives in the user's cache directory — `$XDG_CACHE_HOME/pipewright/history-v1/`, else `$HOME/.cache/…` — never in
 * a project, and every entry is sealed with an HMAC-SHA256 under a key derived from the machine-local secret the
 * compile cache uses (src/emit/cache-key.ts), which never lives in a repository. A CI cache restored from elsewhere,
 * a file written by another user or an edited entry has no valid seal and is ignored: the blob is parsed again and the
 * entry rewritten, so whatever the cache directory holds, output is what parsing computes — the cache only saves time.
 *
 * One file per entry (`<2 hex>/<62 hex>`, named by a hash of the key), written atomically (temporary file + rename).
 * Bounded: when a run adds entries and the directory grows over `maxBytes`, the oldest-written entries are removed
 * down to 3/4 of it. Errors while reading or writing never fail a command: a miss costs a parse.
 */

const DIR = 'history-v1';
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** Entries read or written at the same time (file descriptors). */
const PARALLEL = 64;

export interface BlobCacheOptions {
  /** The environment the command sees: where the user's cache directory is. */
  env: Record<string, string | undefined>;
  /** The pipewright version and build fingerprint (compileCacheVersion): another build never reuses an entry. */
  version: string;
  maxBytes?: number;
}

export class BlobCache {
  private readonly pending = new Map<string, string>();

  private constructor(
    readonly dir: string,
    private readonly secret: Buffer,
    private readonly version: string,
    private readonly maxBytes: number,
  ) {}

  /** The cache of this user, or undefined when there is no usable cache directory (commands then parse everything). */
  static async open(options: BlobCacheOptions): Promise<BlobCache | undefined> {
    const keyFile = cacheKeyFile(options.env);
    if (!keyFile) return undefined;
    const key = await loadCacheKey(keyFile);
    if (!key) return undefined;
    const dir = join(dirname(keyFile), DIR);
    // a linked cache directory could point into a project: the cache is then off rather than followed
    const st = await lstat(dir).catch(() => undefined);
    if (st && !st.isDirectory()) return undefined;
    // a key of its own, so a seal of this cache can never stand for a compile-cache entry or the reverse
    const secret = createHmac('sha256', key).update('pipewright history blob cache v1').digest();
    return new BlobCache(dir, secret, options.version, options.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  /** The value stored for (kind, blob, path), or undefined when absent, unreadable or not sealed by this machine. */
  async get<T>(kind: string, blob: string, path: string): Promise<T | undefined> {
    const id = this.id(kind, blob, path);
    let text: string;
    try {
      text = await readFile(this.file(id), 'utf8');
    } catch {
      return undefined;
    }
    return this.open<T>(id, text);
  }

  /**
   * Many lookups, in the order of `keys`. Read synchronously: entries are small files, and a thousand reads through
   * the thread pool cost more in promise and scheduling overhead than the reads themselves.
   */
  getMany<T>(kind: string, keys: readonly { blob: string; path: string }[]): (T | undefined)[] {
    return keys.map(({ blob, path }) => {
      const id = this.id(kind, blob, path);
      let text: string;
      try {
        text = readFileSync(this.file(id), 'utf8');
      } catch {
        return undefined;
      }
      return this.open<T>(id, text);
    });
  }

  /** The value of an entry's text when its seal verifies. */
  private open<T>(id: string, text: string): T | undefined {
    const newline = text.indexOf('\n');
    if (newline !== 64) return undefined;
    const json = text.slice(65);
    const mac = Buffer.from(text.slice(0, 64), 'hex');
    const expected = this.mac(id, json);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    try {
      return JSON.parse(json) as T;
    } catch {
      return undefined;
    }
  }

  /** Remember a value; written by `flush`. */
  set(kind: string, blob: string, path: string, value: unknown): void {
    const id = this.id(kind, blob, path);
    const json = JSON.stringify(value);
    this.pending.set(id, `${this.mac(id, json).toString('hex')}\n${json}`);
  }

  /** Write the values set since the last flush, then keep the directory within its bound. Never throws. */
  async flush(): Promise<void> {
    const entries = [...this.pending];
    this.pending.clear();
    if (entries.length === 0) return;
    await inParallel(entries.length, async (i) => {
      const [id, text] = entries[i]!;
      const file = this.file(id);
      const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(temp, text, { mode: 0o600 });
        await rename(temp, file);
      } catch {
        await rm(temp, { force: true }).catch(() => undefined);
      }
    });
    await this.trim().catch(() => undefined);
  }

  /** Remove the oldest-written entries while the directory is over its bound. */
  private async trim(): Promise<void> {
    const files: { path: string; size: number; mtimeMs: number }[] = [];
    let total = 0;
    for (const sub of await readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      const names = await readdir(join(this.dir, sub)).catch(() => [] as string[]);
      await inParallel(names.length, async (i) => {
        const path = join(this.dir, sub, names[i]!);
        const st = await stat(path).catch(() => undefined);
        if (!st?.isFile()) return;
        files.push({ path, size: st.size, mtimeMs: st.mtimeMs });
        total += st.size;
      });
    }
    if (total <= this.maxBytes) return;
    files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
    for (const f of files) {
      if (total <= (this.maxBytes * 3) / 4) break;
      await rm(f.path, { force: true }).catch(() => undefined);
      total -= f.size;
    }
  }

  private id(kind: string, blob: string, path: string): string {
    return createHash('sha256').update(`${kind}\0${this.version}\0${blob}\0${path}`).digest('hex');
  }

  private mac(id: string, json: string): Buffer {
    return createHmac('sha256', this.secret).update(`${id}\0`).update(json).digest();
  }

  private file(id: string): string {
    return join(this.dir, id.slice(0, 2), id.slice(2));
  }
}

/** The cache of the user whose environment a command sees, keyed on this build (undefined: none usable). */
export async function openHistoryCache(env: Record<string, string | undefined>): Promise<BlobCache | undefined> {
  // what compileCacheVersion (src/emit/project.ts) computes, without loading the compiler this module does not need
  return BlobCache.open({ env, version: `${VERSION}+${buildId()}` });
}

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
}
