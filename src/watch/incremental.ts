import { relative, sep } from 'node:path';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { SpecCache } from '../emit/cache.js';
import {
  type CompiledSpec,
  type CompileOptions,
  compileSpec,
  type LinkResult,
  linkSpecs,
  rejectedUnit,
  settingsKey,
} from '../emit/compile.js';
import { sameLinkInputs } from '../emit/link-delta.js';
import type { Manifest } from '../emit/manifest.js';
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
  /** pipewright.yaml `kubernetes.runnerImage` (compileSettings); joins the cache key. */
  runnerImage?: string;
  /** Shared cache of per-spec results (default: a new one). */
  cache?: SpecCache<CompiledSpec>;
  /** compile's writer (injectable to observe writes; defaults to src/emit/write.ts writeOutputs). */
  write?: typeof writeOutputs;
  /** Applied to each compiled unit after the cache (the project configuration's diagnostic levels). */
  adjust?: (unit: CompiledSpec) => CompiledSpec;
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
 *
 * The common edit — every spec good before and after, the edited specs keeping their file, pipeline name and GitLab
 * parent entry (src/emit/link-delta.ts) — takes a path proportional to the change (#applyDelta): the desired-output
 * map, the manifest and the project's diagnostic list are updated by difference, never rebuilt from every pipeline
 * (at 1,000 pipelines each pass over all units or outputs costs milliseconds: they are scattered over a large heap).
 * Everything else (errors, additions, removals, renames, a failed write) takes the full path, which recomputes them.
 */
export class IncrementalCompiler implements WatchEngine {
  readonly #entries = new Map<string, Entry>();
  readonly #cache: SpecCache<CompiledSpec>;
  readonly #compileOptions: CompileOptions;
  readonly #write: typeof writeOutputs;
  /** The entries in display-path order; undefined when a spec was added or removed since it was built. */
  #order: Entry[] | undefined;
  /** Pipelines defined after the last rebuild (by a valid spec, or by a failing one's last good build). */
  #names = new Set<string>();
  /** Some spec was failing after the last rebuild. */
  #anyFailing = false;
  /** Output path → text known to be on disk (undefined until the first write); updated in place by #applyDelta. */
  #onDisk: Map<string, string> | undefined;
  /** #onDisk and #manifest are what the output directory holds: the last write succeeded. */
  #synced = false;
  /**
   * The last report's project diagnostics and sources, when that list is the concatenation of each unit's own sorted
   * diagnostics in file order (no cross-file diagnostic, none naming another file): #applyDelta replaces the segments
   * of the changed files.
   */
  #diagnostics: { list: Diagnostic[]; sources: Map<string, string> } | undefined;
  /** The manifest the writer last reported for the output directory (undefined: read it from disk). */
  #manifest: Manifest | undefined;
  /** Owned outputs before the session that no spec has claimed yet. */
  #unclaimed = new Set<string>();
  #linkDiagnostics = new Set<string>();
  /** The last link result, when the next rebuild may reuse it (every spec good, no cross-file diagnostic). */
  #lastLink: LinkResult | undefined;

  constructor(private readonly options: IncrementalOptions) {
    const settings = options.runnerImage === undefined ? {} : { runnerImage: options.runnerImage };
    this.#cache =
      options.cache ??
      new SpecCache({ version: `${options.version}${settingsKey(settings)}`, targets: options.targets });
    this.#compileOptions = { targets: options.targets, outDir: options.outDisplay, ...settings };
    this.#write = options.write ?? writeOutputs;
  }

  get cache(): SpecCache<CompiledSpec> {
    return this.#cache;
  }

  async apply(changes: SpecChange[], initial: boolean): Promise<RebuildReport> {
    const namesBefore = this.#names;
    const changedFiles = new Set<string>();
    /** Entries whose unit a change replaced, with the unit before. */
    const replaced: { entry: Entry; before: CompiledSpec }[] = [];
    // the previous link result stays valid while every change keeps its file's link inputs (src/emit/link-delta.ts)
    let linkStable = !initial && this.#lastLink !== undefined;
    for (const change of changes) {
      const file = displayPath(this.options.cwd, change.path);
      changedFiles.add(file);
      const input = change.input;
      const previous = this.#entries.get(change.path);
      if (change.kind === 'removed' || input === undefined) {
        if (this.#entries.delete(change.path)) this.#order = undefined;
        linkStable = false;
        continue;
      }
      // a refused file (too large, not UTF-8) has a placeholder source: never cached under it
      const compiled = input.rejected
        ? rejectedUnit({ ...input, file }, input.rejected)
        : this.#cache.getOrCompute({ file, source: input.source }, () =>
            compileSpec(file, input.source, this.#compileOptions),
          );
      const unit = this.options.adjust ? this.options.adjust(compiled) : compiled;
      linkStable &&= previous !== undefined && sameLinkInputs(previous.unit, unit, this.#compileOptions);
      if (previous) {
        replaced.push({ entry: previous, before: previous.unit });
        previous.unit = unit; // in place: #order holds the entry objects
      } else {
        this.#entries.set(change.path, { unit });
        this.#order = undefined;
      }
    }

    // Every spec good before and after, link inputs unchanged, the output directory as this session left it: the
    // cost of the change only. (linkStable: no addition or removal, each changed spec error-free with its file and
    // name; #lastLink: nothing failing and no cross-file diagnostic after the previous rebuild.)
    if (linkStable && this.#lastLink && this.#synced && this.#diagnostics && this.#unclaimed.size === 0)
      return this.#applyDelta(replaced, changedFiles);

    // Entries in display-path order (diagnostics are sorted by file first); kept across rebuilds until one is added or removed.
    this.#order ??= sortedEntries(this.#entries);
    const entries = this.#order;
    const units = entries.map((e) => e.unit);
    // Cross-file diagnostics over every current spec. When nothing failed before and no changed spec has errors,
    // the same call also builds the project files (every pipeline is then good, so "every unit" is what they are
    // built from); otherwise it runs without targets and the project files are linked below from what stands on disk.
    const expectGood =
      !this.#anyFailing && entries.every((e) => !changedFiles.has(e.unit.file) || !hasErrors(e.unit.diagnostics));
    const link =
      linkStable && expectGood && this.#lastLink
        ? this.#lastLink
        : linkSpecs(units, expectGood ? this.#compileOptions : { ...this.#compileOptions, targets: [] });
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
    const names = new Set<string>();
    let unknownPrevious = false;
    for (const entry of entries) {
      const { unit } = entry;
      if (!hasErrors(unit.diagnostics) && !blocked.has(unit.file)) {
        entry.lastGood = unit;
        for (const o of unit.outputs) fresh.set(o.path, o.text);
        if ((changedFiles.has(unit.file) || entry.failing) && unit.pipeline !== undefined) rebuilt.add(unit.pipeline);
        if (unit.pipeline !== undefined) names.add(unit.pipeline);
        entry.failing = false;
        continue;
      }
      entry.failing = true;
      failing.push(unit.file);
      if (entry.lastGood) {
        for (const o of entry.lastGood.outputs) kept.set(o.path, o.text);
        if (entry.lastGood.pipeline !== undefined) names.add(entry.lastGood.pipeline);
      } else unknownPrevious = true;
    }
    this.#anyFailing = failing.length > 0;
    // reusable next time only when it holds the project files and says nothing (no duplicate names anywhere)
    this.#lastLink = expectGood && failing.length === 0 && link.diagnostics.length === 0 ? link : undefined;
    let projectOutputs = link.outputs;
    if (!expectGood || failing.length > 0) {
      // Files built from every pipeline (the GitLab parent) keep listing a failing pipeline as it last compiled, so
      // they stay consistent with the last good outputs kept on disk — unless a valid spec now owns that name.
      const goodNames = new Set(entries.flatMap((e) => (e.failing ? [] : [e.unit.pipeline])));
      const effective = entries.flatMap((e) => {
        if (!e.failing) return [e.unit];
        return e.lastGood && !goodNames.has(e.lastGood.pipeline) ? [e.lastGood] : [];
      });
      const relinked = linkSpecs(effective, this.#compileOptions);
      projectOutputs = relinked.outputs;
      // every spec good again (a fix): this link covers every unit with its project files, the next edit may reuse it
      if (failing.length === 0 && relinked.diagnostics.length === 0) this.#lastLink = relinked;
    }
    for (const o of projectOutputs) fresh.set(o.path, o.text);
    const desired = fresh;
    for (const [p, text] of kept) if (!desired.has(p)) desired.set(p, text);

    const write = await this.#writeDesired(desired, unknownPrevious, initial);

    const { diagnostics, sources, segmented } = projectDiagnostics(units, link.diagnostics);
    this.#diagnostics = segmented ? { list: diagnostics, sources } : undefined;
    const freshDiagnostics = initial
      ? diagnostics
      : sortDiagnostics([
          ...units.filter((u) => changedFiles.has(u.file)).flatMap((u) => u.diagnostics),
          ...link.diagnostics.filter((d) => !this.#linkDiagnostics.has(diagnosticKey(d))),
        ]);
    this.#linkDiagnostics = new Set(link.diagnostics.map(diagnosticKey));

    this.#names = names;
    return {
      changed: [...changedFiles].sort(),
      rebuilt: [...rebuilt].sort(),
      deleted: [...namesBefore].filter((n) => !names.has(n)).sort(),
      written: [...write.written].sort(),
      removed: [...write.removed].sort(),
      failing: failing.sort(),
      diagnostics,
      fresh: freshDiagnostics,
      sources,
    };
  }

  /**
   * The rebuild of specs that stay good and keep their link inputs (see apply): the link result, the pipeline names
   * and every other spec's state stand; the changed specs' outputs replace their previous ones in the desired map
   * and on disk (only texts that differ are written, outputs no longer produced are removed), the writer patches the
   * manifest, and the changed files' diagnostics replace theirs in the project list.
   */
  async #applyDelta(
    replaced: readonly { entry: Entry; before: CompiledSpec }[],
    changedFiles: ReadonlySet<string>,
  ): Promise<RebuildReport> {
    const { outAbs, version, targets } = this.options;
    const onDisk = this.#onDisk!;
    const files = new Map<string, string>();
    const gone = new Set<string>();
    const rebuilt: string[] = [];
    for (const { entry, before } of replaced) {
      entry.lastGood = entry.unit;
      entry.failing = false;
      if (entry.unit.pipeline !== undefined) rebuilt.push(entry.unit.pipeline);
      for (const o of before.outputs) gone.add(o.path);
    }
    for (const { entry } of replaced) {
      for (const o of entry.unit.outputs) {
        gone.delete(o.path);
        if (onDisk.get(o.path) !== o.text) files.set(o.path, o.text);
      }
    }
    const known = this.#manifest!;
    // until the writer reports, what is on disk is unknown (a failed write may have changed it): the next rebuild
    // takes the full path, which compares every desired output with #onDisk and reads the manifest again
    this.#manifest = undefined;
    this.#synced = false;
    const report = await this.#write(outAbs, files, {
      version,
      targets,
      knownManifest: known,
      delta: { removed: [...gone] },
    });
    this.#manifest = report.manifest;
    for (const [path, text] of files) onDisk.set(path, text);
    for (const path of gone) onDisk.delete(path);
    this.#synced = report.manifest !== undefined;

    const { diagnostics, sources } = this.#spliceDiagnostics(replaced);
    const fresh = sortDiagnostics(replaced.flatMap(({ entry }) => entry.unit.diagnostics));
    return {
      changed: [...changedFiles].sort(),
      rebuilt: rebuilt.sort(),
      deleted: [],
      written: [...report.written].sort(),
      removed: [...report.removed].sort(),
      failing: [],
      diagnostics,
      fresh,
      sources,
    };
  }

  /**
   * The project diagnostics after `replaced` changed: each changed file's segment of the previous list (the list is
   * sorted by file first) replaced by the file's own sorted diagnostics. Copies the list and the sources (pointers,
   * no per-diagnostic work) so that earlier reports stay as they were; falls back to the full computation when a
   * changed unit has a diagnostic naming another file.
   */
  #spliceDiagnostics(replaced: readonly { entry: Entry; before: CompiledSpec }[]): {
    diagnostics: Diagnostic[];
    sources: Map<string, string>;
  } {
    let { list, sources } = this.#diagnostics!;
    let copied = false;
    for (const { entry, before } of replaced) {
      const own = ownDiagnostics(entry.unit);
      if (own === undefined) {
        this.#order ??= sortedEntries(this.#entries);
        const full = projectDiagnostics(
          this.#order.map((e) => e.unit),
          [],
        );
        this.#diagnostics = full.segmented ? { list: full.diagnostics, sources: full.sources } : undefined;
        return full;
      }
      if (own.length === 0 && before.diagnostics.length === 0) continue;
      if (!copied) {
        sources = new Map(sources);
        copied = true;
      }
      const file = entry.unit.file;
      const start = firstAtOrAfter(list, file);
      let end = start;
      while (end < list.length && list[end]!.file === file) end++;
      list = list.slice(0, start).concat(own, list.slice(end));
      if (own.length > 0) sources.set(file, entry.unit.source);
      else sources.delete(file);
    }
    this.#diagnostics = { list, sources };
    return { diagnostics: list, sources };
  }

  /**
   * Hand the writer what changed. First build: every desired output (the writer compares with the disk, as compile
   * does). Later: only outputs whose text differs from what this session wrote; everything else desired is `keep`.
   */
  async #writeDesired(desired: Map<string, string>, unknownPrevious: boolean, initial: boolean): Promise<WriteReport> {
    const { outAbs, version, targets } = this.options;
    if (initial || this.#onDisk === undefined) {
      this.#manifest = await readManifest(outAbs);
      const owned = Object.keys(this.#manifest?.files ?? {});
      this.#unclaimed = new Set(owned.filter((p) => !desired.has(p)));
    }
    if (this.#unclaimed.size > 0) for (const p of desired.keys()) this.#unclaimed.delete(p);
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
    const knownManifest = this.#manifest;
    // until the writer reports the new manifest, what is on disk is unknown (a failed write may have changed it)
    this.#manifest = undefined;
    this.#synced = false;
    const report = await this.#write(outAbs, files, {
      version,
      targets,
      keep,
      ...(knownManifest ? { knownManifest } : {}),
    });
    this.#manifest = report.manifest;
    this.#onDisk = desired;
    this.#synced = report.manifest !== undefined;
    if (!unknownPrevious) this.#unclaimed.clear();
    return report;
  }
}

/** A unit's diagnostics sorted, or undefined when one of them names another file; computed once per unit. */
const sortedOwn = new WeakMap<CompiledSpec, Diagnostic[] | undefined>();

function ownDiagnostics(unit: CompiledSpec): Diagnostic[] | undefined {
  if (sortedOwn.has(unit)) return sortedOwn.get(unit);
  const own = unit.diagnostics.every((d) => d.file === unit.file) ? sortDiagnostics(unit.diagnostics) : undefined;
  sortedOwn.set(unit, own);
  return own;
}

/**
 * Every current diagnostic, as sortDiagnostics would order the lot (file first), and the source of each file that
 * has some. Built per file from each unit's own sorted list, so a rebuild does not re-sort the whole project's
 * warnings; only a file with cross-file diagnostics is merged and sorted. `units` are in display-path order.
 */
export function projectDiagnostics(
  units: readonly CompiledSpec[],
  linkDiagnostics: readonly Diagnostic[],
): { diagnostics: Diagnostic[]; sources: Map<string, string>; segmented: boolean } {
  const linkByFile = new Map<string, Diagnostic[]>();
  for (const d of linkDiagnostics) linkByFile.set(d.file, [...(linkByFile.get(d.file) ?? []), d]);
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  let ordered = true;
  for (const unit of units) {
    const own = ownDiagnostics(unit);
    if (own === undefined) ordered = false;
    const cross = linkByFile.get(unit.file);
    linkByFile.delete(unit.file);
    const list = cross ? sortDiagnostics([...unit.diagnostics, ...cross]) : (own ?? unit.diagnostics);
    if (list.length === 0) continue;
    sources.set(unit.file, unit.source);
    for (const d of list) diagnostics.push(d);
  }
  // a diagnostic naming a file other than its unit's: fall back to sorting everything (never seen in practice)
  if (!ordered || linkByFile.size > 0) {
    const all = sortDiagnostics([...units.flatMap((u) => u.diagnostics), ...linkDiagnostics]);
    const withDiagnostics = new Set(all.map((d) => d.file));
    sources.clear();
    for (const u of units) if (withDiagnostics.has(u.file)) sources.set(u.file, u.source);
    return { diagnostics: all, sources, segmented: false };
  }
  // each file's diagnostics are its unit's own, in file order: a later rebuild may replace one file's segment
  return { diagnostics, sources, segmented: linkDiagnostics.length === 0 };
}

/** The entries in display-path order. */
function sortedEntries(entries: ReadonlyMap<string, Entry>): Entry[] {
  return [...entries.values()].sort((a, b) => (a.unit.file < b.unit.file ? -1 : a.unit.file > b.unit.file ? 1 : 0));
}

/** Index of the first diagnostic of `list` (sorted by file first) whose file is `file` or sorts after it. */
function firstAtOrAfter(list: readonly Diagnostic[], file: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.file < file) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.file}\0${d.range.start.line}:${d.range.start.column}\0${d.code}\0${d.message}`;
}
