import { stat } from 'node:fs/promises';
import type { SpecInput } from '../emit/compile.js';
import { sha256Hex } from '../model/hash.js';
import type { Batch } from './batcher.js';
import { isInside, type SpecScope } from './filter.js';

export type SpecChangeKind = 'added' | 'changed' | 'removed';

export interface SpecChange {
  /** Absolute path. */
  path: string;
  kind: SpecChangeKind;
  /** The file as compile reads it (absent for removed). */
  input?: SpecInput;
}

/** Reads one spec as compile does (src/emit/project.ts readSpecInput); undefined when the file is gone. */
export type ReadSpec = (path: string) => Promise<SpecInput | undefined>;

/** Lists the spec files under absolute paths (directories recursively): compile's discovery. */
export type DiscoverSpecs = (paths: string[]) => Promise<string[]>;

/**
 * What the watcher last saw on disk: absolute spec path → sha256 of its content. A batch of event paths is turned
 * into real changes by reading those files and comparing hashes, so an editor's no-op save, a `touch`, or a
 * `git checkout` that rewrites identical content changes nothing. Event kinds are not trusted (an atomic rename
 * save shows up as unlink+add, change, or add depending on the editor and platform): only content counts.
 */
export class SpecSnapshot {
  readonly #hashes = new Map<string, string>();
  /** Paths read empty once and not counted yet (see `changes`). */
  readonly #emptyOnce = new Set<string>();
  /** Paths read empty for the first time by the last `changes` call: the caller re-checks them a moment later. */
  deferred: string[] = [];

  constructor(
    private readonly scope: SpecScope,
    private readonly discover: DiscoverSpecs,
    private readonly read: ReadSpec,
  ) {}

  get size(): number {
    return this.#hashes.size;
  }

  paths(): string[] {
    return [...this.#hashes.keys()].sort();
  }

  /**
   * The real changes behind `batch`. Paths that are not spec files (directories: `git checkout` of a folder, an
   * `rm -r`) re-check every known spec under them and discover new ones. `batch.all` re-checks the whole scope.
   */
  async changes(batch: Batch): Promise<SpecChange[]> {
    const candidates = new Set<string>();
    const others: string[] = [];
    for (const p of batch.paths) {
      if (this.scope.contains(p)) candidates.add(p);
      else if (this.scope.mayContain(p)) others.push(p);
    }
    if (batch.all) {
      for (const known of this.#hashes.keys()) candidates.add(known);
      for (const file of this.scope.files) candidates.add(file);
      others.push(...this.scope.dirs);
    }
    if (others.length > 0) {
      for (const known of this.#hashes.keys()) if (others.some((dir) => isInside(known, dir))) candidates.add(known);
      const dirs: string[] = [];
      for (const p of others) if ((await stat(p).catch(() => undefined))?.isDirectory()) dirs.push(p);
      if (dirs.length > 0)
        for (const found of await this.discover(dirs)) if (this.scope.contains(found)) candidates.add(found);
    }
    const out: SpecChange[] = [];
    this.deferred = [];
    for (const path of [...candidates].sort()) {
      const input = await this.read(path);
      const before = this.#hashes.get(path);
      // Saving by truncate-then-write (editors, `fs.writeFile`) passes through an empty file, and its first event can
      // arrive before the write: an empty read counts only when the file is still empty when read again (the caller
      // re-checks `deferred`), so a half-saved spec never becomes a rebuild with a bogus "empty file" error.
      if (input !== undefined && !input.rejected && input.source === '' && !batch.all) {
        if (!this.#emptyOnce.has(path)) {
          this.#emptyOnce.add(path);
          this.deferred.push(path);
          continue;
        }
      }
      this.#emptyOnce.delete(path);
      if (input === undefined) {
        if (before !== undefined) {
          this.#hashes.delete(path);
          out.push({ path, kind: 'removed' });
        }
        continue;
      }
      const hash = contentHash(input);
      if (hash === before) continue;
      this.#hashes.set(path, hash);
      out.push({ path, kind: before === undefined ? 'added' : 'changed', input });
    }
    return out;
  }
}

/** Identity of what compile sees: the text, or the rejection (a file still too large after an edit is no change). */
function contentHash(input: SpecInput): string {
  return sha256Hex(
    input.rejected ? `R${input.rejected.diagnostics.map((d) => d.message).join('\n')}` : `S${input.source}`,
  );
}

/** `read` for a display-path base: compile's reader, with "gone" (deleted, renamed away, now a directory) as undefined. */
export function specReader(read: (path: string) => Promise<SpecInput>): ReadSpec {
  return async (path) => {
    try {
      return await read(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw error;
    }
  };
}
