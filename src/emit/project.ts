import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { VERSION } from '../cli/main.js';
import type { TargetName } from '../targets/target.js';
import { type CheckInput, type CheckReport, compareOutputs } from './check.js';
import { type CompiledSpec, type CompileResult, compileSources, type SpecInput } from './compile.js';
import { buildManifest, MANIFEST_PATH, serializeManifest } from './manifest.js';
import { readManifest, type WriteReport, writeOutputs } from './write.js';

/**
 * The I/O edge of compile and check: find and read specs, resolve the output directory, call the pure core
 * (src/emit/compile.ts), then write (src/emit/write.ts) or compare (src/emit/check.ts).
 */

/** Lists spec files (absolute paths, sorted) under absolute files/directories. */
export type DiscoverSpecs = (paths: string[]) => Promise<string[]>;

const SPEC_FILE = /\.ya?ml$/;

/**
 * Spec discovery for compile/check: a named file is taken as is; a directory is walked recursively for `*.yaml` and
 * `*.yml`, skipping hidden directories and node_modules. A path that does not exist is an error, not an empty project.
 */
export const discoverSpecFiles: DiscoverSpecs = async (paths) => {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && entry.name !== 'node_modules') await walk(path);
      } else if (entry.isFile() && SPEC_FILE.test(entry.name)) {
        found.add(path);
      }
    }
  };
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new ProjectError(
        `${path}: ${error.code === 'ENOENT' ? 'no such file or directory' : (error.code ?? String(error))}`,
      );
    });
    if (info.isDirectory()) await walk(path);
    else found.add(path);
  }
  return [...found].sort();
};

export interface ProjectOptions {
  /** Spec files or directories as given on the command line (relative to cwd or absolute). */
  paths: readonly string[];
  /** Absolute working directory (the repository root): display paths are relative to it. */
  cwd: string;
  /** Output directory, relative to cwd (or absolute inside it). */
  out: string;
  targets: readonly TargetName[];
  discover: DiscoverSpecs;
  /** Per-spec compile function to use instead of the default (a cache in front of compileSpec). */
  compile?: (file: string, source: string) => CompiledSpec;
}

/** A reason to stop before doing anything (bad --out, unreadable path): the CLI turns it into a UserError. */
export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectError';
  }
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function isInsideOrEqual(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export interface ResolvedOut {
  /** Absolute path. */
  abs: string;
  /** Relative to cwd, POSIX (e.g. `generated`). */
  display: string;
}

/**
 * The output directory must be a proper subdirectory of the working directory and must not overlap any spec path:
 * compile deletes files there, and it must never be able to reach the specs or anything outside the project.
 */
export function resolveOutDir(cwd: string, out: string, specPaths: readonly string[]): ResolvedOut {
  const abs = resolve(cwd, out);
  const rel = relative(cwd, abs);
  if (rel === '')
    throw new ProjectError(
      `--out ${out}: the output directory must be a subdirectory, not the working directory itself`,
    );
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new ProjectError(`--out ${out}: the output directory must be inside the working directory (${cwd})`);
  }
  for (const p of specPaths) {
    const spec = resolve(cwd, p);
    if (isInsideOrEqual(abs, spec) || isInsideOrEqual(spec, abs)) {
      throw new ProjectError(`--out ${out} overlaps the spec path ${p}: generated files and specs must live apart`);
    }
  }
  return { abs, display: toPosix(rel) };
}

/** Discover and read the specs under `paths` (display paths relative to cwd). */
export async function readSources(options: Pick<ProjectOptions, 'paths' | 'cwd' | 'discover'>): Promise<SpecInput[]> {
  const roots = options.paths.map((p) => resolve(options.cwd, p));
  const files = await options.discover(roots);
  return Promise.all(
    files.map(async (abs) => {
      let source: string;
      try {
        source = await readFile(abs, 'utf8');
      } catch (error) {
        throw new ProjectError(`cannot read ${abs}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      return { file: toPosix(relative(options.cwd, abs)), source };
    }),
  );
}

export interface ProjectResult extends CompileResult {
  out: ResolvedOut;
  /** Number of spec files read. */
  specCount: number;
}

/** Read every spec and compile in memory (nothing is written). */
export async function compileProject(options: ProjectOptions): Promise<ProjectResult> {
  const out = resolveOutDir(options.cwd, options.out, options.paths);
  const inputs = await readSources(options);
  const result = compileSources(inputs, { targets: options.targets, outDir: out.display }, options.compile);
  return { ...result, out, specCount: inputs.length };
}

/** compileProject, then write when there are no errors (all-or-nothing). */
export async function compileAndWrite(options: ProjectOptions): Promise<ProjectResult & { write?: WriteReport }> {
  const result = await compileProject(options);
  if (result.diagnostics.some((d) => d.severity === 'error')) return result;
  const write = await writeOutputs(result.out.abs, result.files, { version: VERSION, targets: options.targets });
  return { ...result, write };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR')
      return undefined;
    throw error;
  }
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
  options: Omit<ProjectOptions, 'targets'> & { targets?: readonly TargetName[] },
  allTargets: readonly TargetName[],
): Promise<ProjectCheck> {
  const outAbs = resolveOutDir(options.cwd, options.out, options.paths).abs;
  const manifest = await readManifest(outAbs);
  const targets = options.targets ?? (manifest && manifest.targets.length > 0 ? manifest.targets : allTargets);
  const result = await compileProject({ ...options, targets });
  if (result.diagnostics.some((d) => d.severity === 'error')) return result;
  const expected = new Map(result.files);
  expected.set(MANIFEST_PATH, serializeManifest(buildManifest(result.files, targets, VERSION)));
  const owned = Object.keys(manifest?.files ?? {});
  const actual = new Map<string, string>();
  for (const path of new Set([...expected.keys(), ...owned])) {
    const text = await readIfExists(join(outAbs, path));
    if (text !== undefined) actual.set(path, text);
  }
  const input: CheckInput = { expected, actual, owned };
  return { ...result, report: compareOutputs(input), input };
}
