import { hasErrors } from '../diagnostics/diagnostic.js';
import type { BlobCache } from './blob-cache.js';
import { type ReaderIndex, readerIndexOf } from './lineage.js';
import { readSpecs } from './read-specs.js';
import type { SpecSource } from './sources.js';

/**
 * What `diff` needs of a spec whose blob is the same on both sides: whether it is valid on its own (load, schema and
 * per-file rules), and its pipeline name and tasks' datasets for the lineage impact. A pure function of the blob and
 * its path, so it is cached by both (kind `unchanged-v1`).
 */
export type SpecSummary = { ok: false } | { ok: true; lineage: ReaderIndex };

const KIND = 'unchanged-v2';

export function summarizeSpec(source: SpecSource): SpecSummary {
  const side = readSpecs([source]);
  const ir = side.pipelines.values().next().value;
  if (hasErrors(side.diagnostics) || ir === undefined) return { ok: false };
  return { ok: true, lineage: readerIndexOf(ir) };
}

/** Summaries of unchanged specs, in order: from the cache when it has them, else read, parsed and remembered. */
export async function summarizeUnchanged(
  files: readonly { path: string; blob: string; read: () => Promise<SpecSource> }[],
  cache: BlobCache | undefined,
): Promise<SpecSummary[]> {
  const cached = cache ? cache.getMany<SpecSummary>(KIND, files) : [];
  const out: SpecSummary[] = [];
  const missing = files.map((f, i) => (cached[i] && isSummary(cached[i]) ? undefined : f));
  const sources = await Promise.all(missing.map((f) => f?.read()));
  for (const [i, f] of files.entries()) {
    const source = sources[i];
    if (source === undefined) {
      out.push(cached[i]!);
      continue;
    }
    const summary = summarizeSpec(source);
    cache?.set(KIND, f.blob, f.path, summary);
    out.push(summary);
  }
  await cache?.flush();
  return out;
}

/** The shape of a summary read back from the cache (sealed by this machine, but checked before use all the same). */
function isSummary(value: unknown): value is SpecSummary {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { ok?: unknown; lineage?: { name?: unknown; file?: unknown; readers?: unknown } };
  if (v.ok === false) return true;
  return (
    v.ok === true &&
    typeof v.lineage?.name === 'string' &&
    typeof v.lineage.file === 'string' &&
    Array.isArray(v.lineage.readers) &&
    v.lineage.readers.every(
      (r) =>
        Array.isArray(r) && typeof r[0] === 'string' && Array.isArray(r[1]) && r[1].every((t) => typeof t === 'string'),
    )
  );
}
