import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.js';

/** A path into the spec value, as ajv's instancePath segments: keys and array indexes. */
export type SpecPath = readonly (string | number)[];

/**
 * One loaded spec file: the JS value plus everything needed to point at its source.
 * Produced by loadSpec (src/spec/load.ts); never throws for bad input, reports diagnostics instead.
 */
export interface SpecDocument {
  /** Path as shown to users (relative to the working directory, POSIX separators). */
  file: string;
  source: string;
  /** The parsed value, or undefined when the file could not be read safely (see diagnostics). */
  value: unknown;
  /** Loader diagnostics (PW0xx). */
  diagnostics: Diagnostic[];
  /** All comments with their ranges (for secret detection in comments). */
  comments: { text: string; range: SourceRange }[];
  /**
   * Source range of the value at `path` (or of its key with `{ key: true }`). Falls back to the nearest existing
   * ancestor, then to the start of the file: always returns a usable range.
   */
  rangeOf(path: SpecPath, options?: { key?: boolean }): SourceRange;
}

/** The value at `path` inside a spec value (own properties only), or undefined. */
export function valueAt(value: unknown, path: SpecPath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Object.hasOwn(current, segment) ? (current as Record<string | number, unknown>)[segment] : undefined;
  }
  return current;
}
