import type { HistoryPipeline } from './diff.js';
import { readSpecs } from './read-specs.js';
import type { SpecSource } from './sources.js';

/** A spec blob at a path, parsed: its pipeline, or the first error that kept it from being one (`line:col: … [code]`). */
export interface ParsedSpec {
  ir?: HistoryPipeline;
  problem?: string;
}

/** What a worker thread sends back for one blob (src/history/spec-blob-worker.ts): the IR as JSON text. */
export interface PackedSpec {
  irJson?: string;
  problem?: string;
}

/** load → validate → normalize of one spec blob on its own (what changelog needs of it; pure, no I/O). */
export function parseSpecBlob(source: SpecSource): ParsedSpec {
  const side = readSpecs([source]);
  const error = side.diagnostics.find((d) => d.severity === 'error');
  const ir = side.pipelines.values().next().value;
  return {
    ...(ir !== undefined ? { ir } : {}),
    ...(error
      ? { problem: `${error.range.start.line}:${error.range.start.column}: ${error.message} [${error.code}]` }
      : {}),
  };
}
