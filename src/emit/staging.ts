import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256Hex } from '../model/hash.js';

/**
 * The staging area of an output directory: a private directory `<out>/.pipewright-staging-<pid>-<random>/` that
 * compile streams each spec's outputs into as soon as that spec is compiled (on a worker thread or the main thread),
 * keeping only their paths and sha256 in memory. When every spec compiled without errors, the writer
 * (src/emit/write.ts) renames the changed ones into place and the rest of the area is removed; on any error the whole
 * area is removed and the output directory is as it was. This is what lets a project of any size compile within a
 * fixed heap: no output text lives longer than the spec that produced it.
 *
 * The area lives inside the output directory so that the final renames stay on one filesystem (atomic). Its name is
 * hidden: no output path can be hidden (isSafeOutputPath), spec discovery skips hidden directories, and `check` only
 * reads the paths it expects and the manifest lists. An area left behind by a compile that was killed is removed by
 * the next compile (its process id no longer runs).
 */
const PREFIX = '.pipewright-staging-';
const AREA = /^\.pipewright-staging-(\d+)-[0-9a-f]{12}$/;

/** One output written to the staging area: its path in the output directory, the sha256 of its text, the temp file. */
export interface StagedOutput {
  path: string;
  sha256: string;
  /** Absolute path of the staged file. */
  file: string;
}

/**
 * Write the outputs of spec number `index` into the area `dir` (synchronously: on a worker the thread has nothing
 * else to do; on the main thread the compile around it is synchronous too). File names are `<index>.<n>`: unique per
 * run without any coordination between threads.
 */
export function stageOutputs(
  dir: string,
  index: number,
  outputs: readonly { path: string; text: string }[],
): StagedOutput[] {
  return outputs.map((o, n) => {
    const file = join(dir, `${index}.${n}`);
    writeFileSync(file, o.text, { encoding: 'utf8', flag: 'wx' });
    return { path: o.path, sha256: sha256Hex(o.text), file };
  });
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove the staging areas of compiles that no longer run (killed before they could clean up). */
async function removeAbandoned(outAbs: string): Promise<void> {
  const entries = await readdir(outAbs, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const m = AREA.exec(entry.name);
    // a link with that name is not ours to follow or remove
    if (!m || !entry.isDirectory() || running(Number(m[1]))) continue;
    await rm(join(outAbs, entry.name), { recursive: true, force: true });
  }
}

export class StagingArea {
  /** Absolute path of the area. */
  readonly dir: string;
  readonly #outAbs: string;
  /** The first directory created for the area (the output directory or one of its parents), if any was. */
  readonly #createdFrom: string | undefined;

  private constructor(outAbs: string, dir: string, createdFrom: string | undefined) {
    this.#outAbs = outAbs;
    this.dir = dir;
    this.#createdFrom = createdFrom;
  }

  /**
   * Create a fresh area in `outAbs` (creating the output directory when it does not exist yet: `discard` removes it
   * again). The caller has checked that no segment of `outAbs` is a symbolic link.
   */
  static async create(outAbs: string): Promise<StagingArea> {
    const createdFrom = await mkdir(outAbs, { recursive: true });
    await removeAbandoned(outAbs);
    const dir = join(outAbs, `${PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir);
    return new StagingArea(outAbs, dir, createdFrom);
  }

  /** Remove the area (after the writer took what it needed). */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Remove the area and the directories created for it: the output directory is left exactly as it was found. */
  async discard(): Promise<void> {
    await this.remove();
    if (this.#createdFrom === undefined) return;
    for (let dir = this.#outAbs; ; dir = dirname(dir)) {
      // only while empty: something else may have put a file there meanwhile
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        return;
      if (dir === this.#createdFrom || dirname(dir) === dir) return;
    }
  }
}
