import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type BigIntStats, closeSync, fstatSync, lstatSync, readFileSync } from 'node:fs';
import { lstat, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Diagnostic, type SourceRange, UserError } from '../diagnostics/diagnostic.js';
import { sha256Hex } from '../model/hash.js';
import type { PipelineHeader, PipelineIR } from '../model/ir.js';
import { makeStateDir } from '../runtime/state-dir.js';
import { linkOnTheWay, linkOnTheWaySync, openNoFollowSync, readTextNoFollow } from '../spec/no-follow.js';
import { SpecCache } from './cache.js';
import type { CompiledSpec, OutputText, SpecInput } from './compile.js';
import { isSafeOutputPath } from './manifest.js';

/**
 * compile's persistent per-spec cache: `.pipewright/cache/compile-v1.json` under the working directory (git-ignored;
 * never in the output directory, which is committed). One entry per spec, keyed exactly like the in-memory SpecCache
 * (pipewright version, targets, display path, sha256 of the source), holding what link and the report need: the
 * pipeline name and the range of `metadata.name`, the diagnostics, the pipeline header (the IR without its tasks), the
 * full IR as JSON text (parsed only if a reused unit's `ir` is asked for: linking needs headers only, and parsing every
 * IR was most of a warm compile), and each output's path, sha256 and file metadata — not its text. A hit is used
 * only when every output on disk still has that content; otherwise the spec is compiled again. So a warm compile
 * reads and hashes the sources, stats the outputs, links, and writes nothing.
 *
 * How an output is known to be unchanged, the way git's index knows a work-tree file is: its metadata (inode, size,
 * mtime and ctime in nanoseconds) equals what was recorded when its bytes were known to equal the text — just after
 * compile wrote or confirmed them, or after hashing them here. Any write changes ctime, which no user-space call can
 * set back, so rewriting a file, even to the same size with a forged mtime, is noticed. A file whose ctime is too
 * recent for a later write to get a different ctime (timestamps advance in clock ticks; see SETTLE_NS) is not given
 * metadata ("racily clean" in git's words): recording waits for the tick to pass, else it is hashed the next time.
 * Outputs without matching metadata are read and hashed; their text is then those bytes. Outputs matched by
 * metadata are not read: their text is read from disk only if something asks for it (check --cache does; a warm
 * compile does not).
 *
 * Never trusted blindly: an unreadable, unparsable or foreign file (other format, other pipewright version) is ignored
 * and rewritten; an entry is looked up only by the key of the spec as it is now, and its shape is checked before use.
 * Written atomically (temporary file + rename). Errors while writing it are ignored: a cache never fails a compile.
 *
 * A checked-out file vouches for nothing: the cache directory may come with a checkout (committed by mistake or by
 * an attacker, restored from a shared CI cache), and an entry claiming "this spec has no errors and its outputs are
 * these bytes" would make compile pass a broken spec and keep forged outputs. So every entry carries an HMAC-SHA256
 * over its key and content under a secret key that never lives in the repository (src/emit/cache-key.ts: a random
 * key in the user's cache directory, created on first use). An entry without a valid MAC is ignored and the spec
 * compiled, so whatever the file says, the result is the one compile computes — the cache only saves time. The
 * directory also writes its own `.gitignore` (`*`), and a `.pipewright/` or `cache/` that is a symbolic link turns
 * the cache off (it is neither read nor written through the link).
 */

export const COMPILE_CACHE_PATH = '.pipewright/cache/compile-v1.json';
/**
 * The pipelines' IR texts, one file per text named by its sha256 (`<sha256>.json`), next to the cache file: an entry
 * holds only the digest (under its MAC), so a warm compile, which links from headers, reads and parses a file of
 * ~17 MB instead of ~82 MB at 1,000 × 50 and never touches the IR. A text is read, and checked against the digest,
 * only when a reused unit's IR is wanted (run, plan). Files no entry names are removed when the cache is saved.
 */
export const COMPILE_IR_DIR = '.pipewright/cache/compile-ir-v1';
const IR_FILE = /^[0-9a-f]{64}\.json$/;
const FORMAT = 'pipewright-compile-cache-v1';

interface StoredOutput {
  path: string;
  sha256: string;
  /** File metadata when the bytes were known to have that sha256 (see fingerprint); absent when not yet settled. */
  stat?: string;
}

/**
 * Ticks of file timestamps are at most 10 ms on Linux (the coarse clock); a filesystem storing whole seconds (ctime
 * nanoseconds 0) gets 2 s. A file changed less than this before its metadata was read is not fingerprinted.
 */
const SETTLE_NS = 50_000_000n;
const SETTLE_WHOLE_SECONDS_NS = 2_000_000_000n;
/** Longest compile waits for just-written outputs to settle before recording their metadata. */
const MAX_SETTLE_WAIT_MS = 2_100;

function fingerprint(st: BigIntStats): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** When a write after `st` was read is sure to get another ctime: its ctime plus one timestamp tick (see SETTLE_NS). */
function settlesAt(st: BigIntStats): bigint {
  return st.ctimeNs + (st.ctimeNs % 1_000_000_000n === 0n ? SETTLE_WHOLE_SECONDS_NS : SETTLE_NS);
}

/** Whether a write after `st` was read is sure to change ctime (else the metadata may not tell that write apart). */
function settled(st: BigIntStats, nowNs: bigint): boolean {
  return nowNs >= settlesAt(st);
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** Metadata of a regular file at `path`, links not followed: the cache never vouches for a symbolic link. */
async function statFile(path: string): Promise<BigIntStats | undefined> {
  try {
    const st = await lstat(path, { bigint: true });
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

/**
 * statFile without the thread pool: a warm compile stats every output (3,001 at 1,000 pipelines), and one lstat of a
 * file whose inode is in memory takes microseconds, far less than a round trip through libuv's pool and a promise.
 */
function statFileSync(path: string): BigIntStats | undefined {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st?.isFile() ? st : undefined;
}

/** An output verified by its metadata: its text is read when first asked for (the bytes fingerprinted as `sha256`). */
function onDiskOutput(path: string, abs: string): OutputText {
  let text: string | undefined;
  return {
    path,
    get text(): string {
      text ??= readFileSync(abs, 'utf8');
      return text;
    },
  };
}

interface StoredUnit {
  /** HMAC-SHA256 (hex) of the entry's key and its other fields, under the machine-local key; set when saved. */
  mac?: string;
  file: string;
  pipeline?: string;
  nameRange?: SourceRange;
  diagnostics: Diagnostic[];
  outputs: StoredOutput[];
  header?: PipelineHeader;
  /**
   * sha256 (hex) of the JSON of the full PipelineIR, set with header. The text is the file `<irSha256>.json` of
   * COMPILE_IR_DIR, checked against this digest (which the MAC covers) when it is read: a lookup authenticates a
   * small entry, not the IR (~64 KB per 50-task pipeline).
   */
  irSha256?: string;
}

interface CacheFile {
  format: typeof FORMAT;
  version: string;
  entries: Record<string, StoredUnit>;
}

export interface CompileCacheOptions {
  /** Absolute working directory: the cache lives in `<cwd>/.pipewright/cache/`. */
  cwd: string;
  version: string;
  targets: readonly string[];
  /** The machine-local secret that authenticates entries (src/emit/cache-key.ts); never stored in the project. */
  key: Buffer;
}

export interface CompileCacheStats {
  /** Specs whose cached result was used. */
  reused: number;
  /** Specs compiled in this run (not in the cache, changed, or their outputs on disk no longer matched). */
  compiled: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isPosition(value: unknown): boolean {
  return isObject(value) && Number.isInteger(value.line) && Number.isInteger(value.column);
}

function isRange(value: unknown): value is SourceRange {
  return isObject(value) && isPosition(value.start) && isPosition(value.end);
}

function isDiagnostic(value: unknown): value is Diagnostic {
  return (
    isObject(value) &&
    typeof value.file === 'string' &&
    isRange(value.range) &&
    (value.severity === 'error' || value.severity === 'warning') &&
    typeof value.code === 'string' &&
    typeof value.message === 'string' &&
    (value.target === undefined || typeof value.target === 'string') &&
    (value.related === undefined ||
      (Array.isArray(value.related) &&
        value.related.every(
          (r) => isObject(r) && typeof r.file === 'string' && isRange(r.range) && typeof r.message === 'string',
        )))
  );
}

/** Shape check of one entry for `file` (it was read from disk: it may be damaged or not ours). */
function isStoredUnit(value: unknown, file: string): value is StoredUnit {
  if (!isObject(value) || value.file !== file) return false;
  if (value.pipeline !== undefined && typeof value.pipeline !== 'string') return false;
  if (value.nameRange !== undefined && !isRange(value.nameRange)) return false;
  if ((value.pipeline === undefined) !== (value.nameRange === undefined)) return false;
  if (!Array.isArray(value.diagnostics) || !value.diagnostics.every(isDiagnostic)) return false;
  if (
    !Array.isArray(value.outputs) ||
    !value.outputs.every(
      (o) =>
        isObject(o) &&
        typeof o.path === 'string' &&
        isSafeOutputPath(o.path) &&
        typeof o.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(o.sha256) &&
        (o.stat === undefined || (typeof o.stat === 'string' && /^\d+:\d+:\d+:\d+$/.test(o.stat))),
    )
  )
    return false;
  if ((value.header === undefined) !== (value.irSha256 === undefined)) return false;
  if (value.irSha256 !== undefined && (typeof value.irSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.irSha256)))
    return false;
  if (value.header !== undefined) {
    const h = value.header;
    if (
      !isObject(h) ||
      typeof h.name !== 'string' ||
      h.file !== file ||
      typeof h.enabled !== 'boolean' ||
      !Number.isInteger(h.concurrency) ||
      (h.schedule !== undefined && typeof h.schedule !== 'string') ||
      typeof h.specHash !== 'string' ||
      'tasks' in h
    )
      return false;
  }
  return true;
}

/** The text of a file pipewright wrote, never through a link in its last segment; undefined when unreadable. */
function readTextNoFollowSync(path: string): string | undefined {
  const fd = openNoFollowSync(path);
  if (fd === undefined) return undefined;
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The IR of a reused unit, parsed when first asked for from its file (`read`): the text must have the digest the MAC
 * vouched for (`sha256`), and the parsed IR must agree with the header. A missing or changed text is computed again
 * by `recompute` when given, else it is an error.
 */
function lazyIr(
  unit: CompiledSpec,
  read: () => string | undefined,
  sha256: string,
  header: PipelineHeader,
  recompute?: () => PipelineIR | undefined,
): void {
  let ir: PipelineIR | undefined;
  Object.defineProperty(unit, 'ir', {
    enumerable: true,
    get(): PipelineIR {
      if (ir === undefined) {
        let parsed: unknown;
        try {
          const text = read();
          parsed = text !== undefined && sha256Hex(text) === sha256 ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        const good =
          isObject(parsed) &&
          parsed.name === header.name &&
          parsed.file === header.file &&
          parsed.specHash === header.specHash &&
          Array.isArray(parsed.tasks);
        const again = good ? undefined : recompute?.();
        if (!good && again?.specHash !== header.specHash)
          throw new UserError(
            `${COMPILE_CACHE_PATH}: the stored pipeline of ${header.file} is damaged; delete the file or compile with --no-cache`,
          );
        ir = again ?? (parsed as unknown as PipelineIR);
      }
      return ir;
    },
  });
}

/** An output's text, never through a link (a link, special file or unreadable file is simply a miss). */
async function readOutput(path: string): Promise<string | undefined> {
  try {
    return await readTextNoFollow(path, path);
  } catch {
    return undefined;
  }
}

/**
 * HMAC-SHA256 (hex) of a cache entry under the machine-local `secret`: its lookup key, NUL, and the JSON of every
 * field but `mac` in their stored order (JSON.parse keeps the order JSON.stringify wrote, so a stored entry verifies).
 * The IR text is covered through its digest `irSha256`.
 */
export function entryMac(secret: Buffer, key: string, entry: object): string {
  const { mac: _mac, ...fields } = entry as { mac?: unknown };
  return createHmac('sha256', secret).update(key).update('\0').update(JSON.stringify(fields)).digest('hex');
}

export class CompileCache {
  readonly #keys: SpecCache<never>;
  readonly #path: string;
  readonly #cwd: string;
  readonly #version: string;
  /** IR texts of the units compiled in this run, by sha256: written to COMPILE_IR_DIR by save. */
  readonly #newIr = new Map<string, string>();
  /** Whether COMPILE_IR_DIR may be read (it is not a link), decided on first use. */
  #irReadable: boolean | undefined;
  #stored: Record<string, unknown> = {};
  readonly #next = new Map<string, StoredUnit>();
  /** Units returned by lookup → their entry (record keeps the entry instead of hashing the outputs again). */
  readonly #found = new WeakMap<CompiledSpec, StoredUnit>();
  /** Output path → sha256 of the bytes lookup found on disk (equal to the cached unit's output text). */
  readonly #onDisk = new Map<string, string>();
  #reused = 0;
  #compiled = 0;
  /** Set when an entry gained file metadata in this run: the file must be rewritten even if nothing was compiled. */
  #dirty = false;
  readonly #secret: Buffer;

  private constructor(options: CompileCacheOptions) {
    this.#keys = new SpecCache({ version: options.version, targets: options.targets });
    this.#path = join(options.cwd, COMPILE_CACHE_PATH);
    this.#cwd = options.cwd;
    this.#version = options.version;
    this.#secret = options.key;
  }

  /**
   * The cache of `cwd` (empty when there is no usable file), or undefined when `.pipewright/` or its `cache/` is a
   * symbolic link (no cache at all then: nothing is read or written through it). Never throws for a missing or
   * damaged file.
   */
  static async open(options: CompileCacheOptions): Promise<CompileCache | undefined> {
    const link = await linkOnTheWay(options.cwd, COMPILE_CACHE_PATH, '').catch(() => COMPILE_CACHE_PATH);
    if (link !== undefined) return undefined;
    const cache = new CompileCache(options);
    let parsed: unknown;
    try {
      const text = await readTextNoFollow(cache.#path, COMPILE_CACHE_PATH);
      if (text === undefined) return cache;
      parsed = JSON.parse(text);
    } catch {
      return cache;
    }
    if (isObject(parsed) && parsed.format === FORMAT && parsed.version === options.version && isObject(parsed.entries))
      cache.#stored = parsed.entries;
    return cache;
  }

  /**
   * The cached unit of `input`, when there is a valid entry for its current key and every output it lists is on disk
   * under `outAbs` with the recorded content: its recorded metadata matches, or its bytes have the recorded sha256
   * (those bytes become the output's text). The unit's IR is read from its file, and checked against the digest the
   * MAC covers, only when it is asked for; a missing or changed text is then computed by `recomputeIr` (the spec's
   * IR as compileSpec gives it) when the caller passes one, else it is an error.
   */
  async lookup(
    input: SpecInput,
    outAbs: string,
    recomputeIr?: () => PipelineIR | undefined,
  ): Promise<CompiledSpec | undefined> {
    if (input.rejected) return undefined;
    const key = this.#keys.key(input);
    const stored = Object.hasOwn(this.#stored, key) ? this.#stored[key] : undefined;
    // the MAC first: an entry this machine did not write is never looked at further
    if (!this.#authentic(key, stored) || !isStoredUnit(stored, input.file)) return undefined;
    const outputs: OutputText[] = [];
    const checked: StoredOutput[] = [];
    for (const o of stored.outputs) {
      const abs = join(outAbs, o.path);
      // metadata first: a write after this stat changes ctime, so the fingerprint below can never vouch for it
      const st = statFileSync(abs);
      if (st === undefined) return undefined;
      const fp = fingerprint(st);
      if (o.stat === fp) {
        outputs.push(onDiskOutput(o.path, abs));
        checked.push(o);
        continue;
      }
      const text = await readOutput(abs);
      if (text === undefined || sha256Hex(text) !== o.sha256) return undefined;
      outputs.push({ path: o.path, text });
      const renewed = settled(st, nowNs()) ? fp : undefined;
      if (renewed !== o.stat) this.#dirty = true;
      checked.push({ path: o.path, sha256: o.sha256, ...(renewed ? { stat: renewed } : {}) });
    }
    const { mac: _mac, ...fields } = stored;
    const entry: StoredUnit = { ...fields, outputs: checked };
    const unit: CompiledSpec = {
      file: input.file,
      source: input.source,
      ...(entry.pipeline !== undefined && entry.nameRange !== undefined
        ? { pipeline: entry.pipeline, nameRange: entry.nameRange }
        : {}),
      diagnostics: entry.diagnostics,
      outputs,
      ...(entry.header !== undefined ? { header: entry.header } : {}),
    };
    if (entry.header !== undefined && entry.irSha256 !== undefined) {
      const sha = entry.irSha256;
      lazyIr(unit, () => this.#readIr(sha), sha, entry.header, recomputeIr);
    }
    this.#found.set(unit, entry);
    for (const o of entry.outputs) this.#onDisk.set(o.path, o.sha256);
    return unit;
  }

  /**
   * Output path → sha256 of the bytes found on disk by lookup in this run, which equal the text of the reused unit's
   * output: the writer need not read those files again, nor the manifest hash them again.
   */
  verifiedOutputs(): ReadonlyMap<string, string> {
    return this.#onDisk;
  }

  /** Count a unit as reused (from lookup) or compiled, and keep it for the next save. */
  record(input: SpecInput, unit: CompiledSpec, reused: boolean): void {
    if (reused) this.#reused++;
    else this.#compiled++;
    if (input.rejected) return; // its placeholder source says nothing about the file: never cached
    const found = reused ? this.#found.get(unit) : undefined;
    if (found) {
      this.#next.set(this.#keys.key(input), found);
      return;
    }
    this.#next.set(this.#keys.key(input), {
      file: unit.file,
      ...(unit.pipeline !== undefined && unit.nameRange !== undefined
        ? { pipeline: unit.pipeline, nameRange: unit.nameRange }
        : {}),
      diagnostics: unit.diagnostics,
      // hashes and IR text as the compiling thread made them, when it did (streamed outputs have no text in memory)
      outputs: unit.outputs.map((o) => ({ path: o.path, sha256: o.sha256 ?? sha256Hex(o.text) })),
      ...(unit.header !== undefined && (unit.irJson !== undefined || unit.ir !== undefined)
        ? { header: unit.header, irSha256: this.#keepIr(unit.irJson ?? JSON.stringify(unit.ir)) }
        : {}),
    });
  }

  stats(): CompileCacheStats {
    return { reused: this.#reused, compiled: this.#compiled };
  }

  /**
   * Record the file metadata of every output under `outAbs` that has none yet. Only for a directory whose files were
   * just made equal to the recorded texts (compile calls it after a successful write). Outputs changed too recently to
   * be told apart from a later write are waited for (at most MAX_SETTLE_WAIT_MS, typically one tick) and left without
   * metadata if they are still not settled.
   */
  async recordWritten(outAbs: string): Promise<void> {
    const pending: { output: StoredOutput; abs: string }[] = [];
    for (const entry of this.#next.values()) {
      for (const output of entry.outputs)
        if (output.stat === undefined) pending.push({ output, abs: join(outAbs, output.path) });
    }
    const unsettled: typeof pending = [];
    let latest = 0n;
    for (const item of pending) {
      const st = await statFile(item.abs);
      if (st === undefined) continue;
      if (settled(st, nowNs())) this.#setStat(item.output, fingerprint(st));
      else {
        unsettled.push(item);
        if (settlesAt(st) > latest) latest = settlesAt(st);
      }
    }
    if (unsettled.length === 0) return;
    const waitMs = Number((latest - nowNs()) / 1_000_000n) + 1;
    if (waitMs > MAX_SETTLE_WAIT_MS) return;
    if (waitMs > 0) await sleep(waitMs);
    for (const item of unsettled) {
      const st = await statFile(item.abs);
      if (st !== undefined && settled(st, nowNs())) this.#setStat(item.output, fingerprint(st));
    }
  }

  /** Keep a compiled unit's IR text for save; its digest. */
  #keepIr(text: string): string {
    const sha = sha256Hex(text);
    this.#newIr.set(sha, text);
    return sha;
  }

  /** The stored IR text named `sha` (not yet checked against it), or undefined. */
  #readIr(sha: string): string | undefined {
    this.#irReadable ??= linkOnTheWaySync(this.#cwd, COMPILE_IR_DIR, '') === undefined;
    return this.#irReadable ? readTextNoFollowSync(join(this.#cwd, COMPILE_IR_DIR, `${sha}.json`)) : undefined;
  }

  /**
   * Write the IR texts of this run's compiled units (each atomically) and remove the files no entry names any more.
   * Failures are ignored: an entry whose text is missing or damaged is compiled again when its IR is wanted.
   */
  async #saveIr(): Promise<void> {
    const dir = join(this.#cwd, COMPILE_IR_DIR);
    makeStateDir(dir);
    for (const [sha, text] of this.#newIr) {
      const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(temp, text, { flag: 'wx' });
        await rename(temp, join(dir, `${sha}.json`));
      } catch {
        await rm(temp, { force: true }).catch(() => undefined);
      }
    }
    const named = new Set([...this.#next.values()].flatMap((e) => (e.irSha256 ? [`${e.irSha256}.json`] : [])));
    for (const name of await readdir(dir).catch(() => [] as string[]))
      if (!named.has(name) && (IR_FILE.test(name) || /^\.[0-9a-f]{12}\.tmp$/.test(name)))
        await rm(join(dir, name), { force: true }).catch(() => undefined);
  }

  #mac(key: string, entry: object): string {
    return entryMac(this.#secret, key, entry);
  }

  #authentic(key: string, stored: unknown): stored is StoredUnit {
    if (!isObject(stored) || typeof stored.mac !== 'string' || !/^[0-9a-f]{64}$/.test(stored.mac)) return false;
    return timingSafeEqual(Buffer.from(stored.mac, 'hex'), Buffer.from(this.#mac(key, stored), 'hex'));
  }

  #setStat(output: StoredOutput, fp: string): void {
    // entries may be shared with the parsed file: set on the object kept for the next save, which is this one
    output.stat = fp;
    this.#dirty = true;
  }

  /**
   * Replace the cache file with the entries recorded in this run (entries of specs not compiled now are dropped, so
   * the file does not grow without bound). Atomic; failures are ignored (read-only checkout, full disk).
   */
  async save(): Promise<void> {
    // every spec reused, no entry dropped, no metadata learnt: the file on disk already says exactly this
    if (!this.#dirty && this.#compiled === 0 && this.#next.size === Object.keys(this.#stored).length) return;
    const temp = join(dirname(this.#path), `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      makeStateDir(dirname(this.#path));
      // the directory keeps itself out of version control (never overwriting a file the user put there)
      await writeFile(join(dirname(this.#path), '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
      // the texts before the entries naming them: a crash in between leaves unnamed files, removed by the next save
      await this.#saveIr();
      const handle = await open(temp, 'wx');
      try {
        // the JSON of a CacheFile, written entry by entry: no single string of the whole file (large projects)
        const head: Omit<CacheFile, 'entries'> = { format: FORMAT, version: this.#version };
        let chunk = `${JSON.stringify(head).slice(0, -1)},"entries":{`;
        let first = true;
        for (const [key, entry] of this.#next) {
          // mac last, over the other fields in the order they are written (JSON.parse keeps that order)
          const { mac: _mac, ...fields } = entry;
          const sealed = { ...fields, mac: this.#mac(key, fields) };
          chunk += `${first ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(sealed)}`;
          first = false;
          if (chunk.length > 1 << 20) {
            await handle.writeFile(chunk, 'utf8');
            chunk = '';
          }
        }
        await handle.writeFile(`${chunk}}}`, 'utf8');
      } finally {
        await handle.close();
      }
      await rename(temp, this.#path);
    } catch {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }
}
