/**
 * The desired state as committed (I/O): generated/k8s/*.yaml, refused when it is not exactly what compile writes for
 * the specs today (the `check` comparison restricted to the Kubernetes files, as `run` does for its artifact).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ProjectConfig } from '../config/types.js';
import { compareOutputs } from '../emit/check.js';
import { compileCacheVersion, compileProject, type ProjectOptions, readOutputs } from '../emit/project.js';
import { formatDiagnosticLines } from '../emit/report.js';
import { readManifest } from '../emit/write.js';
import { NoSpecsError } from '../spec/discover.js';
import { TARGETS } from '../targets/target.js';
import { desiredFromObjects, type FileObjects, objectsOfFile } from './desired.js';
import { DesiredCache } from './desired-cache.js';
import type { DesiredObject } from './plan.js';

export class StaleDesiredError extends Error {
  override name = 'StaleDesiredError';
}

export interface LoadDesiredOptions {
  cwd: string;
  out: string;
  specPaths: readonly string[];
  /** The project configuration (its settings change what compile writes, e.g. the runner image). */
  config?: ProjectConfig;
  /** pipewright.yaml's positions and the environment whose tree (generated/<env>/k8s) is the desired state. */
  project?: Pick<ProjectOptions, 'configSource' | 'environment'>;
  /** The namespace the objects are applied to (an environment's files name it on every object). */
  namespace?: string;
  /**
   * Reuse compile's persistent per-spec cache (src/emit/compile-cache.ts): all targets are compiled then, so the
   * entries are the ones \`pipewright compile\` wrote and keeps (the cache holds one target set); a hit recompiles
   * nothing and reads the outputs only to vouch for them, which is what makes a plan at 1,000 pipelines fast.
   */
  useCache?: boolean;
  /** Specs directories without any spec mean "nothing is desired" (else an error saying --allow-empty would). */
  allowEmpty?: boolean;
  /** Locates the cache's machine-local key (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * No specs at all while --allow-empty is given: nothing is desired, provided the Kubernetes tree holds no file either
 * (compile refuses to run without specs, so an old tree cannot be brought up to date: it must be removed by hand).
 */
async function nothingDesired(options: LoadDesiredOptions, cause: NoSpecsError): Promise<{ desired: []; files: [] }> {
  const tree = join(options.out, options.project?.environment ?? '', 'k8s');
  const abs = resolve(options.cwd, tree);
  const info = await lstat(abs).catch(() => undefined);
  if (info?.isSymbolicLink()) throw new StaleDesiredError(`${tree} is a symbolic link: refused, never followed`);
  const left = info?.isDirectory() ? (await readdir(abs)).filter((f) => /\.ya?ml$/i.test(f)) : [];
  if (left.length > 0) {
    throw new StaleDesiredError(
      `${cause.message}, but ${tree} still holds ${left.length} generated file${left.length === 1 ? '' : 's'} (${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''}): remove ${tree} (git rm -r) and commit, then apply --allow-empty`,
    );
  }
  return { desired: [], files: [] };
}

export async function loadDesired(options: LoadDesiredOptions): Promise<{ desired: DesiredObject[]; files: string[] }> {
  try {
    return await loadCompiled(options);
  } catch (e) {
    if (!(e instanceof NoSpecsError)) throw e;
    if (options.allowEmpty) return nothingDesired(options, e);
    throw new StaleDesiredError(
      `${e.message}: nothing would be desired, so every object pipewright owns in the namespace would be pruned; nothing was changed (pass --allow-empty if that is what you want)`,
    );
  }
}

async function loadCompiled(options: LoadDesiredOptions): Promise<{ desired: DesiredObject[]; files: string[] }> {
  const project = await compileProject({
    paths: options.specPaths,
    cwd: options.cwd,
    out: options.out,
    targets: options.useCache ? TARGETS : ['k8s'],
    ...(options.useCache ? { useCache: true, ...(options.env ? { env: options.env } : {}) } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...options.project,
  });
  const errors = project.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new StaleDesiredError(
      `the specs have ${errors.length} error${errors.length === 1 ? '' : 's'}; fix them first:\n${formatDiagnosticLines(errors).trimEnd()}`,
    );
  }
  const expected = new Map([...project.files].filter(([path]) => path.startsWith('k8s/')));
  const manifest = await readManifest(project.out.abs, project.out.display);
  const owned = Object.keys(manifest?.files ?? {}).filter((p) => p.startsWith('k8s/'));
  // never through a link (a link's target is not what was reviewed; /dev/zero would never end): as check reads
  const actual = await readOutputs(project.out, [...expected.keys(), ...owned]);
  const report = compareOutputs({ expected, actual, owned });
  if (!report.ok) {
    const list = [
      ...report.stale.map((p) => `stale    ${project.out.display}/${p}`),
      ...report.missing.map((p) => `missing  ${project.out.display}/${p}`),
      ...report.extra.map((p) => `extra    ${project.out.display}/${p}`),
    ];
    throw new StaleDesiredError(
      `${project.out.display}/k8s is not what \`pipewright compile\` writes for the specs now:\n  ${list.join('\n  ')}\nrun \`pipewright compile\` (and commit) first`,
    );
  }
  const files = [...expected.keys()].sort();
  // with compile's cache, the parsed objects of unchanged files too (desired-cache.ts): no YAML parse of them
  const cache = options.useCache
    ? await DesiredCache.open({ cwd: options.cwd, version: compileCacheVersion(), env: options.env ?? process.env })
    : undefined;
  const parsed: { path: string; objects: FileObjects }[] = [];
  for (const file of files) {
    const path = `${project.out.display}/${file}`;
    const text = actual.get(file)!;
    const parse = () => objectsOfFile(path, text, options.namespace);
    parsed.push({ path, objects: cache ? await cache.objectsOf(text, options.namespace, parse) : parse() });
  }
  await cache?.prune();
  return { desired: desiredFromObjects(parsed), files: parsed.map((p) => p.path) };
}
