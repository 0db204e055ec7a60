import { relative, sep } from 'node:path';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { SpecCache } from '../emit/cache.js';
import type { RebuildReport, WatchEngine } from './engine.js';
import type { SpecChange } from './snapshot.js';

/** One generated file: path relative to the output directory (POSIX), full text. */
export interface OutputText {
  path: string;
  text: string;
}

/** The result of compile's per-spec stages for ONE spec file (load, validate, normalize, emit, serialize). */
export interface SpecUnit {
  /** Display path. */
  file: string;
  source: string;
  /** metadata.name when it could be read (for the status line). */
  pipeline?: string;
  /** Per-file diagnostics (loader, schema, per-document rules, target warnings). */
  diagnostics: Diagnostic[];
  /** Rendered outputs; empty when the spec has errors. */
  outputs: OutputText[];
}

/** Project-wide stages over every current unit (cheap: they only read the units). */
export interface LinkResult {
  /** Cross-file diagnostics (duplicate pipeline names, lineage). */
  diagnostics: Diagnostic[];
  /** Outputs that depend on several pipelines (e.g. a GitLab parent pipeline). */
  outputs: OutputText[];
}

export interface WriteResult {
  written: string[];
  removed: string[];
}

/**
 * compile's stages, split where the watch engine needs them. Implemented over src/emit's compile core: watch is the
 * same pipeline as `compile` with a cache in front of the per-spec part, not a second implementation.
 */
export interface CompileStages<U extends SpecUnit> {
  compileSpec(file: string, source: string): U;
  link(units: readonly U[]): LinkResult;
  /**
   * Make the output directory hold exactly `desired` (plus nothing else compile owns): writes the files whose
   * content differs, atomically, removes owned files no longer desired, keeps the manifest consistent.
   * `keep` lists owned paths to leave untouched even though they are not desired (a failing spec's last good
   * output from before this session, whose content is not known in memory).
   */
  write(desired: readonly OutputText[], keep: ReadonlySet<string>): Promise<WriteResult>;
  /** Owned output paths that belonged to `file` before this session (from the manifest), for `keep`. */
  previousOutputsOf(file: string): readonly string[];
}

export interface IncrementalOptions<U extends SpecUnit> {
  /** Absolute working directory: display paths are relative to it. */
  cwd: string;
  stages: CompileStages<U>;
  cache: SpecCache<U>;
}

interface Entry<U> {
  unit: U;
  /** Outputs of the last error-free build of this spec in this session. */
  lastGood?: OutputText[];
  /** The spec had errors at the previous rebuild (fixing it, or its duplicate, rebuilds it). */
  failing?: boolean;
}

export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return (rel === '' ? '.' : rel).split(sep).join('/');
}

/**
 * The watch engine. Policy (documented in docs/watch.md):
 * - a spec with errors (its own or a cross-file one naming it, e.g. a duplicate pipeline name) keeps its last good
 *   outputs on disk, untouched; every other pipeline still updates;
 * - a deleted spec's outputs are removed; a spec whose pipeline was renamed loses its old outputs;
 * - when a failing spec's last good outputs and a valid spec's fresh outputs claim the same path, the fresh win.
 */
export class IncrementalCompiler<U extends SpecUnit> implements WatchEngine {
  readonly #entries = new Map<string, Entry<U>>();
  #linkDiagnostics = new Set<string>();

  constructor(private readonly options: IncrementalOptions<U>) {}

  async apply(changes: SpecChange[], initial: boolean): Promise<RebuildReport> {
    const { stages, cache, cwd } = this.options;
    const changedFiles = new Set<string>();
    for (const change of changes) {
      const file = displayPath(cwd, change.path);
      changedFiles.add(file);
      if (change.kind === 'removed' || change.source === undefined) {
        this.#entries.delete(change.path);
        continue;
      }
      const source = change.source;
      const unit = cache.getOrCompute({ file, source }, () => stages.compileSpec(file, source));
      const previous = this.#entries.get(change.path);
      this.#entries.set(change.path, { ...previous, unit });
    }

    const paths = [...this.#entries.keys()].sort();
    const units = paths.map((p) => this.#entries.get(p)!.unit);
    const link = stages.link(units);
    const blocked = new Set<string>();
    for (const d of link.diagnostics) {
      if (d.severity !== 'error') continue;
      blocked.add(d.file);
      for (const r of d.related ?? []) blocked.add(r.file);
    }

    const rebuilt = new Set<string>();
    const failing: string[] = [];
    const fresh = new Map<string, OutputText>();
    const kept = new Map<string, OutputText>();
    const keep = new Set<string>();
    for (const path of paths) {
      const entry = this.#entries.get(path)!;
      const { unit } = entry;
      if (!hasErrors(unit.diagnostics) && !blocked.has(unit.file)) {
        entry.lastGood = unit.outputs;
        for (const out of unit.outputs) fresh.set(out.path, out);
        if ((changedFiles.has(unit.file) || entry.failing) && unit.pipeline !== undefined) rebuilt.add(unit.pipeline);
        entry.failing = false;
        continue;
      }
      entry.failing = true;
      failing.push(unit.file);
      if (entry.lastGood) for (const out of entry.lastGood) kept.set(out.path, out);
      else for (const owned of stages.previousOutputsOf(unit.file)) keep.add(owned);
    }
    for (const out of link.outputs) fresh.set(out.path, out);
    const desired = [...fresh.values()];
    for (const [path, out] of kept) if (!fresh.has(path)) desired.push(out);
    for (const path of fresh.keys()) keep.delete(path);
    desired.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

    const { written, removed } = await stages.write(desired, keep);

    const diagnostics = sortDiagnostics([...units.flatMap((u) => u.diagnostics), ...link.diagnostics]);
    const linkKeys = new Set(link.diagnostics.map(diagnosticKey));
    const freshDiagnostics = sortDiagnostics([
      ...units.filter((u) => initial || changedFiles.has(u.file)).flatMap((u) => u.diagnostics),
      ...link.diagnostics.filter((d) => initial || !this.#linkDiagnostics.has(diagnosticKey(d))),
    ]);
    this.#linkDiagnostics = linkKeys;
    const sources = new Map<string, string>();
    for (const u of units) if (diagnostics.some((d) => d.file === u.file)) sources.set(u.file, u.source);

    return {
      changed: [...changedFiles].sort(),
      rebuilt: [...rebuilt].sort(),
      written: [...written].sort(),
      removed: [...removed].sort(),
      failing: failing.sort(),
      diagnostics,
      fresh: freshDiagnostics,
      sources,
    };
  }
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.file}\0${d.range.start.line}:${d.range.start.column}\0${d.code}\0${d.message}`;
}
