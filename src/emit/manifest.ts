import { sha256Hex } from '../model/hash.js';
import { TARGETS, type TargetName } from '../targets/target.js';

/** Where compile records what it owns, relative to the output directory. */
export const MANIFEST_PATH = '.pipewright-manifest.json';

/**
 * `generated/.pipewright-manifest.json`: every file compile wrote, with its sha256, so compile can delete its own stale
 * outputs (and only those) and `check` knows what it owns. No timestamps: the manifest is as reproducible as the outputs.
 */
export interface Manifest {
  generator: 'pipewright';
  /** pipewright version that wrote it. */
  version: string;
  /** Targets compiled into this directory (sorted). */
  targets: TargetName[];
  /** Output path (POSIX, relative to the output directory) → sha256 of its bytes; sorted by path. */
  files: Record<string, string>;
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Target owning an output path, from its first directory (`compose/…`, `k8s/…`, `gitlab/…`). */
export function targetOfPath(path: string): TargetName | undefined {
  const first = path.split('/')[0];
  return (TARGETS as readonly string[]).includes(first ?? '') ? (first as TargetName) : undefined;
}

/** `known`: path → sha256 of its text already computed by the caller (not hashed again). */
export function buildManifest(
  files: ReadonlyMap<string, string>,
  targets: readonly TargetName[],
  version: string,
  known?: ReadonlyMap<string, string>,
): Manifest {
  const sorted = Object.fromEntries(
    [...files.keys()].sort().map((path) => [path, known?.get(path) ?? sha256Hex(files.get(path)!)]),
  );
  return { generator: 'pipewright', version, targets: [...new Set(targets)].sort(), files: sorted };
}

/**
 * `previous` updated by difference: the paths in `hashes` set to their sha256, the `dropped` paths removed, targets
 * and version as given — the manifest buildManifest would make of the same files, at the cost of the change (plus
 * one copy of the path table) instead of sorting every path again. Paths stay sorted: a path `previous` does not list
 * is inserted in order. `changed`: whether the result serializes to other bytes than `previous`.
 */
export function patchManifest(
  previous: Manifest,
  hashes: ReadonlyMap<string, string>,
  dropped: Iterable<string>,
  targets: readonly TargetName[],
  version: string,
): { manifest: Manifest; changed: boolean } {
  const sortedTargets = [...new Set(targets)].sort();
  let changed =
    previous.version !== version ||
    previous.targets.length !== sortedTargets.length ||
    previous.targets.some((t, i) => t !== sortedTargets[i]);
  const files: Record<string, string> = { ...previous.files };
  let added = false;
  for (const path of dropped) {
    if (!Object.hasOwn(files, path) || hashes.has(path)) continue;
    delete files[path];
    changed = true;
  }
  for (const [path, hash] of hashes) {
    if (!Object.hasOwn(files, path)) added = true;
    else if (files[path] === hash) continue;
    files[path] = hash;
    changed = true;
  }
  const manifest: Manifest = {
    generator: 'pipewright',
    version,
    targets: sortedTargets,
    files: added ? Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : files,
  };
  return { manifest, changed };
}

/** Whether two manifests serialize to the same bytes (without serializing them). */
export function sameManifest(a: Manifest, b: Manifest): boolean {
  if (a.generator !== b.generator || a.version !== b.version) return false;
  if (a.targets.length !== b.targets.length || a.targets.some((t, i) => t !== b.targets[i])) return false;
  const aKeys = Object.keys(a.files);
  const bKeys = Object.keys(b.files);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((path, i) => path === bKeys[i] && a.files[path] === b.files[path]);
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Parse a manifest; a file that is not one of ours is an error (compile must not guess what it owns). */
export function parseManifest(text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(
      `${MANIFEST_PATH} is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const m = value as Partial<Manifest> | null;
  const ok =
    m !== null &&
    typeof m === 'object' &&
    m.generator === 'pipewright' &&
    typeof m.version === 'string' &&
    Array.isArray(m.targets) &&
    m.targets.every((t) => (TARGETS as readonly string[]).includes(t)) &&
    m.files !== null &&
    typeof m.files === 'object' &&
    !Array.isArray(m.files) &&
    Object.entries(m.files).every(([p, h]) => isSafeOutputPath(p) && typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
  if (!ok)
    throw new ManifestError(
      `${MANIFEST_PATH} is not a pipewright manifest (expected generator, version, targets, files)`,
    );
  return m as Manifest;
}

/**
 * Output paths are POSIX, relative, normalised and stay inside the output directory: no `..`, `.`, empty or hidden
 * segments, no backslashes or control characters. Names come from DNS-label pipeline names, so anything else is a bug
 * (or a tampered manifest) and is refused.
 */
export function isSafeOutputPath(path: string): boolean {
  if (path === '' || path.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(path)) return false;
  return path
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !segment.startsWith('.'));
}

/** The manifest of outputs known by their hashes alone (path → sha256), as buildManifest writes it. */
export function manifestOfHashes(
  hashes: ReadonlyMap<string, string>,
  targets: readonly TargetName[],
  version: string,
): Manifest {
  const files = Object.fromEntries([...hashes.keys()].sort().map((path) => [path, hashes.get(path)!]));
  return { generator: 'pipewright', version, targets: [...new Set(targets)].sort(), files };
}
