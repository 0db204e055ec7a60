/**
 * Where the project is: commands run from any subdirectory. The root is the nearest directory upwards holding
 * `pipewright.yaml` (never above the enclosing git repository); without one, the working directory itself when it
 * has a `pipelines/` directory (how projects without a config file have always worked), else the top of the git
 * repository, else the working directory.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_FILE = 'pipewright.yaml';

export interface ProjectRoot {
  /** Absolute project root. */
  root: string;
  /** Absolute path of pipewright.yaml, when the project has one. */
  configFile?: string;
  /** How the root was found (for messages and docs). */
  found: 'config' | 'pipelines' | 'git' | 'cwd';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function findProjectRoot(cwd: string): ProjectRoot {
  const start = resolve(cwd);
  let gitTop: string | undefined;
  for (let dir = start; ; ) {
    const config = join(dir, CONFIG_FILE);
    if (existsSync(config)) return { root: dir, configFile: config, found: 'config' };
    // `.git` is a directory in a clone and a file in a worktree or submodule: either marks the repository top.
    if (existsSync(join(dir, '.git'))) {
      gitTop = dir;
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (isDirectory(join(start, 'pipelines'))) return { root: start, found: 'pipelines' };
  if (gitTop !== undefined) return { root: gitTop, found: 'git' };
  return { root: start, found: 'cwd' };
}
