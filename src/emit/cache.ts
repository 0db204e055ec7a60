import { sha256Hex } from '../model/hash.js';

/**
 * Content-addressed cache of per-spec compile results (load + validate + normalize + emit + serialize of ONE file).
 * Those stages are pure functions of the spec's source text, its display path (it appears in diagnostics and in
 * `PipelineIR.file`), the selected targets and the pipewright version (rules, schema and emitters change between
 * versions), so exactly those make the key: a hit is by construction the value the pipeline would compute again.
 * Results are shared, never copied: callers must treat them as immutable.
 */
export interface SpecCacheKeyInput {
  /** Display path of the spec (as in diagnostics). */
  file: string;
  source: string;
}

export interface SpecCacheOptions {
  /** pipewright version: a new version never reuses an old result. */
  version: string;
  /** Targets the results were compiled for (order-insensitive). */
  targets: readonly string[];
  /** Entries kept, least recently used evicted first (default 10,000). */
  maxEntries?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
}

export class SpecCache<R> {
  readonly #prefix: string;
  readonly #max: number;
  readonly #entries = new Map<string, R>();
  #hits = 0;
  #misses = 0;

  constructor(options: SpecCacheOptions) {
    // NUL separates the parts: no version, target or path contains it, so distinct inputs never share a key.
    this.#prefix = `${options.version}\0${[...options.targets].sort().join(',')}\0`;
    this.#max = options.maxEntries ?? 10_000;
  }

  /** sha256 over version, targets, display path and sha256(source). */
  key(input: SpecCacheKeyInput): string {
    // the source enters as its own fixed-length hash, so where the path ends and the source begins is unambiguous
    return sha256Hex(`${this.#prefix}${input.file}\0${sha256Hex(input.source)}`);
  }

  get(input: SpecCacheKeyInput): R | undefined {
    const key = this.key(input);
    const hit = this.#entries.get(key);
    if (hit === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    // re-insert: Map iteration order is insertion order, so the first key is always the least recently used
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  set(input: SpecCacheKeyInput, result: R): void {
    const key = this.key(input);
    this.#entries.delete(key);
    this.#entries.set(key, result);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** The cached result, or `compute()`'s (then cached). */
  getOrCompute(input: SpecCacheKeyInput, compute: () => R): R {
    const hit = this.get(input);
    if (hit !== undefined) return hit;
    const result = compute();
    this.set(input, result);
    return result;
  }

  stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }
}
