/**
 * Tests that need a separate process (SIGKILL of the runner, concurrent ledger writers) run the built CLI and modules
 * in dist/, exactly what users run. CI builds before testing; locally a missing or stale dist/ fails loudly instead of
 * testing old code.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
export const BUILT_CLI = join(DIST, 'cli.js');

function newestSource(dir: string): { file: string; mtime: number } {
  let best = { file: '', mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory()
      ? newestSource(path)
      : entry.name.endsWith('.ts')
        ? { file: path, mtime: statSync(path).mtimeMs }
        : best;
    if (found.mtime > best.mtime) best = found;
  }
  return best;
}

/** Throws unless dist/ holds a build at least as new as src/runtime and src/cli. */
export function assertBuilt(): void {
  if (!existsSync(BUILT_CLI)) throw new Error('dist/cli.js is missing: run `npm run build` before these tests');
  for (const dir of ['src/runtime', 'src/cli']) {
    const newest = newestSource(join(ROOT, dir));
    if (!newest.file) continue;
    const built = join(DIST, relative(join(ROOT, 'src'), newest.file)).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < newest.mtime) {
      throw new Error(`dist/ is older than ${relative(ROOT, newest.file)}: run \`npm run build\` before these tests`);
    }
  }
}
