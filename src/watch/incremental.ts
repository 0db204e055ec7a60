import { relative, sep } from 'node:path';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { SpecCache } from '../emit/cache.js';
import { type CompiledSpec, type CompileOptions, compileSpec, linkSpecs, rejectedUnit } from '../emit/compile.js';
import { readManifest, type WriteReport, writeOutputs } from '../emit/write.js';
import type { TargetName } from '../targets/target.js';
import type { RebuildReport, WatchEngine } from './engine.js';
import type { SpecChange } from './snapshot.js';

export interface IncrementalOptions {
  /** Absolute working directory: display paths are relative to it. */
  cwd: string;
  /** Absolute output directory. */
  outAbs: string;
  /** Output directory as displayed (relative to cwd, POSIX), e.g. `generated`: outputs may reference it. */
  outDisplay: string;
  targets: readonly TargetName[];
  /** pipewright version (manifest, cache key). */
  version: string;
  /** Shared cache of per-spec results (default: a new one). */
  cache?: SpecCache<CompiledSpec>;
  /** compile's writer (injectable to observe writes; defaults to src/emit/write.ts writeOutputs). */
  write?: typeof writeOutputs;
}

interface Entry {
  unit: CompiledSpec;
  /** The last error-free (and unblocked) build of this spec in this session. */
  lastGood?: CompiledSpec;
  /** The spec had errors at the previous rebuild (fixing it, or its duplicate, rebuilds it). */
  failing?: boolean;
}

export function displayPath(cwd: string, path: string): string {
  return relative(cwd, path).split(sep).join('/');
}

/**
 * The watch engine: compile's own stages (compileSpec per changed spec, through the content-hash cache; linkSpecs
 * over every current unit; writeOutputs), with a per-pipeline error policy instead of compile's all-or-nothing:
 * - a spec with errors (its own, or a cross-file one naming it, e.g. a duplicate pipeline name) keeps its last good
 *   outputs on disk, untouched; every other pipeline still updates;
 * - a deleted spec's outputs are removed; a pipeline renamed inside its spec loses its old outputs;
 * - when a failing spec's last good outputs and a valid spec's fresh outputs claim the same path, the fresh win;
 * - outputs owned (manifest) before the session that no current spec produces are kept while any failing spec's
 *   previous outputs are unknown (they may be that spec's), and removed once none is.
 * Writes are incremental: after the first build only outputs whose text changed are handed to the writer, the rest
 * are passed as `keep` (so a one-spec edit in a 1,000-spec repository reads and writes a handful of files).
 */
export class IncrementalCompiler implements WatchEngine {
  readonly #entries = new Map<string, Entry>();
  readonly #cache: SpecCache<CompiledSpec>;
  readonly #compileOptions: CompileOptions;
  readonly #write: typeof writeOutputs;
  /** Output path → text known to be on disk (undefined until the first write). */
  #onDisk: Map<string, string> | undefined;
  /** Owned outputs before the session that no spec has claimed yet. */
  #unclaimed = new Set<string>();
  #linkDiagnostics = new Set<string>();

  constructor(private readonly options: IncrementalOptions) {
    this.#cache = options.cache ?? new SpecCache({ version: options.version, targets: options.targets });
    this.#compileOptions = { targets: options.targets, outDir: options.outDisplay };
    this.#write = options.write ?? writeOutputs;
  }

  get cache(): SpecCache<CompiledSpec> {
    return this.#cache;
  }

  async apply(changes: SpecChange[], initial: boolean): Promise<RebuildReport> {
    const namesBefore = this.#pipelineNames();
    const changedFiles = new Set<string>();
    for (const change of changes) {
      const file = displayPath(this.options.cwd, change.path);
      changedFiles.add(file);
      const input = change.input;
      if (change.kind === 'removed' || input === undefined) {
        this.#entries.delete(change.path);
        continue;
      }
      // a refused file (too large, not UTF-8) has a placeholder source: never cached under it
      const unit = input.rejected
        ? rejectedUnit({ ...input, file }, input.rejected)
        : this.#cache.getOrCompute({ file, source: input.source }, () =>
            compileSpec(file, input.source, this.#compileOptions),
          );
      this.#entries.set(change.path, { ...this.#entries.get(change.path), unit });
    }

    const paths = [...this.#entries.keys()].sort();
    const units = paths.map((p) => this.#entries.get(p)!.unit);
    // Cross-file diagnostics over every current spec; without targets linkSpecs emits no project file, which keeps
    // this cheap (the project files are built once below, from the pipelines as they stand on disk).
    const link = linkSpecs(units, { ...this.#compileOptions, targets: [] });
    const blocked = new Set<string>();
    for (const d of link.diagnostics) {
      if (d.severity !== 'error') continue;
      blocked.add(d.file);
      for (const r of d.related ?? []) blocked.add(r.file);
    }

    const rebuilt = new Set<string>();
    const failing: string[] = [];
    const fresh = new Map<string, string>();
    const kept = new Map<string, string>();
    let unknownPrevious = false;
    for (const path of paths) {
      const entry = this.#entries.get(path)!;
      const { unit } = entry;
      if (!hasErrors(unit.diagnostics) && !blocked.has(unit.file)) {
        entry.lastGood = unit;
        for (const o of unit.outputs) fresh.set(o.path, o.text);
        if ((changedFiles.has(unit.file) || entry.failing) && unit.pipeline !== undefined) rebuilt.add(unit.pipeline);
        entry.failing = false;
        continue;
      }
      entry.failing = true;
      failing.push(unit.file);
      if (entry.lastGood) for (const o of entry.lastGood.outputs) kept.set(o.path, o.text);
      else unknownPrevious = true;
    }
    // Files built from every pipeline (the GitLab parent) keep listing a failing pipeline as it last compiled, so
    // they stay consistent with the last good outputs kept on disk — unless a valid spec now owns that name.
    const goodNames = new Set(
      paths.flatMap((p) => (this.#entries.get(p)!.failing ? [] : [this.#entries.get(p)!.unit.pipeline])),
    );
    const effective = paths.flatMap((p) => {
      const entry = this.#entries.get(p)!;
      if (!entry.failing) return [entry.unit];
      return entry.lastGood && !goodNames.has(entry.lastGood.pipeline) ? [entry.lastGood] : [];
    });
    const projectOutputs = linkSpecs(effective, this.#compileOptions).outputs;
    for (const o of projectOutputs) fresh.set(o.path, o.text);
    const desired = new Map(fresh);
    for (const [p, text] of kept) if (!desired.has(p)) desired.set(p, text);

    const write = await this.#writeDesired(desired, unknownPrevious, initial);

    const diagnostics = sortDiagnostics([...units.flatMap((u) => u.diagnostics), ...link.diagnostics]);
    const freshDiagnostics = sortDiagnostics([
      ...units.filter((u) => initial || changedFiles.has(u.file)).flatMap((u) => u.diagnostics),
      ...link.diagnostics.filter((d) => initial || !this.#linkDiagnostics.has(diagnosticKey(d))),
    ]);
    this.#linkDiagnostics = new Set(link.diagnostics.map(diagnosticKey));
    const withDiagnostics = new Set(diagnostics.map((d) => d.file));
    const sources = new Map<string, string>();
    for (const u of units) if (withDiagnostics.has(u.file)) sources.set(u.file, u.source);

    const namesAfter = this.#pipelineNames();
    return {
      changed: [...changedFiles].sort(),
      rebuilt: [...rebuilt].sort(),
      deleted: [...namesBefore].filter((n) => !namesAfter.has(n)).sort(),
      written: [...write.written].sort(),
      removed: [...write.removed].sort(),
      failing: failing.sort(),
      diagnostics,
      fresh: freshDiagnostics,
      sources,
    };
  }

  /** Names of the pipelines currently defined (by a valid spec, or by a failing one's last good build). */
  #pipelineNames(): Set<string> {
    const names = new Set<string>();
    for (const entry of this.#entries.values()) {
      const name = entry.failing ? entry.lastGood?.pipeline : entry.unit.pipeline;
      if (name !== undefined) names.add(name);
    }
    return names;
  }

  /**
   * Hand the writer what changed. First build: every desired output (the writer compares with the disk, as compile
   * does). Later: only outputs whose text differs from what this session wrote; everything else desired is `keep`.
   */
  async #writeDesired(
    desired: ReadonlyMap<string, string>,
    unknownPrevious: boolean,
    initial: boolean,
  ): Promise<WriteReport> {
    const { outAbs, version, targets } = this.options;
    if (initial || this.#onDisk === undefined) {
      const owned = Object.keys((await readManifest(outAbs))?.files ?? {});
      this.#unclaimed = new Set(owned.filter((p) => !desired.has(p)));
    }
    for (const p of desired.keys()) this.#unclaimed.delete(p);
    const keep = new Set<string>(unknownPrevious ? this.#unclaimed : []);
    let files: Map<string, string>;
    if (this.#onDisk === undefined) {
      files = new Map(desired);
    } else {
      files = new Map();
      for (const [p, text] of desired) {
        if (this.#onDisk.get(p) === text) keep.add(p);
        else files.set(p, text);
      }
    }
    const report = await this.#write(outAbs, files, { version, targets, keep });
    this.#onDisk = new Map(desired);
    if (!unknownPrevious) this.#unclaimed.clear();
    return report;
  }
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.file}\0${d.range.start.line}:${d.range.start.column}\0${d.code}\0${d.message}`;
}
