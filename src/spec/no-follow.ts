/**
 * Reading and writing project files without following symbolic links. A link committed to a repository (an output
 * under generated/, a spec directory, the manifest, .pipewright/) could otherwise make pipewright print a file from
 * outside the project into a CI log, read /dev/zero until memory runs out, or write and delete outside the project.
 * So every path pipewright opens inside the project is checked segment by segment with lstat (no link anywhere on the
 * way from the project root), and the last segment is opened with O_NOFOLLOW (a link swapped in after the check is
 * still not followed) and must be a regular file.
 */
import { constants, lstatSync, openSync } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { UserError } from '../diagnostics/diagnostic.js';

/** A symbolic link or a special file where pipewright expected a regular file or directory: exit 1, no stack. */
export class LinkRefused extends UserError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'LinkRefused';
  }
}

export function linkMessage(display: string): string {
  return `${display} is a symbolic link: pipewright reads and writes only regular files inside the project, never through links (replace the link with the file or directory itself)`;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** Each segment of `root/rel` (root itself first) with its display path. */
function* segmentsOf(root: string, rel: string, displayRoot: string): Generator<{ path: string; shown: string }> {
  let path = root;
  let shown = displayRoot;
  yield { path, shown };
  for (const segment of rel === '' ? [] : toPosix(rel).split('/')) {
    path = join(path, segment);
    shown = shown === '' || shown === '.' ? segment : `${shown}/${segment}`;
    yield { path, shown };
  }
}

function missing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
  throw error;
}

/**
 * The first existing segment of `root/rel` (root itself included) that is a symbolic link, as a display path
 * (`displayRoot` joined with the segments up to it), or undefined when there is none. Segments that do not exist yet
 * end the walk: nothing below them can be a link. `checked` remembers directories already found plain (many outputs
 * share a directory).
 */
export async function linkOnTheWay(
  root: string,
  rel: string,
  displayRoot: string,
  checked?: Set<string>,
): Promise<string | undefined> {
  const all = [...segmentsOf(root, rel, displayRoot)];
  for (const [i, { path, shown }] of all.entries()) {
    const isLast = i === all.length - 1;
    if (!isLast && checked?.has(path)) continue;
    const info = await lstat(path).catch(missing);
    if (info === undefined) return undefined;
    if (info.isSymbolicLink()) return shown;
    if (!isLast) checked?.add(path);
  }
  return undefined;
}

/** linkOnTheWay without waiting (for callers that must answer synchronously, e.g. starting a watch). */
export function linkOnTheWaySync(root: string, rel: string, displayRoot: string): string | undefined {
  for (const { path, shown } of segmentsOf(root, rel, displayRoot)) {
    let info: ReturnType<typeof lstatSync>;
    try {
      info = lstatSync(path);
    } catch (error) {
      return missing(error as NodeJS.ErrnoException);
    }
    if (info.isSymbolicLink()) return shown;
  }
  return undefined;
}

/** Throws LinkRefused when linkOnTheWay finds a link. */
export async function refuseLinks(
  root: string,
  rel: string,
  displayRoot: string,
  checked?: Set<string>,
): Promise<void> {
  const link = await linkOnTheWay(root, rel, displayRoot, checked);
  if (link !== undefined) throw new LinkRefused(linkMessage(link));
}

/** `path` relative to `root` when it lies inside it, else undefined. */
export function insideRoot(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel;
}

export type RegularRead = { bytes: Buffer } | { tooLarge: number };

// O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a regular file)
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * A descriptor of `path` opened for reading synchronously, never through a link in its last segment and never
 * waiting on a FIFO (caches read their own small files this way, without thread pool round trips); undefined when it
 * cannot be opened. The caller checks it is a regular file (fstat) and closes it.
 */
export function openNoFollowSync(path: string): number | undefined {
  try {
    return openSync(path, FLAGS);
  } catch {
    return undefined;
  }
}

/**
 * The bytes of the regular file at `path`, never following a link in its last segment (check the segments before it
 * with linkOnTheWay). Undefined when it does not exist or is a directory. A link or a special file (device, FIFO,
 * socket) throws LinkRefused. With `maxBytes`, a larger file is not read: its size is returned instead.
 */
export async function readNoFollow(path: string, display: string, maxBytes?: number): Promise<RegularRead | undefined> {
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw new LinkRefused(linkMessage(display));
    throw error;
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return undefined;
    if (!info.isFile())
      throw new LinkRefused(`${display} is not a regular file (a device, pipe or socket): pipewright does not read it`);
    if (maxBytes !== undefined && info.size > maxBytes) return { tooLarge: info.size };
    // read what the size said, no more: a file that grows while being read cannot make this unbounded
    const bytes = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: filled === bytes.length ? bytes : bytes.subarray(0, filled) };
  } finally {
    await handle.close();
  }
}

/** readNoFollow as UTF-8 text (no size cap: callers use it for files pipewright wrote itself). */
export async function readTextNoFollow(path: string, display: string): Promise<string | undefined> {
  const read = await readNoFollow(path, display);
  return read && 'bytes' in read ? read.bytes.toString('utf8') : undefined;
}
