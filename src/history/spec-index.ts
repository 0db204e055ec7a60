import { isSpecIndexPath, parseSpecIndex, SPEC_INDEX_DIR, specIndexPath } from '../emit/spec-index.js';
import type { BlobReader } from './blob-reader.js';
import type { GitRepo } from './git.js';
import type { SpecSummary } from './unchanged.js';

/**
 * The spec index committed at a revision (src/emit/spec-index.ts: `<out>/index/<pipeline>.json`, written by compile
 * and verified by check), read as the summaries `diff` needs of specs it does not parse: repository path of the spec
 * → the blob id the entry was computed from, and the summary.
 *
 * Trust: the revision passed a full `pipewright check` (docs/gate.md), so each entry is what compile computes for the
 * spec whose path and blob id it records. An entry is used only for a spec whose path and blob id are those recorded
 * — an entry left stale, hand-edited to another content or made for another file simply does not match, and that spec
 * is parsed. Entries of another pipewright version or format, damaged ones, ones whose file name is not their
 * pipeline's, and two entries claiming one spec are all ignored.
 */
export interface IndexedSummary {
  blob: string;
  summary: SpecSummary;
}

/** A display path as compile records it: relative, POSIX, normalised. */
function isRelativePath(path: string): boolean {
  return (
    path !== '' &&
    !path.startsWith('/') &&
    !/[\\\u0000-\u001f]/.test(path) &&
    path.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
  );
}

/**
 * The index of commit `sha`: its files under `<outDir>/index/` (`outDir` repository-relative), read through the
 * command's cat-file process; spec paths in entries are relative to the project directory `projectDir`. Empty when
 * there is none (no committed output directory, a project with environments, an older build).
 */
export async function readSpecIndex(
  repo: GitRepo,
  reader: BlobReader,
  sha: string,
  projectDir: string,
  outDir: string,
): Promise<Map<string, IndexedSummary>> {
  const prefix = projectDir === '' ? '' : `${projectDir}/`;
  const out = `${outDir}/`;
  const files = (await repo.listFiles(sha, `${out}${SPEC_INDEX_DIR}`)).filter((f) =>
    isSpecIndexPath(f.path.slice(out.length)),
  );
  const contents = await Promise.all(files.map((f) => reader.read(f.blob)));
  const index = new Map<string, IndexedSummary>();
  const refused = new Set<string>();
  files.forEach((f, i) => {
    const content = contents[i];
    if (!Buffer.isBuffer(content)) return;
    const entry = parseSpecIndex(content.toString('utf8'));
    if (entry === undefined || !isRelativePath(entry.spec)) return;
    if (f.path !== `${out}${specIndexPath(entry.pipeline)}`) return;
    const path = `${prefix}${entry.spec}`;
    if (index.has(path) || refused.has(path)) {
      index.delete(path);
      refused.add(path);
      return;
    }
    index.set(path, {
      blob: entry.blob,
      summary: { ok: true, lineage: { name: entry.pipeline, file: path, readers: entry.readers } },
    });
  });
  return index;
}
