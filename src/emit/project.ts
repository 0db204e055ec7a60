import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { VERSION } from '../cli/main.js';
import { applyLevels, hasLevels } from '../config/levels.js';
import type { ProjectConfig } from '../config/types.js';
import { type Diagnostic, hasErrors, sortDiagnostics, UserError } from '../diagnostics/diagnostic.js';
import {
  type ConfigLocator,
  environmentNames,
  type ResolvedEnvironment,
  resolveEnvironment,
  UNLOCATED_CONFIG,
  unknownPipelines,
} from '../model/environments.js';
import { discoverSpecs } from '../spec/discover.js';
import { MAX_SPEC_BYTES, rejectedSpec, tooLargeMessage } from '../spec/load.js';
import { linkMessage, linkOnTheWay, linkOnTheWaySync, readNoFollow, readTextNoFollow } from '../spec/no-follow.js';
import type { TargetName } from '../targets/target.js';
import { buildId } from './build-id.js';
import { cacheKeyFile, loadCacheKey } from './cache-key.js';
import { type CheckInput, type CheckReport, compareOutputs } from './check.js';
import {
  type CompiledSpec,
  type CompileOptions,
  type CompileResult,
  compileSettings,
  compileSources,
  compileSpec,
  OutputFiles,
  type OutputText,
  type SpecInput,
  settingsKey,
} from './compile.js';
import { CompileCache, type CompileCacheStats } from './compile-cache.js';
import { buildManifest, MANIFEST_PATH, serializeManifest } from './manifest.js';
import { compileEach, compileJobs } from './parallel.js';
import { resolveJobs } from './pool.js';
import { StagingArea } from './staging.js';
import { readManifest, type WriteReport, writeOutputs } from './write.js';

/**
 * The I/O edge of compile and check: find and read specs, resolve the output directory, call the pure core
 * (src/emit/compile.ts), then write (src/emit/write.ts) or compare (src/emit/check.ts).
 */

export interface ProjectOptions {
  /** Spec files or directories as given on the command line (relative to cwd or absolute). */
  paths: readonly string[];
  /** Absolute working directory (the repository root): display paths are relative to it. */
  cwd: string;
  /** Output directory, relative to cwd (or absolute inside it). */
  out: string;
  targets: readonly TargetName[];
  /** Per-spec compile function to use instead of the default (a cache in front of compileSpec). */
  compile?: (file: string, source: string) => CompiledSpec;
  /**
   * Reuse per-spec results from the persistent cache (`.pipewright/cache/compile-v1.json` under cwd, see
   * src/emit/compile-cache.ts) and update it. Off by default; the compile and check commands turn it on unless
   * `--no-cache`.
   */
  useCache?: boolean;
  /** The project configuration: its per-code levels apply to the diagnostics (src/config/levels.ts). */
  config?: ProjectConfig;
  /** Where pipewright.yaml's values are written: needed when it declares environments (positions of overrides). */
  configSource?: ConfigLocator & { source: string };
  /**
   * Compile only this environment (validated by the caller), with output paths relative to `<out>/<environment>`: what
   * `run`, `plan`/`apply` read. Without it a project with environments compiles all of them, paths `<env>/<target>/…`.
   */
  environment?: string;
  /**
   * Environment that locates the cache's machine-local key (src/emit/cache-key.ts; default process.env). Without
   * HOME or XDG_CACHE_HOME there is no key and no persistent cache.
   */
  env?: Record<string, string | undefined>;
  /**
   * Threads for the per-spec stages (src/emit/parallel.ts): a number (1 = main thread only, the default), or 'auto'
   * (one per available CPU when the specs are large enough to gain from it; resolveJobs in src/emit/pool.ts). A
   * project with environments runs every spec in every environment on the same threads.
   */
  jobs?: number | 'auto';
}

/** A reason to stop before doing anything (bad --out): the CLI turns it into a UserError. */
export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectError';
  }
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function isOutside(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

function isInsideOrEqual(child: string, parent: string): boolean {
  return !isOutside(relative(parent, child));
}

/** Directory names spec discovery never enters (src/spec/discover.ts): an output directory below one is safe. */
function skippedByDiscovery(segment: string): boolean {
  return segment.startsWith('.') || segment === 'generated' || segment === 'node_modules';
}

export interface ResolvedOut {
  /** Absolute path. */
  abs: string;
  /** Relative to cwd, POSIX (e.g. `generated`). */
  display: string;
}

/**
 * The output directory must be a proper subdirectory of the working directory and must not hold a spec path: compile
 * deletes files there, and it must never be able to reach the specs or anything outside the project. It may lie inside
 * a spec directory only below a directory that discovery skips (`pipewright compile .` writes `generated/`), or the
 * next compile would read its own output as specs.
 */
export function resolveOutDir(cwd: string, out: string, specPaths: readonly string[]): ResolvedOut {
  const abs = resolve(cwd, out);
  const rel = relative(cwd, abs);
  if (rel === '')
    throw new ProjectError(
      `--out ${out}: the output directory must be a subdirectory, not the working directory itself`,
    );
  if (isOutside(rel)) {
    throw new ProjectError(`--out ${out}: the output directory must be inside the working directory (${cwd})`);
  }
  for (const p of specPaths) {
    const spec = resolve(cwd, p);
    const below = relative(spec, abs);
    const hidden = !isOutside(below) && below !== '' && below.split(sep).some(skippedByDiscovery);
    if (isInsideOrEqual(spec, abs) || (isInsideOrEqual(abs, spec) && !hidden)) {
      throw new ProjectError(`--out ${out} overlaps the spec path ${p}: generated files and specs must live apart`);
    }
  }
  return { abs, display: toPosix(rel) };
}

/**
 * resolveOutDir, and no existing segment from the working directory down to the output directory may be a symbolic
 * link: `--out linkdir/gen` through a linked parent would write (and delete) outside the project. Real paths then
 * stay inside the working directory.
 */
export function resolveOutDirNoLinks(cwd: string, out: string, specPaths: readonly string[]): ResolvedOut {
  const resolved = resolveOutDir(cwd, out, specPaths);
  const link = linkOnTheWaySync(cwd, relative(cwd, resolved.abs), '');
  if (link !== undefined)
    throw new ProjectError(
      `--out ${out}: ${link} is a symbolic link; the output directory must be a real directory inside the working directory (${cwd})`,
    );
  return resolved;
}

/** Lists the spec files (absolute paths, sorted) under absolute files/directories: the watch engine's seam. */
export type DiscoverSpecs = (paths: string[]) => Promise<string[]>;

/**
 * compile's discovery (src/spec/discover.ts) over absolute paths, for the watch engine. An existing directory without
 * spec files is an empty result here (a folder that was just created or emptied), not an error.
 */
export const discoverSpecFiles: DiscoverSpecs = async (paths) => {
  const found = new Set<string>();
  for (const path of paths) {
    try {
      for (const spec of await discoverSpecs([path], path)) found.add(spec.path);
    } catch (error) {
      const isDir = await stat(path).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!(error instanceof UserError) || !isDir) throw error;
    }
  }
  return [...found].sort();
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Discover (src/spec/discover.ts) and read the specs under `paths`, display paths relative to cwd. A file that is too
 * large or not UTF-8 is not handed to the loader: it becomes an input with its rejection diagnostic (as `validate` does).
 */
/** The persistent cache's version: the release plus a fingerprint of this build (code changed without a version
 * bump must not reuse results computed by the old code). */
export function compileCacheVersion(): string {
  return `${VERSION}+${buildId()}`;
}

/** Spec files read at the same time by readSources. */
const READ_BATCH = 16;

export async function readSources(options: Pick<ProjectOptions, 'paths' | 'cwd'>): Promise<SpecInput[]> {
  const specs = await discoverSpecs(options.paths, options.cwd);
  const inputs: SpecInput[] = [];
  // a few reads in flight (each is an open, stat, read and close): one at a time, a busy machine's thread pool round
  // trips took longer than the reads (1,000 specs before a plan)
  for (let i = 0; i < specs.length; i += READ_BATCH)
    inputs.push(...(await Promise.all(specs.slice(i, i + READ_BATCH).map((s) => readSpecInput(s.path, s.file)))));
  return inputs;
}

/**
 * Read one spec file (absolute `path`, display `file`) the way compile does: the size is checked before reading, the
 * bytes must be UTF-8, otherwise the input carries its rejection. Shared with the watch engine, which reads changed
 * files one by one. Throws the fs error when the file cannot be read (gone, permissions).
 */
export async function readSpecInput(path: string, file: string): Promise<SpecInput> {
  // never through a link: the watch engine hands over paths of changed files, which may have become links
  const read = await readNoFollow(path, file, MAX_SPEC_BYTES);
  if (read === undefined)
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
  if ('tooLarge' in read)
    return { file, source: '', rejected: rejectedSpec(file, 'PW008', tooLargeMessage(read.tooLarge)) };
  try {
    return { file, source: UTF8.decode(read.bytes) };
  } catch {
    return { file, source: '', rejected: rejectedSpec(file, 'PW001', 'file is not valid UTF-8: save it as UTF-8') };
  }
}

export interface ProjectResult extends CompileResult {
  out: ResolvedOut;
  /** Number of spec files read. */
  specCount: number;
  /** With `useCache`: how many specs were reused from the cache and how many compiled. */
  cache?: CompileCacheStats;
  /** With `useCache`: outputs of reused specs, as found on disk in this run (path → sha256; see WriteOptions). */
  verified?: ReadonlyMap<string, string>;
}

/** Read every spec and compile in memory (nothing is written). */
export async function compileProject(options: ProjectOptions): Promise<ProjectResult> {
  const { result, cache } = await compileWithCache(options, { ir: true });
  await cache?.save();
  return result;
}

/** How compileWithCache runs the per-spec stages besides ProjectOptions. */
interface PerSpecMode {
  /** Keep each unit's IR (run and plan read it; check and compile do not). */
  ir: boolean;
  /** Stream outputs to a staging area of this output directory (created on first use) instead of keeping texts. */
  stage?: (outAbs: string) => Promise<StagingArea>;
}

/** The threads for compiling `inputs` `times` times (once per environment; ProjectOptions.jobs; undefined = 1). */
function jobsFor(jobs: ProjectOptions['jobs'], inputs: readonly SpecInput[], times = 1): number {
  if (jobs === undefined) return 1;
  const bytes = inputs.reduce((sum, i) => sum + i.source.length, 0);
  return resolveJobs(jobs === 'auto' ? undefined : jobs, inputs.length * times, bytes * times);
}

const LOOKUP_BATCH = 32;

/**
 * The configured levels applied to a compile result (after caching: the cache keeps what the specs say, whatever the
 * configuration). A warning made an error makes the result fail like any error: no files.
 */
export function withConfiguredLevels<T extends CompileResult>(result: T, config: ProjectConfig | undefined): T {
  if (!hasLevels(config)) return result;
  const pipelines = new Map(result.units.flatMap((u) => (u.pipeline === undefined ? [] : [[u.file, u.pipeline]])));
  const diagnostics = applyLevels(result.diagnostics, config, (file) => pipelines.get(file));
  const failed = hasErrors(diagnostics) && !hasErrors(result.diagnostics);
  return { ...result, diagnostics, ...(failed ? { files: new OutputFiles() } : {}) };
}

async function compileWithCache(
  options: ProjectOptions,
  mode: PerSpecMode,
): Promise<{ result: ProjectResult; cache?: CompileCache }> {
  const { result, cache } = await compileWithCacheRaw(options, mode);
  return { result: withConfiguredLevels(result, options.config), ...(cache ? { cache } : {}) };
}

async function compileWithCacheRaw(
  options: ProjectOptions,
  mode: PerSpecMode,
): Promise<{ result: ProjectResult; cache?: CompileCache }> {
  const only = options.environment;
  const out = resolveOutDirNoLinks(
    options.cwd,
    only === undefined ? options.out : join(options.out, only),
    options.paths,
  );
  const inputs = await readSources(options);
  const settings = compileSettings(options.config);
  if (environmentNames(options.config).length > 0) {
    // The persistent cache is keyed by spec text alone, which no longer decides the result: compiled every time.
    const result = await compileEnvironmentsEach(inputs, options.config!, { ...options, settings }, out, only, mode);
    return { result: { ...result, out, specCount: inputs.length } };
  }
  const compileOptions = { targets: options.targets, outDir: out.display, ...settings };
  const keyFile = options.useCache ? cacheKeyFile(options.env ?? process.env) : undefined;
  const key = keyFile ? await loadCacheKey(keyFile) : undefined;
  // The build fingerprint joins the version: code changed without a version bump must not reuse old results.
  const cache = key
    ? await CompileCache.open({
        cwd: options.cwd,
        version: `${VERSION}+${buildId()}${settingsKey(settings)}`,
        targets: options.targets,
        key,
      })
    : undefined;
  const hits = new Map<string, CompiledSpec>();
  // lookups stat (and sometimes read) a few files each: overlapping them keeps the disk busy instead of the event loop
  // a reused unit's IR is read from the cache when asked for; should its text be gone or changed, it is computed
  const irOf = (input: SpecInput) =>
    mode.ir ? () => compileSpec(input.file, input.source, compileOptions).ir : undefined;
  for (let i = 0; cache && i < inputs.length; i += LOOKUP_BATCH) {
    const batch = inputs.slice(i, i + LOOKUP_BATCH);
    const units = await Promise.all(batch.map((input) => cache.lookup(input, out.abs, irOf(input))));
    batch.forEach((input, j) => {
      if (units[j]) hits.set(input.file, units[j]);
    });
  }
  const misses = inputs.filter((i) => !i.rejected && !hits.has(i.file));
  const compiled = options.compile
    ? new Map(misses.map((i) => [i.file, options.compile!(i.file, i.source)]))
    : await compileEach(misses, compileOptions, {
        jobs: jobsFor(options.jobs, misses),
        ...(mode.stage && misses.length > 0 ? { stage: (await mode.stage(out.abs)).dir } : {}),
        ir: mode.ir || cache !== undefined,
      });
  const result = compileSources(inputs, compileOptions, (file) => hits.get(file) ?? compiled.get(file)!);
  if (!cache) return { result: { ...result, out, specCount: inputs.length } };
  const units = new Map(result.units.map((u) => [u.file, u]));
  for (const input of inputs) cache.record(input, units.get(input.file)!, hits.has(input.file));
  return {
    result: { ...result, out, specCount: inputs.length, cache: cache.stats(), verified: cache.verifiedOutputs() },
    cache,
  };
}

type EnvironmentOptions = Pick<ProjectOptions, 'targets' | 'configSource'> & { settings?: { runnerImage?: string } };

/** One environment compileEnvironments compiles: the problems of resolving it, and its compile options if it resolved. */
interface EnvironmentRun {
  name: string;
  diagnostics: Diagnostic[];
  resolved?: ResolvedEnvironment;
  options?: CompileOptions;
}

/** Every environment of the project (or `only`), resolved, with the options its tree is compiled with. */
function environmentRuns(
  config: ProjectConfig,
  options: EnvironmentOptions,
  out: ResolvedOut,
  only: string | undefined,
): EnvironmentRun[] {
  const locator: ConfigLocator = options.configSource ?? UNLOCATED_CONFIG;
  return (only === undefined ? environmentNames(config) : [only]).map((name) => {
    const { environment, diagnostics } = resolveEnvironment(config, name, locator);
    if (!environment) return { name, diagnostics };
    const compileOptions: CompileOptions = {
      targets: options.targets,
      ...options.settings,
      outDir: only === undefined ? `${out.display}/${name}` : out.display,
      ...(only === undefined ? { outputPrefix: `${name}/` } : {}),
      environment: { resolved: environment, locator },
    };
    return { name, diagnostics, resolved: environment, options: compileOptions };
  });
}

/** The options of the specs as written (no environment): the units reported when no environment resolves. */
function plainOptions(options: EnvironmentOptions, out: ResolvedOut): CompileOptions {
  return { targets: options.targets, ...options.settings, outDir: out.display };
}

/**
 * compileEnvironments with the per-spec work of every environment in one run of compileJobs (src/emit/parallel.ts):
 * on `options.jobs` threads, outputs streamed to the staging area when `mode.stage`. What crosses to a worker is
 * plain data: the spec, the resolved environment, and pipewright.yaml's path and text, from which the worker rebuilds
 * the locator of override positions (src/emit/spec-task.ts). Everything across specs and environments (link, the
 * GitLab parent, unknown pipelines, de-duplication of diagnostics) runs here, over units ordered by input.
 */
async function compileEnvironmentsEach(
  inputs: readonly SpecInput[],
  config: ProjectConfig,
  options: EnvironmentOptions & Pick<ProjectOptions, 'jobs'>,
  out: ResolvedOut,
  only: string | undefined,
  mode: PerSpecMode,
): Promise<CompileResult> {
  const sets = environmentRuns(config, options, out, only).flatMap((r) => (r.options ? [r.options] : []));
  if (sets.length === 0) sets.push(plainOptions(options, out));
  const sent = inputs.filter((i) => !i.rejected);
  const jobs = sets.flatMap((compileOptions) => sent.map((input) => ({ input, options: compileOptions })));
  const units = await compileJobs(jobs, {
    jobs: jobsFor(options.jobs, inputs, sets.length),
    ...(mode.stage && jobs.length > 0 ? { stage: (await mode.stage(out.abs)).dir } : {}),
    ir: mode.ir,
  });
  const byEnvironment = new Map<string | undefined, Map<string, CompiledSpec>>();
  sets.forEach((compileOptions, k) => {
    const name = compileOptions.environment?.resolved.name;
    byEnvironment.set(name, new Map(sent.map((input, i) => [input.file, units[k * sent.length + i]!])));
  });
  return compileEnvironments(inputs, config, options, out, only, (name, file) => byEnvironment.get(name)!.get(file)!);
}

/**
 * A project with environments: every spec compiled once per environment (src/model/environments.ts), each into its
 * own tree `<out>/<env>/<target>/…`. Problems of the specs themselves are the same in every environment and reported
 * once; problems of an override are reported at its position in pipewright.yaml. All-or-nothing over all environments.
 * `compiled` gives the unit of a spec in an environment (undefined: the spec as written) when the per-spec work was
 * done elsewhere (compileEnvironmentsEach); by default it is compileSpec here.
 */
export function compileEnvironments(
  inputs: readonly SpecInput[],
  config: ProjectConfig,
  options: EnvironmentOptions,
  out: ResolvedOut,
  only?: string,
  compiled?: (environment: string | undefined, file: string) => CompiledSpec,
): CompileResult {
  const locator: ConfigLocator = options.configSource ?? UNLOCATED_CONFIG;
  const unitsOf =
    (environment: string | undefined, compileOptions: CompileOptions) =>
    (file: string, source: string): CompiledSpec =>
      compiled ? compiled(environment, file) : compileSpec(file, source, compileOptions);
  const diagnostics = new Map<string, Diagnostic>();
  const add = (d: Diagnostic) =>
    diagnostics.set(JSON.stringify([d.file, d.range, d.code, d.message, d.severity, d.target ?? '']), d);
  const files: OutputText[] = [];
  let first: CompileResult | undefined;
  for (const run of environmentRuns(config, options, out, only)) {
    run.diagnostics.forEach(add);
    if (!run.resolved || !run.options) continue;
    const result = compileSources(inputs, run.options, unitsOf(run.name, run.options));
    first ??= result;
    result.diagnostics.forEach(add);
    const defined = result.units.flatMap((u) => (u.pipeline === undefined ? [] : [u.pipeline]));
    // a spec that failed (on its own or with an override) has no name here: it is not unknown, it is reported
    if (defined.length === result.units.length) unknownPipelines(run.resolved, defined, locator).forEach(add);
    files.push(...result.files.outputs());
  }
  const all = sortDiagnostics([...diagnostics.values()]);
  const plain = plainOptions(options, out);
  const base = first ?? compileSources(inputs, plain, unitsOf(undefined, plain));
  const units = base.units;
  if (hasErrors(all)) return { diagnostics: all, files: new OutputFiles(), pipelines: base.pipelines, units };
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { diagnostics: all, files: new OutputFiles(files), pipelines: base.pipelines, units };
}

/**
 * compileProject, then write when there are no errors (all-or-nothing). With the cache, the outputs' file metadata is
 * recorded after a successful write (the files on disk then hold exactly the compiled texts), so the next compile
 * need not read them.
 */
export async function compileAndWrite(options: ProjectOptions): Promise<ProjectResult & { write?: WriteReport }> {
  let area: StagingArea | undefined;
  let written = false;
  try {
    const { result, cache } = await compileWithCache(options, {
      ir: false,
      stage: async (outAbs) => {
        area ??= await StagingArea.create(outAbs);
        return area;
      },
    });
    if (result.diagnostics.some((d) => d.severity === 'error')) {
      await cache?.save();
      return result;
    }
    let write: WriteReport;
    try {
      write = await writeOutputs(result.out.abs, result.files, {
        display: result.out.display,
        version: VERSION,
        targets: options.targets,
        ...(result.verified ? { verified: result.verified } : {}),
        staged: stagedOutputs(result.files),
      });
    } catch (error) {
      await cache?.save();
      throw error;
    }
    written = true;
    if (cache) {
      await cache.recordWritten(result.out.abs);
      await cache.save();
    }
    return { ...result, write };
  } finally {
    // all-or-nothing: after a failure the output directory is left as it was found (a created one removed again)
    if (written) await area?.remove();
    else await area?.discard();
  }
}

/** Output path → staged file and sha256, for every output streamed to the staging area (texts are not read). */
function stagedOutputs(files: OutputFiles): Map<string, { file: string; sha256: string }> {
  const staged = new Map<string, { file: string; sha256: string }>();
  for (const o of files.outputs())
    if (o.staged !== undefined && o.sha256 !== undefined) staged.set(o.path, { file: o.staged, sha256: o.sha256 });
  return staged;
}

/** Every symbolic link on the way to `paths` (relative to the output directory), named in one ProjectError. */
export async function refuseOutputLinks(out: ResolvedOut, paths: Iterable<string>): Promise<void> {
  const checked = new Set<string>();
  const links: string[] = [];
  for (const path of [...new Set(paths)].sort()) {
    const link = await linkOnTheWay(out.abs, path, out.display, checked);
    if (link !== undefined) links.push(link);
  }
  if (links.length > 0) throw new ProjectError([...new Set(links)].map(linkMessage).join('\n'));
}

/**
 * The texts of `paths` (relative to the output directory) as they are on disk, for comparing with what compile writes
 * (check, run's artifact, plan's desired state): never through a link — every link on the way is named (ProjectError)
 * before any file is opened, and each file is opened O_NOFOLLOW (src/spec/no-follow.ts). Absent files are left out.
 */
export async function readOutputs(out: ResolvedOut, paths: Iterable<string>): Promise<Map<string, string>> {
  const sorted = [...new Set(paths)].sort();
  await refuseOutputLinks(out, sorted);
  const actual = new Map<string, string>();
  for (const path of sorted) {
    const text = await readTextNoFollow(join(out.abs, path), `${out.display}/${path}`);
    if (text !== undefined) actual.set(path, text);
  }
  return actual;
}

export interface ProjectCheck extends ProjectResult {
  report?: CheckReport;
  input?: CheckInput;
}

/**
 * What `check` compares: compile in memory for `targets` (by default those recorded in the manifest, else all), add
 * the manifest compile would write, and read the same paths plus every owned path from disk.
 */
export async function checkProject(
  options: Omit<ProjectOptions, 'targets'> & {
    targets?: readonly TargetName[];
    /** Compare only the tree of this environment (`check --env prod`: generated/prod/…). */
    within?: string;
  },
  allTargets: readonly TargetName[],
): Promise<ProjectCheck> {
  const out = resolveOutDirNoLinks(options.cwd, options.out, options.paths);
  const outAbs = out.abs;
  const manifest = await readManifest(outAbs, out.display);
  const targets = options.targets ?? (manifest && manifest.targets.length > 0 ? manifest.targets : allTargets);
  const { result, cache } = await compileWithCache({ ...options, targets }, { ir: false });
  await cache?.save();
  if (result.diagnostics.some((d) => d.severity === 'error')) return result;
  const expected = new Map(result.files);
  expected.set(MANIFEST_PATH, serializeManifest(buildManifest(result.files, targets, VERSION, result.verified)));
  const owned = Object.keys(manifest?.files ?? {});
  const actual = await readOutputs(out, [...expected.keys(), ...owned]);
  const prefix = options.within === undefined ? undefined : `${options.within}/`;
  const inTree = (path: string) => prefix === undefined || path.startsWith(prefix);
  const input: CheckInput = {
    expected: new Map([...expected].filter(([p]) => inTree(p))),
    actual: new Map([...actual].filter(([p]) => inTree(p))),
    owned: owned.filter(inTree),
  };
  return { ...result, report: compareOutputs(input), input };
}
