import { type Diagnostic, hasErrors, type SourceRange, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { applyEnvironment, type ConfigLocator, originOf, type ResolvedEnvironment } from '../model/environments.js';
import { type PipelineHeader, type PipelineIR, pipelineHeader } from '../model/ir.js';
import { normalizePipeline } from '../model/normalize.js';
import { type SpecDocument, type SpecPath, valueAt } from '../spec/document.js';
import { loadSpec } from '../spec/load.js';
import { RULES } from '../spec/rules/index.js';
import { estimatePipelineSize, MAX_OUTPUT_BYTES, tooLargeMessage } from '../spec/rules/pipeline-too-large.js';
import type { CheckedDocument, Rule } from '../spec/rules/rule.js';
import type { PipelineSpec } from '../spec/types.js';
import { validateSpecs } from '../spec/validate.js';
import { TARGET_DEFINITIONS } from '../targets/index.js';
import { TARGETS, type TargetName, type TargetWarning } from '../targets/target.js';
import { serializeYamlMemo } from './memo.js';
import { serializeYaml } from './serialize.js';
import { specIndexOutput } from './spec-index.js';

/**
 * compile's pure core, split where caching needs it (see src/emit/cache.ts and src/watch/incremental.ts):
 * - compileSpec(file, source): everything that depends on ONE spec file — load, validate (per-document rules),
 *   normalize, emit every target, serialize. A pure function of (file, source, targets, pipewright version).
 * - linkSpecs(units): the cross-file part — rules that look at every spec (duplicate pipeline names), output path
 *   clashes, and files built from every pipeline (the GitLab parent pipeline). Cheap: it only reads the units.
 * - compileSources(inputs) = link(inputs.map(compileSpec)): what `compile` and `check` call.
 * No I/O here: reading specs and writing outputs are the CLI's edges (src/emit/project.ts, src/emit/write.ts).
 */

/**
 * One generated file: path relative to the output directory (POSIX), full text. `text` may be a getter that reads
 * the text on first use (compile's persistent cache hands out outputs it verified on disk that way, see
 * src/emit/compile-cache.ts).
 */
export interface OutputText {
  readonly path: string;
  readonly text: string;
  /** sha256 of `text`, when already known (outputs streamed to the staging area; the writer and cache use it). */
  readonly sha256?: string;
  /** Absolute path of the staging file holding `text` (src/emit/staging.ts): the writer renames it into place. */
  readonly staged?: string;
}

/**
 * Output path → text, as a read-only view over OutputText values: a text is taken from its output only when it is
 * asked for (get, values, entries, iteration), so outputs nobody reads are never materialised (a warm compile writes
 * nothing and never reads the outputs it verified by their file metadata).
 */
export class OutputFiles implements ReadonlyMap<string, string> {
  readonly #outputs: ReadonlyMap<string, OutputText>;

  constructor(outputs: Iterable<OutputText> = []) {
    const byPath = new Map<string, OutputText>();
    for (const o of outputs) byPath.set(o.path, o);
    this.#outputs = byPath;
  }

  get size(): number {
    return this.#outputs.size;
  }

  has(path: string): boolean {
    return this.#outputs.has(path);
  }

  get(path: string): string | undefined {
    return this.#outputs.get(path)?.text;
  }

  keys(): MapIterator<string> {
    return this.#outputs.keys();
  }

  /** The outputs themselves, their texts not read (to combine results, or to find staged files). */
  outputs(): MapIterator<OutputText> {
    return this.#outputs.values();
  }

  *values(): MapIterator<string> {
    for (const o of this.#outputs.values()) yield o.text;
  }

  *entries(): MapIterator<[string, string]> {
    for (const [path, o] of this.#outputs) yield [path, o.text];
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  forEach(callback: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    for (const [path, text] of this.entries()) callback.call(thisArg, text, path, this);
  }
}

export interface SpecInput {
  /** Display path (relative to the working directory, POSIX). */
  file: string;
  source: string;
  /** Set when the file was refused before loading (too large, not UTF-8): its document carries the diagnostic. */
  rejected?: SpecDocument;
}

export interface CompileOptions {
  targets: readonly TargetName[];
  /** Compile every spec as it runs in this environment of pipewright.yaml (src/model/environments.ts). */
  environment?: { resolved: ResolvedEnvironment; locator: ConfigLocator };
  /** Output directory as seen from the repository root (POSIX), for files that reference other outputs. */
  outDir: string;
  /**
   * Directory of every output path inside the output directory, with its `/` (`prod/`: an environment's tree when a
   * project compiles all of them, see compileEnvironments in src/emit/project.ts). Default: none.
   */
  outputPrefix?: string;
  /** pipewright.yaml `kubernetes.runnerImage` (EmitOptions). */
  runnerImage?: string;
}

/** The settings of a project that change what compile writes (they join the compile caches' keys). */
export function compileSettings(config: { kubernetes?: { runnerImage?: string } } | undefined): {
  runnerImage?: string;
} {
  const image = config?.kubernetes?.runnerImage;
  return image === undefined ? {} : { runnerImage: image };
}

/** A cache version that changes with the settings: outputs of another runner image are never reused. */
export function settingsKey(settings: { runnerImage?: string }): string {
  return settings.runnerImage === undefined ? '' : `+image=${settings.runnerImage}`;
}

/** Result of the per-spec stages for one file. Treat as immutable (it may be shared through a cache). */
export interface CompiledSpec {
  file: string;
  source: string;
  /** metadata.name when the document could be read. */
  pipeline?: string;
  /** Loader, schema and per-document rule diagnostics, plus positioned target warnings. Sorted. */
  diagnostics: Diagnostic[];
  /** Rendered outputs; empty when the spec has errors. */
  outputs: OutputText[];
  /**
   * Range of `metadata.name`, set with `pipeline` (the document passed the loader and the schema): all the cross-file
   * rules need (see linkDocument). The loaded document itself (yaml Document, parsed value) is not kept: a project
   * compile holds every unit until link, and keeping each spec's syntax tree alive dominated its memory and GC time.
   */
  nameRange?: SourceRange;
  /**
   * Set when the spec has no errors (except in units compileAndWrite streamed without the cache, see irJson). May be a
   * getter that loads it on first use (compile's persistent cache stores it as text: a warm compile links from
   * headers and never needs the tasks).
   */
  ir?: PipelineIR;
  /** The IR without its tasks, set with `ir`: all link and the project summary need. */
  header?: PipelineHeader;
  /**
   * `ir` as JSON text, when the unit was compiled on a worker thread or for streaming (src/emit/spec-task.ts): `ir` is
   * then parsed from it when first read, and the compile cache stores it as is. Units compiled for writing without
   * the cache keep neither (compileAndWrite does not need the IR, and a large project could not hold them all).
   */
  irJson?: string;
}

export interface LinkResult {
  /** Cross-file diagnostics (duplicate pipeline names, output path clashes). */
  diagnostics: Diagnostic[];
  /** Outputs built from several pipelines. */
  outputs: OutputText[];
}

export interface CompileResult {
  /** Every diagnostic, sorted. */
  diagnostics: Diagnostic[];
  /** Output path → text, sorted by path; empty when there is any error (all-or-nothing). */
  files: OutputFiles;
  /** The pipelines compiled (error-free specs), sorted by name; the full IR of each is its unit's `ir`. */
  pipelines: PipelineHeader[];
  units: CompiledSpec[];
}

export const PER_DOCUMENT_RULES: Rule[] = RULES.filter((r) => r.check).map((r) => ({
  name: r.name,
  ...(r.codes ? { codes: r.codes } : {}),
  check: r.check!.bind(r),
}));
export const CROSS_FILE_RULES: Rule[] = RULES.filter((r) => r.checkAll);
/** The cross-file rules linkDocument is built for (test/emit/compile-cache.test.ts fails when another one appears). */
export const CROSS_FILE_RULE_NAMES: readonly string[] = CROSS_FILE_RULES.map((r) => r.name);

export const NAME_PATH = ['metadata', 'name'] as const;

function isNamePath(path: SpecPath): boolean {
  return path.length === 2 && path[0] === NAME_PATH[0] && path[1] === NAME_PATH[1];
}

/**
 * What a cross-file rule sees of a unit: its file, its pipeline name and where that name is written. The only
 * cross-file rule (duplicate-pipeline-name) reads exactly `spec.metadata.name`, `doc.file` and
 * `doc.rangeOf(['metadata', 'name'])`; the view's value holds only the name, so any other path falls back to the
 * start of the file, as rangeOf does for a path that does not exist. A new cross-file rule needing more must extend
 * this view (and CompiledSpec) — a test pins the set of cross-file rules to make that visible.
 */
export function linkDocument(unit: CompiledSpec): CheckedDocument[] {
  const { pipeline, nameRange } = unit;
  if (pipeline === undefined || nameRange === undefined) return [];
  const value = { metadata: { name: pipeline } };
  const fileStart: SourceRange = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  const doc: SpecDocument = {
    file: unit.file,
    source: unit.source,
    value,
    diagnostics: [],
    comments: [],
    rangeOf: (path) => (isNamePath(path) ? nameRange : fileStart),
  };
  return [{ doc, spec: value as PipelineSpec }];
}

function selectedTargets(targets: readonly TargetName[]): TargetName[] {
  return TARGETS.filter((t) => targets.includes(t));
}

/**
 * Emitters point warnings at the task's own field (`spec.tasks.<id>.timeout`); when the task inherits that field from
 * `spec.defaults`, the warning belongs there (and identical warnings then collapse into one).
 */
export function warningPath(spec: PipelineSpec, path: SpecPath): SpecPath {
  if (path[0] === 'spec' && path[1] === 'tasks' && path.length > 3 && valueAt(spec, path) === undefined) {
    const inherited = ['spec', 'defaults', ...path.slice(3)];
    if (valueAt(spec, inherited) !== undefined) return inherited;
  }
  return path;
}

function warningDiagnostic(
  doc: SpecDocument,
  spec: PipelineSpec,
  warning: TargetWarning,
  target: TargetName,
): Diagnostic {
  return {
    file: doc.file,
    range: doc.rangeOf(warningPath(spec, warning.path)),
    severity: 'warning',
    code: warning.code,
    message: warning.message,
    target,
  };
}

/**
 * The spec document as it runs in an environment: the overlaid value, and ranges that point into pipewright.yaml for
 * every value an override set. Those ranges are markers (lines past any real file) that `remap` turns into the
 * override's position, so every rule and target warning reports a bad override where it is written.
 */
function overlaidDocument(
  doc: SpecDocument,
  environment: NonNullable<CompileOptions['environment']>,
): { doc: SpecDocument; overrideDiagnostics: Diagnostic[]; remap: (d: Diagnostic) => Diagnostic } {
  const spec = doc.value as PipelineSpec;
  const overlaid = applyEnvironment(spec, environment.resolved, environment.locator);
  const markers: { path: SpecPath; key: boolean }[] = [];
  const MARK = 1_000_000_000;
  const rangeOf: SpecDocument['rangeOf'] = (path, opts) => {
    const configPath = originOf(overlaid.origins, path);
    if (configPath === undefined) return doc.rangeOf(path, opts);
    markers.push({ path: configPath, key: opts?.key === true });
    const line = MARK + markers.length - 1;
    return { start: { line, column: 1 }, end: { line, column: 1 } };
  };
  const remap = (d: Diagnostic): Diagnostic => {
    if (d.range.start.line < MARK) return d;
    const m = markers[d.range.start.line - MARK]!;
    return { ...d, file: environment.locator.file, range: environment.locator.rangeOf(m.path, { key: m.key }) };
  };
  return { doc: { ...doc, value: overlaid.spec, rangeOf }, overrideDiagnostics: overlaid.diagnostics, remap };
}

export function compileSpec(file: string, source: string, options: CompileOptions): CompiledSpec {
  const loaded = loadSpec(file, source);
  const environment = options.environment;
  let doc = loaded;
  let remap = (d: Diagnostic) => d;
  let overrideDiagnostics: Diagnostic[] = [];
  if (environment && loaded.value !== undefined && !hasErrors(loaded.diagnostics)) {
    // Only a spec that is valid on its own gets overlaid: its own errors are reported at its own lines.
    const own = validateSpecs([loaded], PER_DOCUMENT_RULES);
    if (own.checked[0] && !hasErrors(own.diagnostics)) {
      ({ doc, remap, overrideDiagnostics } = overlaidDocument(loaded, environment));
    }
  }
  const compiled = compileDocument(file, source, doc, options);
  const diagnostics = sortDiagnostics([...overrideDiagnostics, ...compiled.diagnostics.map(remap)]);
  if (!hasErrors(diagnostics)) return { ...compiled, diagnostics };
  const { ir: _ir, header: _header, ...failed } = compiled;
  return { ...failed, diagnostics, outputs: [] };
}

function compileDocument(file: string, source: string, doc: SpecDocument, options: CompileOptions): CompiledSpec {
  const validation = validateSpecs([doc], PER_DOCUMENT_RULES);
  const checked = validation.checked[0];
  const base = {
    file,
    source,
    ...(checked ? { pipeline: checked.spec.metadata.name, nameRange: doc.rangeOf(NAME_PATH) } : {}),
  };
  if (!checked || hasErrors(validation.diagnostics))
    return { ...base, diagnostics: validation.diagnostics, outputs: [] };

  const env = options.environment?.resolved;
  const ir = normalizePipeline(
    checked.spec,
    file,
    env === undefined
      ? undefined
      : {
          name: env.name,
          ...(env.namespace !== undefined ? { namespace: env.namespace } : {}),
          ...(env.runnerImage !== undefined ? { runnerImage: env.runnerImage } : {}),
        },
  );
  const diagnostics = [...validation.diagnostics];
  const outputs: OutputText[] = [];
  for (const target of selectedTargets(options.targets)) {
    const emitted = TARGET_DEFINITIONS[target].emit(
      ir,
      options.runnerImage === undefined ? {} : { runnerImage: options.runnerImage },
    );
    for (const w of emitted.warnings) diagnostics.push(warningDiagnostic(doc, checked.spec, w, target));
    for (const f of emitted.files)
      outputs.push({ path: `${options.outputPrefix ?? ''}${f.path}`, text: serializeYaml(f) });
  }
  // validate's PW219 estimate is meant to be an upper bound; should the real output exceed the cap anyway, refuse it
  // here with the same code rather than write it.
  const bytes = outputs.reduce((sum, o) => sum + o.text.length, 0);
  if (bytes > MAX_OUTPUT_BYTES) {
    const size = { ...estimatePipelineSize(checked.spec), outputBytes: bytes };
    diagnostics.push({
      file,
      range: doc.rangeOf(['spec', 'tasks'], { key: true }),
      severity: 'error',
      code: 'PW219',
      message: tooLargeMessage(checked.spec.metadata.name, size)!,
    });
    return { ...base, diagnostics: sortDiagnostics(diagnostics), outputs: [] };
  }
  // the spec index (what diff needs of an unchanged spec, src/emit/spec-index.ts); not per environment: the overlaid
  // spec is not the file's, and a project with environments writes none
  if (env === undefined) outputs.push(specIndexOutput(file, source, ir));
  return { ...base, ir, header: pipelineHeader(ir), diagnostics: sortDiagnostics(diagnostics), outputs };
}

export function linkSpecs(units: readonly CompiledSpec[], options: CompileOptions): LinkResult {
  const checked = units.flatMap(linkDocument);
  const diagnostics: Diagnostic[] = CROSS_FILE_RULES.flatMap((rule) => rule.checkAll!(checked));
  const blocked = new Set(
    diagnostics.filter((d) => d.severity === 'error').flatMap((d) => [d.file, ...(d.related ?? []).map((r) => r.file)]),
  );
  const headers = units
    .filter((u) => u.header !== undefined && !blocked.has(u.file) && !hasErrors(u.diagnostics))
    .map((u) => u.header!)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const outputs: OutputText[] = [];
  for (const target of selectedTargets(options.targets)) {
    for (const f of TARGET_DEFINITIONS[target].emitProject?.(headers, { outDir: options.outDir }) ?? []) {
      // memoized: a project file changes only with the set of pipelines, not with every edit of one
      outputs.push({ path: `${options.outputPrefix ?? ''}${f.path}`, text: serializeYamlMemo(f) });
    }
  }

  // Output paths derive from pipeline names, so two specs can only clash when the duplicate-name rule reported them
  // (they are blocked above). A clash anyway is a bug in an emitter, not something to let one side silently win.
  const seen = new Set(outputs.map((o) => o.path));
  for (const unit of units) {
    if (blocked.has(unit.file)) continue;
    for (const o of unit.outputs) {
      if (seen.has(o.path)) throw new Error(`linkSpecs: output ${o.path} is produced twice (last by ${unit.file})`);
      seen.add(o.path);
    }
  }
  return { diagnostics: sortDiagnostics(diagnostics), outputs };
}

/** The unit of a file refused before loading (too large, not UTF-8): its rejection is its only diagnostic. */
export function rejectedUnit(input: SpecInput, rejected: SpecDocument): CompiledSpec {
  return { file: input.file, source: input.source, diagnostics: [...rejected.diagnostics], outputs: [] };
}

/** The whole pure pipeline over in-memory sources. Pass `compile` to put a cache (SpecCache) in front of compileSpec. */
export function compileSources(
  inputs: readonly SpecInput[],
  options: CompileOptions,
  compile: (file: string, source: string) => CompiledSpec = (file, source) => compileSpec(file, source, options),
): CompileResult {
  const units = [...inputs]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((i) => (i.rejected ? rejectedUnit(i, i.rejected) : compile(i.file, i.source)));
  const link = linkSpecs(units, options);
  const diagnostics = sortDiagnostics([...units.flatMap((u) => u.diagnostics), ...link.diagnostics]);
  const pipelines = units
    .flatMap((u) => (u.header ? [u.header] : []))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (hasErrors(diagnostics)) return { diagnostics, files: new OutputFiles(), pipelines, units };
  const files = new OutputFiles(
    [...units.flatMap((u) => u.outputs), ...link.outputs].sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    ),
  );
  return { diagnostics, files, pipelines, units };
}
