/**
 * The machine-local secret that authenticates compile-cache entries (src/emit/compile-cache.ts). It lives in the
 * user's cache directory — `$XDG_CACHE_HOME/pipewright/compile-cache.key`, else `$HOME/.cache/pipewright/…` — never in
 * a project, so no file that comes with a checkout can produce a valid entry. Created on first use: 32 random bytes,
 * hex, mode 0600, published with link(2) so concurrent first runs agree on one key. Without HOME/XDG_CACHE_HOME, or
 * when the key cannot be read or created, there is no key and compile runs without its persistent cache.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { readTextNoFollow } from '../spec/no-follow.js';

const KEY_NAME = 'compile-cache.key';
const KEY_TEXT = /^[0-9a-f]{64}\n?$/;

/** Where the key of this user lives, from the environment the command sees; undefined without a usable home. */
export function cacheKeyFile(env: Record<string, string | undefined>): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'pipewright', KEY_NAME);
  const home = env.HOME;
  if (home && isAbsolute(home)) return join(home, '.cache', 'pipewright', KEY_NAME);
  return undefined;
}

async function readKey(file: string): Promise<Buffer | undefined> {
  const text = await readTextNoFollow(file, file).catch(() => undefined);
  return text !== undefined && KEY_TEXT.test(text) ? Buffer.from(text.trim(), 'hex') : undefined;
}

/** The key in `file`, created when absent; undefined when it cannot be read or created (no cache then). */
export async function loadCacheKey(file: string): Promise<Buffer | undefined> {
  const existing = await readKey(file);
  if (existing) return existing;
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    await writeFile(temp, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    // link fails when another process published its key first: then that one is read below
    await link(temp, file).catch(() => undefined);
  } catch {
    return undefined;
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
  return readKey(file);
}
