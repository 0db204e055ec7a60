import { basename, dirname, relative, sep } from 'node:path';

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

/** The file names compile's discovery takes from a directory (src/spec/discover.ts), minus editor temp files. */
const SPEC_FILE = /\.ya?ml$/i;

export function isSpecPath(path: string): boolean {
  return SPEC_FILE.test(basename(path)) && !isEditorTempFile(path);
}

/** Directories compile's discovery (src/spec/discover.ts) never descends into: hidden ones, node_modules, generated. */
export function isSkippedDir(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules' || name === 'generated';
}

/** True when `path` is `dir` itself or lies inside it (both absolute). */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/**
 * What a watch session covers: the directories and files given on the command line, with compile's discovery rules
 * (a named file is taken whatever its name; a directory contributes the *.yaml/*.yml below it, outside hidden
 * directories, node_modules and generated). The output directory is never part of it.
 */
export class SpecScope {
  constructor(
    /** Absolute directories. */
    readonly dirs: readonly string[],
    /** Absolute files named explicitly. */
    readonly files: readonly string[],
    /** Absolute directories excluded (the output directory). */
    readonly excluded: readonly string[],
  ) {}

  /** Directories handed to the OS watcher: the directories, and the parent of each named file (editors save by rename). */
  watchRoots(): string[] {
    const roots = new Set<string>(this.dirs);
    for (const file of this.files) if (!this.dirs.some((dir) => isInside(file, dir))) roots.add(dirname(file));
    return [...roots].sort();
  }

  /** Whether `path` would be discovered by compile as a spec (the file may or may not exist). */
  contains(path: string): boolean {
    if (this.excluded.some((dir) => isInside(path, dir))) return false;
    if (this.files.includes(path)) return true;
    if (!isSpecPath(path)) return false;
    return this.dirs.some((dir) => isInside(path, dir) && !this.#skippedBetween(dir, dirname(path)));
  }

  /** Whether `path` (a directory, or a path whose kind is unknown) can hold specs of the scope. */
  mayContain(path: string): boolean {
    if (this.excluded.some((dir) => isInside(path, dir))) return false;
    return this.dirs.some((dir) => isInside(path, dir) && !this.#skippedBetween(dir, path));
  }

  /**
   * The chokidar `ignored` predicate. `stats` is absent for some events (unlink), so a path is only ignored as a
   * non-spec file when it is known to be a file; directories are descended unless compile would skip them.
   */
  ignored(): (path: string, stats?: { isFile(): boolean; isDirectory(): boolean }) => boolean {
    const roots = this.watchRoots();
    return (path, stats) => {
      if (roots.includes(path)) return false;
      if (this.excluded.some((dir) => isInside(path, dir))) return true;
      if (isEditorTempFile(path)) return true;
      if (stats?.isFile()) return !this.contains(path);
      if (stats?.isDirectory()) return !this.mayContain(path);
      return false;
    };
  }

  #skippedBetween(dir: string, inner: string): boolean {
    const rel = relative(dir, inner);
    return rel !== '' && rel.split(sep).some(isSkippedDir);
  }
}
