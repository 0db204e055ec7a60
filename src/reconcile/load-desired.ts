/**
 * The desired state as committed (I/O): generated/k8s/*.yaml, refused when it is not exactly what compile writes for
 * the specs today (the `check` comparison restricted to the Kubernetes files, as `run` does for its artifact).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ProjectConfig } from '../config/types.js';
import { compareOutputs } from '../emit/check.js';
import {
  compileCacheVersion,
  compileProject,
  type ProjectOptions,
  readOutputs,
  refuseOutputLinks,
} from '../emit/project.js';
import { formatDiagnosticLines } from '../emit/report.js';
import { readManifest } from '../emit/write.js';
import { sha256Hex } from '../model/hash.js';
import { NoSpecsError } from '../spec/discover.js';
import { readTextNoFollow } from '../spec/no-follow.js';
import { TARGETS } from '../targets/target.js';
import { desiredFromObjects, type FileObjects, objectsOfFile } from './desired.js';
import { type CachedFile, DesiredCache } from './desired-cache.js';
import { desiredHash, placeObject, rememberDesiredHash } from './normalize.js';
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
   * The namespace the objects will be placed in (namespace, else the context's): with the cache, their desired hashes
   * there are kept with the parsed objects and taken from it (normalize.ts rememberDesiredHash).
   */
  placeNamespace?: string;
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
  // paths only: a reused output's text is read from disk when asked for (compile-cache.ts), which is what this avoids
  const expectedPaths = [...project.files.keys()].filter((path) => path.startsWith('k8s/'));
  const manifest = await readManifest(project.out.abs, project.out.display);
  const owned = Object.keys(manifest?.files ?? {}).filter((p) => p.startsWith('k8s/'));
  // Outputs compile's cache vouched for in this run (path → sha256 of the bytes on disk, equal to what compile writes
  // for the spec as it is now: their metadata matched what this machine recorded, or their bytes were hashed) are
  // fresh by that check and not read again; see "Stale generated files" in docs/kubernetes.md. Only without the
  // cache, or for outputs it did not vouch for, is every file read and compared like `check` does.
  const vouched = options.useCache ? project.verified : undefined;
  const fresh = new Map(expectedPaths.flatMap((p) => (vouched?.has(p) ? [[p, vouched.get(p)!] as const] : [])));
  const toCompare = expectedPaths.filter((p) => !fresh.has(p));
  // never through a link (a link's target is not what was reviewed; /dev/zero would never end): as check reads
  await refuseOutputLinks(project.out, [...expectedPaths, ...owned]);
  const actual = await readOutputs(project.out, [...toCompare, ...owned.filter((p) => !project.files.has(p))]);
  const report = compareOutputs({
    expected: new Map(toCompare.map((p) => [p, project.files.get(p)!])),
    actual,
    owned: owned.filter((p) => !fresh.has(p)),
  });
  const staleError = (stale: string[], missing: string[], extra: string[]) => {
    const list = [
      ...stale.map((p) => `stale    ${project.out.display}/${p}`),
      ...missing.map((p) => `missing  ${project.out.display}/${p}`),
      ...extra.map((p) => `extra    ${project.out.display}/${p}`),
    ];
    return new StaleDesiredError(
      `${project.out.display}/k8s is not what \`pipewright compile\` writes for the specs now:\n  ${list.join('\n  ')}\nrun \`pipewright compile\` (and commit) first`,
    );
  };
  if (!report.ok) throw staleError(report.stale, report.missing, report.extra);
  const files = [...expectedPaths].sort();
  // with compile's cache, the parsed objects of unchanged files too (desired-cache.ts): no YAML parse of them, and
  // their desired hashes in the namespace they are placed in
  const cache = options.useCache
    ? await DesiredCache.open({ cwd: options.cwd, version: compileCacheVersion(), env: options.env ?? process.env })
    : undefined;
  const place = options.placeNamespace;
  const parsed: { path: string; objects: FileObjects }[] = [];
  for (const file of files) {
    const path = `${project.out.display}/${file}`;
    const digest = fresh.get(file);
    // a vouched-for file is read only when its objects are not cached, and must still have the vouched-for bytes
    const text = async (): Promise<string> => {
      const known = actual.get(file);
      if (known !== undefined) return known;
      const read = await readTextNoFollow(join(project.out.abs, file), path);
      if (read === undefined || sha256Hex(read) !== digest) throw staleError([file], [], []);
      return read;
    };
    const make = async (): Promise<CachedFile> => {
      const objects = objectsOfFile(path, await text(), options.namespace);
      return {
        objects,
        ...(place !== undefined ? { hashes: objects.objects.map((o) => desiredHash(placeObject(o, place))) } : {}),
      };
    };
    const made = cache
      ? await cache.objectsOf(digest ?? sha256Hex(actual.get(file)!), { namespace: options.namespace, place }, make)
      : await make();
    const { hashes } = made;
    if (place !== undefined && hashes)
      for (const [i, o] of made.objects.objects.entries()) rememberDesiredHash(o, place, hashes[i]!);
    parsed.push({ path, objects: made.objects });
  }
  await cache?.prune();
  return { desired: desiredFromObjects(parsed), files: parsed.map((p) => p.path) };
}
