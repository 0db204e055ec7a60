import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
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
 * Entries are lines `<id> <seal> <json>` (id: a hash of the key) appended to one of 256 bucket files
 * (`<2 hex of the id>.pack`): a run writes at most 256 files, one append each, whatever number of entries it adds — a
 * first changelog adds ~2,300, and creating that many small files cost 1–2 s of system time here, more than the
 * rest of its serial tail. A lookup reads the buckets of the keys it needs once each. An append is one write: another
 * process reading meanwhile may see a partial last line, whose seal does not verify (a miss); lines that do not
 * parse are skipped; the last line for an id whose seal verifies wins. Bounded: after a run adds entries, when the buckets total over
 * `maxBytes`, the least recently appended ones are removed down to 3/4 of it. Errors while reading or writing never
 * fail a command: a miss costs a parse. Sub-directories of one file per entry (this cache's format before the
 * buckets) are removed by the first run that adds entries.
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

/** Length of an entry id and of its seal, in hex. */
const HEX = 64;
const BUCKET = /^[0-9a-f]{2}\.pack$/;
/** This cache's earlier format: one file per entry in `<2 hex>/`. */
const LEGACY = /^[0-9a-f]{2}$/;
/** Open a bucket to append to, never through a symbolic link. */
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

export class BlobCache {
  /** Entries set since the last flush, by bucket: id → sealed line. */
  private readonly pending = new Map<string, Map<string, string>>();

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
      text = await readFile(this.bucket(id), 'utf8');
    } catch {
      return undefined;
    }
    return this.newest<T>(id, linesOf(text, new Set([id])).get(id));
  }

  /**
   * Many lookups, in the order of `keys`. Read synchronously: each bucket the keys fall in is read once, and a
   * few hundred reads through the thread pool cost more in promise and scheduling overhead than the reads themselves.
   */
  getMany<T>(kind: string, keys: readonly { blob: string; path: string }[]): (T | undefined)[] {
    const ids = keys.map(({ blob, path }) => this.id(kind, blob, path));
    const byBucket = new Map<string, Set<string>>();
    for (const id of ids) {
      const wanted = byBucket.get(id.slice(0, 2)) ?? new Set<string>();
      wanted.add(id);
      byBucket.set(id.slice(0, 2), wanted);
    }
    const lines = new Map<string, string[]>();
    for (const [prefix, wanted] of byBucket) {
      let text: string;
      try {
        text = readFileSync(join(this.dir, `${prefix}.pack`), 'utf8');
      } catch {
        continue;
      }
      for (const [id, line] of linesOf(text, wanted)) lines.set(id, line);
    }
    return ids.map((id) => this.newest<T>(id, lines.get(id)));
  }

  /** The value of the last of an id's lines whose seal verifies (a torn later append does not hide an earlier one). */
  private newest<T>(id: string, lines: readonly string[] | undefined): T | undefined {
    for (let i = (lines?.length ?? 0) - 1; i >= 0; i--) {
      const value = this.open<T>(id, lines![i]!);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** The value of an entry's line (after its id) when its seal verifies. */
  private open<T>(id: string, line: string): T | undefined {
    if (line.length < HEX + 1 || line[HEX] !== ' ') return undefined;
    const json = line.slice(HEX + 1);
    const mac = Buffer.from(line.slice(0, HEX), 'hex');
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
    // JSON text never holds a raw line break: one entry is one line
    const json = JSON.stringify(value);
    const bucket = this.pending.get(id.slice(0, 2)) ?? new Map<string, string>();
    bucket.set(id, `${id} ${this.mac(id, json).toString('hex')} ${json}\n`);
    this.pending.set(id.slice(0, 2), bucket);
  }

  /** Append the values set since the last flush (one write per bucket), then keep the directory within its bound. */
  async flush(): Promise<void> {
    const buckets = [...this.pending];
    this.pending.clear();
    if (buckets.length === 0) return;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch {
      return;
    }
    await inParallel(buckets.length, async (i) => {
      const [prefix, lines] = buckets[i]!;
      let handle: FileHandle | undefined;
      try {
        handle = await open(join(this.dir, `${prefix}.pack`), APPEND, 0o600);
        // appended after whatever other processes appended (a line torn by a concurrent append is only a miss)
        await handle.writeFile([...lines.values()].join(''));
      } catch {
        // a miss next time
      } finally {
        await handle?.close().catch(() => undefined);
      }
    });
    await this.trim().catch(() => undefined);
  }

  /** Remove the least recently appended buckets while the directory is over its bound (and the earlier format). */
  private async trim(): Promise<void> {
    const files: { path: string; size: number; mtimeMs: number }[] = [];
    let total = 0;
    const names = await readdir(this.dir);
    await inParallel(names.length, async (i) => {
      const path = join(this.dir, names[i]!);
      if (LEGACY.test(names[i]!)) {
        await rm(path, { recursive: true, force: true }).catch(() => undefined);
        return;
      }
      if (!BUCKET.test(names[i]!)) return;
      const st = await lstat(path).catch(() => undefined);
      if (!st?.isFile()) return;
      files.push({ path, size: st.size, mtimeMs: st.mtimeMs });
      total += st.size;
    });
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

  private bucket(id: string): string {
    return join(this.dir, `${id.slice(0, 2)}.pack`);
  }
}

/**
 * The lines of a bucket's text for the ids in `wanted`, each without its id (`<seal> <json>`), in file order. Lines
 * that are not `<id> …` are skipped (a partial append, another format).
 */
function linesOf(text: string, wanted: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end - start > HEX + 1 && text[start + HEX] === ' ') {
      const id = text.slice(start, start + HEX);
      if (wanted.has(id)) {
        const lines = out.get(id) ?? [];
        lines.push(text.slice(start + HEX + 1, end));
        out.set(id, lines);
      }
    }
    start = end + 1;
  }
  return out;
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
