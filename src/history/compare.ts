import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { PipelineIR } from '../model/ir.js';
import type { BlobCache } from './blob-cache.js';
import { type ConfigSide, readConfigSide, withOverrideChanges } from './environments.js';
import { HistoryError } from './errors.js';
import { GitRepo } from './git.js';
import { type ReaderIndex, readerIndexOf } from './lineage.js';
import { readSpecs } from './read-specs.js';
import { buildReport, type DiffReport } from './report.js';
import { blobSource, isSpecUnder, readWorktreeSources, type SpecSource } from './sources.js';
import { type IndexedSummary, readSpecIndex } from './spec-index.js';
import { type SpecSummary, summarizeUnchanged } from './unchanged.js';

export const WORKING_TREE = 'working-tree';

export interface CompareOptions {
  cwd: string;
  base: string;
  /** A revision, or undefined for the working tree. */
  head?: string;
  /** Pipelines directory relative to cwd (default `pipelines`). */
  path: string;
  /** Read every spec of both sides into `sources` (`--generated` compiles whole sides); default: changed ones only. */
  readAll?: boolean;
  /** The persistent summaries of unchanged specs (src/history/blob-cache.ts); without it they are parsed. */
  cache?: BlobCache;
  /**
   * Use the spec index the base committed in this output directory (relative to cwd; src/history/spec-index.ts) for
   * unchanged specs whose path and blob id it records, before the cache. Off when undefined.
   */
  index?: { out: string };
}

export interface Side {
  label: string;
  /** The pipelines of the specs that differ between the sides (all of them with `readAll` or invalid specs). */
  pipelines: Map<string, PipelineIR>;
  /** The spec files read: those that differ between the sides, or all of them (see `readAll`). */
  sources: SpecSource[];
}

export type CompareResult =
  | { ok: true; report: DiffReport; base: Side; head: Side }
  | {
      ok: false;
      diagnostics: Diagnostic[];
      files: number;
      sources: Map<string, string>;
      /** Which side(s) hold the invalid specs, each with its label (commit SHA or `working-tree`). */
      invalid: { side: 'base' | 'head'; label: string }[];
    };

/** A spec file of a side: its path, its blob id (undefined if unknown) and how to read it. */
interface SideFile {
  path: string;
  blob: string | undefined;
  read: () => Promise<SpecSource>;
}

/**
 * The I/O shell of `pipewright diff`: open the repository, resolve both revisions to SHAs (a shallow clone is fine
 * as long as both are in it: `diff HEAD` compares trees, it needs no history), list each side's spec files with their
 * blob ids, then the pure report.
 *
 * Work follows the change, not the repository: a spec whose path and blob id are the same on both sides is the same
 * pipeline on both sides, which the semantic diff leaves out, so only the specs that differ are read and parsed.
 * What the report still needs of the others — that they are valid, their pipeline names (a changed spec may now
 * clash with one) and their tasks' inputs/outputs (lineage impact) — is a small summary per blob, kept in the
 * persistent blob cache. When a summary says an unchanged spec is invalid, or names clash, every spec is read and
 * compared as a whole, so errors are reported exactly as before.
 */
export async function compareRevisions(options: CompareOptions): Promise<CompareResult> {
  const repo = await GitRepo.open(options.cwd);
  const baseSha = await repo.resolveNeededCommit(options.base);
  const headSha = options.head === undefined ? undefined : await repo.resolveNeededCommit(options.head);
  const dir = repo.repoPath(options.cwd, options.path);
  const labels = { base: baseSha, head: headSha ?? WORKING_TREE };
  const reader = repo.openBlobReader();
  try {
    const projectDir = repo.repoPath(options.cwd, '.');
    const configs = {
      base: await readConfigSide(repo, reader, baseSha, projectDir),
      head: await readConfigSide(repo, reader, headSha, projectDir),
    };
    const commitFiles = async (sha: string): Promise<SideFile[]> =>
      (await repo.listFiles(sha, dir))
        .filter((f) => isSpecUnder(f.path, dir))
        .map((f) => ({
          path: f.path,
          blob: f.blob,
          read: async () => blobSource(f.path, `${sha.slice(0, 12)}:${f.path}`, await reader.read(f.blob)),
        }));
    const baseFiles = await commitFiles(baseSha);
    const headFiles =
      headSha === undefined
        ? (await readWorktreeSources(repo.root, dir)).map((s) => ({ path: s.path, blob: s.blob, read: async () => s }))
        : await commitFiles(headSha);
    if (baseFiles.length === 0 && headFiles.length === 0) {
      // Most likely a wrong --path: comparing two empty sides would report "no changes" and pass a gate.
      throw new HistoryError(
        `no spec files under ${dir || '.'}/ at ${baseSha.slice(0, 12)} nor at ${headSha?.slice(0, 12) ?? 'the working tree'} (check --path)`,
      );
    }
    const readAll = async (files: readonly SideFile[]) => Promise.all(files.map((f) => f.read()));
    const whole = async () => compareSources(labels, configs, await readAll(baseFiles), await readAll(headFiles));
    // A changed pipewright.yaml may change any pipeline through its overrides (withOverrideChanges compiles every
    // head spec with both configurations): the whole sides are needed then.
    if (options.readAll || overridesMayDiffer(configs)) return await whole();

    const baseBlobs = new Map(baseFiles.map((f) => [f.path, f.blob]));
    const same = new Set(
      headFiles.filter((f) => f.blob !== undefined && baseBlobs.get(f.path) === f.blob).map((f) => f.path),
    );
    const baseChanged = await readAll(baseFiles.filter((f) => !same.has(f.path)));
    const headChanged = await readAll(headFiles.filter((f) => !same.has(f.path)));
    const unchanged = headFiles.filter((f) => same.has(f.path));
    const summaries = await summarizeWithIndex(
      unchanged,
      async () =>
        options.index === undefined || unchanged.length === 0
          ? new Map()
          : readSpecIndex(repo, reader, baseSha, projectDir, repo.repoPath(options.cwd, options.index.out)),
      options.cache,
    );
    const base = readSpecs(baseChanged);
    const head = readSpecs(headChanged);
    if (hasErrors(base.diagnostics) || hasErrors(head.diagnostics) || !provablyValid(summaries, base, head)) {
      // Report every spec's problems exactly as a whole-side comparison does.
      return await whole();
    }
    const readers: ReaderIndex[] = [...head.pipelines.values()].map(readerIndexOf);
    for (const s of summaries) if (s.ok) readers.push(s.lineage);
    const sides = {
      base: { label: labels.base, pipelines: base.pipelines, sources: baseChanged },
      head: { label: labels.head, pipelines: head.pipelines, sources: headChanged },
    };
    return { ok: true, report: buildReport(sides.base, { ...sides.head, readers }), ...sides };
  } finally {
    await reader.close();
  }
}

/**
 * Summaries of the unchanged specs, in order: from the base's spec index where an entry records the spec's path and
 * blob id, the rest from the cache or parsed (summarizeUnchanged).
 */
async function summarizeWithIndex(
  unchanged: readonly SideFile[],
  index: () => Promise<Map<string, IndexedSummary>>,
  cache: BlobCache | undefined,
): Promise<SpecSummary[]> {
  const indexed = await index();
  const fromIndex = unchanged.map((f) => {
    const entry = indexed.get(f.path);
    return entry !== undefined && entry.blob === f.blob ? entry.summary : undefined;
  });
  const rest = unchanged.filter((_, i) => fromIndex[i] === undefined);
  const summarized = await summarizeUnchanged(
    rest.map((f) => ({ path: f.path, blob: f.blob!, read: f.read })),
    cache,
  );
  let next = 0;
  return fromIndex.map((s) => s ?? summarized[next++]!);
}

/**
 * Whether the sides are valid as a whole, knowing the changed specs are: every unchanged spec is valid on its own and
 * no pipeline name is defined twice on a side (the one rule that looks across files, src/spec/rules/duplicate-pipeline-name.ts).
 */
function provablyValid(
  summaries: readonly SpecSummary[],
  base: { pipelines: ReadonlyMap<string, PipelineIR> },
  head: { pipelines: ReadonlyMap<string, PipelineIR> },
): boolean {
  const names = new Set<string>();
  for (const s of summaries) {
    if (!s.ok || names.has(s.lineage.name)) return false;
    names.add(s.lineage.name);
  }
  for (const side of [base, head]) for (const name of side.pipelines.keys()) if (names.has(name)) return false;
  return true;
}

/**
 * Whether withOverrideChanges can add anything: both sides have a configuration, and it changed. Otherwise it
 * returns the report as it is, so the changed specs alone make the whole report.
 */
function overridesMayDiffer(configs: { base: ConfigSide; head: ConfigSide }): boolean {
  const { base, head } = configs;
  return base?.config !== undefined && head?.config !== undefined && base.source !== head.source;
}

/** Both sides read in full: load, validate and normalise each, then the report (or every side's diagnostics). */
function compareSources(
  labels: { base: string; head: string },
  configs: { base: ConfigSide; head: ConfigSide },
  baseSources: SpecSource[],
  headSources: SpecSource[],
): CompareResult {
  const base = readSpecs(baseSources);
  const head = readSpecs(headSources);
  const diagnostics = [...base.diagnostics, ...head.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) {
    const all = [...baseSources, ...headSources];
    const invalid: { side: 'base' | 'head'; label: string }[] = [];
    if (hasErrors(base.diagnostics)) invalid.push({ side: 'base', label: labels.base });
    if (hasErrors(head.diagnostics)) invalid.push({ side: 'head', label: labels.head });
    return {
      ok: false,
      diagnostics: sortDiagnostics(diagnostics),
      files: all.length,
      sources: new Map(all.map((s) => [s.display, s.source])),
      invalid,
    };
  }
  const sides = {
    base: { label: labels.base, pipelines: base.pipelines, sources: baseSources },
    head: { label: labels.head, pipelines: head.pipelines, sources: headSources },
  };
  // Environment overrides changed in pipewright.yaml: their changes, attributed to the environment (an invalid
  // configuration on either side is the commands' business: compile and check report it).
  const report = withOverrideChanges(buildReport(sides.base, sides.head), {
    base: { ...sides.base, config: configs.base },
    head: { ...sides.head, config: configs.head },
  });
  return { ok: true, report, ...sides };
}
