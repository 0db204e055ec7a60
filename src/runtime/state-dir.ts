/**
 * `.pipewright/` holds machine-local state (compile cache, runs, ledger): it must never be committed by accident. Whoever
 * creates it writes `.pipewright/.gitignore` containing `*` (git then ignores the whole directory, the .gitignore
 * included), so a project needs no entry of its own.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, parse, relative } from 'node:path';
import { LinkRefused, linkMessage, linkOnTheWaySync } from '../spec/no-follow.js';

export const STATE_DIR = '.pipewright';

/** The `.pipewright` directory `path` lies in (or is), if any. */
function stateDirOf(path: string): string | undefined {
  const { root } = parse(path);
  for (let dir = path; dir !== root; dir = dirname(dir)) {
    if (dir.endsWith(`/${STATE_DIR}`) || dir.endsWith(`\\${STATE_DIR}`)) return dir;
  }
  return undefined;
}

/**
 * mkdir -p `path`; a `.pipewright` directory created on the way gets its `.gitignore`. No segment from the directory
 * holding `.pipewright` down to `path` may be a symbolic link (LinkRefused): a `.pipewright/` committed as a link
 * would otherwise make runs write their state and ledger outside the project.
 */
export function makeStateDir(path: string): void {
  const state = stateDirOf(path);
  if (state !== undefined) {
    const root = dirname(state);
    const link = linkOnTheWaySync(root, relative(root, path), '');
    if (link !== undefined) throw new LinkRefused(linkMessage(link));
  }
  if (state !== undefined && !existsSync(state)) {
    mkdirSync(state, { recursive: true });
    try {
      writeFileSync(join(state, '.gitignore'), '*\n', { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  mkdirSync(path, { recursive: true });
}
