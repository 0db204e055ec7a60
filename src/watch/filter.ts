import { basename, extname, relative, sep } from 'node:path';

/**
 * Which paths the watcher cares about. Editors leave swap, backup and probe files next to the spec they save
 * (vim: `.x.yaml.swp`, `x.yaml~`, the `4913` write probe; emacs: `.#x.yaml` lock links, `#x.yaml#` autosaves);
 * none of them is a spec, and reacting to them would only cause spurious rebuilds.
 */
export function isEditorTempFile(path: string): boolean {
  const name = basename(path);
  return (
    name === '4913' ||
    name.endsWith('~') ||
    name.startsWith('.#') ||
    (name.startsWith('#') && name.endsWith('#')) ||
    /\.sw[a-p]$/.test(name) ||
    /\.(tmp|bak|orig)$/i.test(name)
  );
}

/** A spec is a `.yaml` / `.yml` file that is not an editor's temporary file. */
export function isSpecPath(path: string): boolean {
  const ext = extname(path).toLowerCase();
  return (ext === '.yaml' || ext === '.yml') && !isEditorTempFile(path);
}

/** Directories never worth descending into: VCS metadata and dependencies. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

/** True when `path` is `dir` itself or lies inside it (both absolute). */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/**
 * The chokidar `ignored` predicate. `stats` is absent for some events (unlink), so a path is only ignored as a
 * non-spec file when it is known to be a file; directories are descended unless skipped or excluded (the output
 * directory: watching our own writes would loop).
 */
export function makeIgnored(excludedDirs: readonly string[]) {
  return (path: string, stats?: { isFile(): boolean; isDirectory(): boolean }): boolean => {
    if (excludedDirs.some((dir) => isInside(path, dir))) return true;
    if (SKIPPED_DIRS.has(basename(path))) return true;
    if (isEditorTempFile(path)) return true;
    if (stats?.isFile()) return !isSpecPath(path);
    return false;
  };
}
