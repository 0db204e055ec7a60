import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.js';
import { sha256Hex } from '../model/hash.js';
import type { PipelineIR } from '../model/ir.js';
import { SpecCache } from './cache.js';
import type { CompiledSpec, SpecInput } from './compile.js';
import { isSafeOutputPath } from './manifest.js';

/**
 * compile's persistent per-spec cache: `.pipewright/cache/compile-v1.json` under the working directory (git-ignored;
 * never in the output directory, which is committed). One entry per spec, keyed exactly like the in-memory SpecCache
 * (pipewright version, targets, display path, sha256 of the source), holding what link and the report need: the
 * pipeline name and the range of `metadata.name`, the diagnostics, the IR, and each output's path and sha256 — not
 * its text. A hit is used only when every output on disk still has that sha256 (the text is then the bytes just read
 * and verified); otherwise the spec is compiled again. So a warm compile reads and hashes the sources and the outputs,
 * links, and writes nothing.
 *
 * Never trusted blindly: an unreadable, unparsable or foreign file (other format, other pipewright version) is ignored
 * and rewritten; an entry is looked up only by the key of the spec as it is now, and its shape is checked before use.
 * Written atomically (temporary file + rename). Errors while writing it are ignored: a cache never fails a compile.
 */

export const COMPILE_CACHE_PATH = '.pipewright/cache/compile-v1.json';
const FORMAT = 'pipewright-compile-cache-v1';

interface StoredOutput {
  path: string;
  sha256: string;
}

interface StoredUnit {
  file: string;
  pipeline?: string;
  nameRange?: SourceRange;
  diagnostics: Diagnostic[];
  outputs: StoredOutput[];
  ir?: PipelineIR;
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
        /^[0-9a-f]{64}$/.test(o.sha256),
    )
  )
    return false;
  if (value.ir !== undefined) {
    const ir = value.ir;
    if (!isObject(ir) || typeof ir.name !== 'string' || ir.file !== file || !Array.isArray(ir.tasks)) return false;
  }
  return true;
}

async function readOutput(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export class CompileCache {
  readonly #keys: SpecCache<never>;
  readonly #path: string;
  readonly #version: string;
  #stored: Record<string, unknown> = {};
  readonly #next = new Map<string, StoredUnit>();
  /** Units returned by lookup → their entry (record keeps the entry instead of hashing the outputs again). */
  readonly #found = new WeakMap<CompiledSpec, StoredUnit>();
  /** Output path → sha256 of the bytes lookup found on disk (equal to the cached unit's output text). */
  readonly #onDisk = new Map<string, string>();
  #reused = 0;
  #compiled = 0;

  private constructor(options: CompileCacheOptions) {
    this.#keys = new SpecCache({ version: options.version, targets: options.targets });
    this.#path = join(options.cwd, COMPILE_CACHE_PATH);
    this.#version = options.version;
  }

  /** The cache of `cwd` (empty when there is no usable file). Never throws for a missing or damaged file. */
  static async open(options: CompileCacheOptions): Promise<CompileCache> {
    const cache = new CompileCache(options);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(cache.#path, 'utf8'));
    } catch {
      return cache;
    }
    if (isObject(parsed) && parsed.format === FORMAT && parsed.version === options.version && isObject(parsed.entries))
      cache.#stored = parsed.entries;
    return cache;
  }

  /**
   * The cached unit of `input`, when there is a valid entry for its current key and every output it lists is on disk
   * under `outAbs` with the recorded sha256 (those bytes become the unit's output texts).
   */
  async lookup(input: SpecInput, outAbs: string): Promise<CompiledSpec | undefined> {
    if (input.rejected) return undefined;
    const key = this.#keys.key(input);
    const entry = Object.hasOwn(this.#stored, key) ? this.#stored[key] : undefined;
    if (!isStoredUnit(entry, input.file)) return undefined;
    const outputs: { path: string; text: string }[] = [];
    for (const o of entry.outputs) {
      const text = await readOutput(join(outAbs, o.path));
      if (text === undefined || sha256Hex(text) !== o.sha256) return undefined;
      outputs.push({ path: o.path, text });
    }
    const unit: CompiledSpec = {
      file: input.file,
      source: input.source,
      ...(entry.pipeline !== undefined && entry.nameRange !== undefined
        ? { pipeline: entry.pipeline, nameRange: entry.nameRange }
        : {}),
      diagnostics: entry.diagnostics,
      outputs,
      ...(entry.ir !== undefined ? { ir: entry.ir } : {}),
    };
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
      outputs: unit.outputs.map((o) => ({ path: o.path, sha256: sha256Hex(o.text) })),
      ...(unit.ir !== undefined ? { ir: unit.ir } : {}),
    });
  }

  stats(): CompileCacheStats {
    return { reused: this.#reused, compiled: this.#compiled };
  }

  /**
   * Replace the cache file with the entries recorded in this run (entries of specs not compiled now are dropped, so
   * the file does not grow without bound). Atomic; failures are ignored (read-only checkout, full disk).
   */
  async save(): Promise<void> {
    // every spec reused and no entry dropped: the file on disk already says exactly this
    if (this.#compiled === 0 && this.#next.size === Object.keys(this.#stored).length) return;
    const temp = join(dirname(this.#path), `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(dirname(this.#path), { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        // the JSON of a CacheFile, written entry by entry: no single string of the whole file (large projects)
        const head: Omit<CacheFile, 'entries'> = { format: FORMAT, version: this.#version };
        let chunk = `${JSON.stringify(head).slice(0, -1)},"entries":{`;
        let first = true;
        for (const [key, entry] of this.#next) {
          chunk += `${first ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(entry)}`;
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
