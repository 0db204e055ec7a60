import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** A throwaway directory outside any project (what an attacker's link points at); removed by removeOutside(). */
export async function outsideDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-outside-'));
  created.push(dir);
  return dir;
}

export async function removeOutside(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A line no pipewright output could contain by chance: its appearance in output proves a read through a link. */
export const MARKER = 'OUTSIDE-THE-PROJECT-7f3a9c';
