/**
 * Finding and reading spec files (the I/O edge in front of loadSpec): files are taken as given, directories are
 * searched recursively for *.yaml / *.yml. Output is sorted and de-duplicated, with paths relative to the working
 * directory in POSIX form, so reports are identical on every machine.
 */
import { lstat, readdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../diagnostics/diagnostic.js';
import type { SpecDocument } from './document.js';
import { loadSpec, MAX_SPEC_BYTES, rejectedSpec, tooLargeMessage } from './load.js';
import { insideRoot, LinkRefused, linkMessage, linkOnTheWay, readNoFollow } from './no-follow.js';

export interface DiscoveredSpec {
  /** Path shown to users: relative to cwd, POSIX separators. */
  file: string;
  /** Absolute path on disk. */
  path: string;
}

/** A spec directory that holds no spec files (plan/apply --allow-empty reads it as "nothing is desired"). */
export class NoSpecsError extends UserError {
  override name = 'NoSpecsError';
}

const SPEC_FILE = /\.ya?ml$/i;
/** Directories never searched: VCS metadata, dependencies, and pipewright's own output. */
const SKIPPED_DIRS = new Set(['node_modules', 'generated']);

/**
 * Files: included whatever their extension (the user named them). Directories: *.yaml/*.yml below them, skipping
 * hidden directories, node_modules and generated/. Symbolic links are refused, never followed (src/spec/no-follow.ts):
 * a given path with a link on its way from the working directory, and any link found inside a spec directory, make a
 * LinkRefused error naming every one of them. A path that does not exist, or a directory without spec files, is a
 * UserError.
 */
export async function discoverSpecs(paths: readonly string[], cwd: string): Promise<DiscoveredSpec[]> {
  const found = new Map<string, DiscoveredSpec>();
  const links: string[] = [];
  for (const given of paths) {
    const absolute = resolve(cwd, given);
    // inside the project every segment from cwd on is checked; a path named outside it only by its last segment
    const rel = insideRoot(cwd, absolute);
    const link =
      rel !== undefined ? await linkOnTheWay(cwd, rel, '') : await linkOnTheWay(absolute, '', display(absolute, cwd));
    if (link !== undefined) {
      links.push(link);
      continue;
    }
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(absolute);
    } catch {
      throw new UserError(`no such file or directory: ${given}`);
    }
    if (info.isDirectory()) {
      const root = await realpath(absolute);
      const before = found.size;
      await walk(absolute, root, new Set([root]), cwd, found, links);
      if (links.length === 0 && found.size === before && !(await containsSpecs(found, root))) {
        throw new NoSpecsError(`no *.yaml or *.yml files in ${given}`);
      }
    } else if (info.isFile()) {
      add(found, absolute, cwd);
    } else {
      throw new UserError(`not a file or directory: ${given}`);
    }
  }
  if (links.length > 0) throw new LinkRefused([...new Set(links)].sort().map(linkMessage).join('\n'));
  return [...found.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function display(path: string, cwd: string): string {
  return relative(cwd, path).split(sep).join('/') || path;
}

async function walk(
  dir: string,
  root: string,
  visited: Set<string>,
  cwd: string,
  found: Map<string, DiscoveredSpec>,
  links: string[],
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      // refused whatever it points at (the issue's rule: no link under a spec directory); hidden names are skipped
      if (!skipDir(entry.name)) links.push(display(path, cwd));
    } else if (entry.isDirectory()) {
      if (skipDir(entry.name)) continue;
      const real = await realpath(path);
      if (visited.has(real)) continue;
      visited.add(real);
      await walk(path, root, visited, cwd, found, links);
    } else if (entry.isFile() && SPEC_FILE.test(entry.name)) {
      add(found, path, cwd);
    }
  }
}

function skipDir(name: string): boolean {
  return name.startsWith('.') || SKIPPED_DIRS.has(name);
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Whether a directory's files were already found through another argument (`validate pipelines pipelines`). */
async function containsSpecs(found: Map<string, DiscoveredSpec>, root: string): Promise<boolean> {
  for (const spec of found.values()) {
    const real = await realpath(spec.path).catch(() => spec.path);
    if (isInside(real, root)) return true;
  }
  return false;
}

function add(found: Map<string, DiscoveredSpec>, path: string, cwd: string): void {
  const file = relative(cwd, path).split(sep).join('/') || path;
  if (!found.has(file)) found.set(file, { file, path });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads one spec: the size is checked before reading, bytes must be UTF-8. Never throws for file contents. */
export async function readSpec(spec: DiscoveredSpec): Promise<SpecDocument> {
  const read = await readNoFollow(spec.path, spec.file, MAX_SPEC_BYTES);
  if (read === undefined) throw new UserError(`no such file: ${spec.file}`);
  if ('tooLarge' in read) return rejectedSpec(spec.file, 'PW008', tooLargeMessage(read.tooLarge));
  let source: string;
  try {
    source = UTF8.decode(read.bytes);
  } catch {
    return rejectedSpec(spec.file, 'PW001', 'file is not valid UTF-8: save it as UTF-8');
  }
  return loadSpec(spec.file, source);
}

/** discoverSpecs + readSpec, in sorted order. */
export async function loadSpecFiles(paths: readonly string[], cwd: string): Promise<SpecDocument[]> {
  const specs = await discoverSpecs(paths, cwd);
  const docs: SpecDocument[] = [];
  for (const spec of specs) docs.push(await readSpec(spec));
  return docs;
}
