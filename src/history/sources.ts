import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobReader, BlobTooLarge } from './blob-reader.js';
import type { GitRepo } from './git.js';

/** One spec file of a side: repository-relative path, the path shown in messages, and its text. */
export interface SpecSource {
  path: string;
  /** `<short sha>:<path>` for a commit, the repository-relative path for the working tree. */
  display: string;
  source: string;
  /** Size of a blob over the spec size cap: it was not read (source is empty) and the spec is rejected with PW008. */
  tooLarge?: number;
  /** The git blob id of the bytes read (working-tree files: what `git hash-object` prints), to spot unchanged specs. */
  blob?: string;
}

/** The id git gives a blob of these bytes (`git hash-object`): equal ids mean equal content. */
export function gitBlobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** A spec source from a blob reply (src/history/blob-reader.ts): its text, or its size when over the cap. */
export function blobSource(path: string, display: string, content: Buffer | BlobTooLarge | undefined): SpecSource {
  if (content !== undefined && !Buffer.isBuffer(content))
    return { path, display, source: '', tooLarge: content.tooLarge };
  return { path, display, source: decode(content) };
}

/** A spec is a `.yaml` or `.yml` file under the pipelines directory (at any depth). */
export function isSpecFile(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

/** Directories compile's discovery (src/spec/discover.ts) never searches: hidden ones, node_modules, generated. */
function skippedDir(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules' || name === 'generated';
}

/** Whether `path` (repository-relative) is a spec compile would find under `dir`: same rules on every side. */
export function isSpecUnder(path: string, dir: string): boolean {
  const rel = dir === '' ? path : path.slice(dir.length + 1);
  const parts = rel.split('/');
  return isSpecFile(path) && !parts.slice(0, -1).some(skippedDir);
}

/** The spec files of commit `sha` under `dir`, read through the command's one cat-file process. */
export async function readCommitSources(
  repo: GitRepo,
  reader: BlobReader,
  sha: string,
  dir: string,
): Promise<SpecSource[]> {
  const files = (await repo.listFiles(sha, dir)).filter((f) => isSpecUnder(f.path, dir));
  const contents = await Promise.all(files.map((f) => reader.read(f.blob)));
  return files.map((f, i) => blobSource(f.path, `${sha.slice(0, 12)}:${f.path}`, contents[i]));
}

/**
 * The spec files under `dir` in the working tree (tracked or not: it is what compile would see). Symbolic links are
 * not followed, so the walk stays inside the directory; hidden directories, `node_modules` and `generated` are
 * skipped as compile's discovery skips them.
 */
export async function readWorktreeSources(root: string, dir: string): Promise<SpecSource[]> {
  const out: SpecSource[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skippedDir(entry.name)) await walk(path);
      } else if (entry.isFile() && isSpecFile(entry.name)) {
        const bytes = await readFile(join(root, path));
        out.push({ path, display: path, source: decode(bytes), blob: gitBlobId(bytes) });
      }
    }
  };
  const stat = await lstat(join(root, dir)).catch(() => undefined);
  if (stat?.isDirectory()) await walk(dir);
  return out;
}

function decode(content: Buffer | undefined): string {
  return content ? content.toString('utf8') : '';
}
