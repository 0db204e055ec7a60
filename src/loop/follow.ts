/**
 * Following a Git ref: a private bare mirror under the state directory, fetched from the source the user configured
 * (a local repository path or a remote URL), and private work trees checked out from it, one per commit.
 *
 * Safety (docs/HAZARDS "Git"): the ref is checked like every revision (checkRevArgument) and must be a plain ref name;
 * the source may not start with '-'; both are passed after `--end-of-options`-style positions only; after the fetch
 * only the resolved SHA is used. Remote helpers (`ext::` & co.) are refused by checkSource (git refuses ext by default too). Work trees are written with read-tree +
 * checkout-index into a temporary directory renamed into place, so a crash never leaves a half tree under a SHA name.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { checkRevArgument, isFullSha, printable } from '../history/revs.js';

export class FollowError extends Error {
  override name = 'FollowError';
}

/** Where the followed ref is stored in the mirror. */
const FOLLOW_REF = 'refs/pipewright/follow';

/** Why `ref` cannot be followed, or undefined. Plain ref names only: `main`, `refs/heads/release/1`, a full SHA. */
export function checkFollowRef(ref: string): string | undefined {
  const problem = checkRevArgument(ref);
  if (problem) return problem;
  if (isFullSha(ref)) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(ref) || ref.includes('//') || ref.endsWith('/') || ref.endsWith('.lock')) {
    return `'${printable(ref)}' is not a branch or tag name (letters, digits, '.', '_', '-', '/')`;
  }
  return undefined;
}

/** Why `source` cannot be fetched from, or undefined. A local path or a URL (https, http, ssh, git, file). */
export function checkSource(source: string): string | undefined {
  if (source === '') return 'the repository must not be empty';
  if (source.startsWith('-')) return `'${printable(source)}' looks like an option, not a repository`;
  if (/[\0\r\n]/.test(source)) return 'the repository must not contain NUL or line breaks';
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(source))
    return `'${printable(source)}': remote helpers (<transport>::) are refused`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(source)?.[1]?.toLowerCase();
  if (scheme && !['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) {
    return `'${printable(source)}': unsupported URL scheme ${scheme} (use https, ssh, git, file or a local path)`;
  }
  return undefined;
}

/** A local path (not a URL, not scp-like host:path) is resolved against cwd. */
export function resolveSource(source: string, cwd: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source)) return source;
  if (/^[^/]+@[^/:]+:/.test(source)) return source; // scp-like ssh
  return isAbsolute(source) ? source : resolve(cwd, source);
}

/** What git sees of the environment: enough to find the user's credentials (HOME, ssh agent, proxies), never a prompt. */
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1' };
  for (const key of [
    'PATH',
    'HOME',
    'SSH_AUTH_SOCK',
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'NO_PROXY',
    'https_proxy',
    'http_proxy',
    'no_proxy',
  ]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export class Follower {
  private readonly git: SimpleGit;
  constructor(
    private readonly mirror: string,
    private readonly treesDir: string,
    timeoutMs = 120_000,
  ) {
    mkdirSync(mirror, { recursive: true });
    mkdirSync(treesDir, { recursive: true });
    this.git = simpleGit({
      baseDir: mirror,
      timeout: { block: timeoutMs },
      // simple-git's guard drops ambient GIT_* variables; these are ours.
      allowEnvironment: ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM', 'GIT_INDEX_FILE', 'GIT_WORK_TREE'],
    }).env(gitEnv());
  }

  private async ensureMirror(): Promise<void> {
    if (!existsSync(join(this.mirror, 'HEAD'))) await this.git.raw(['init', '--quiet', '--bare']);
  }

  /** Fetch `ref` from `source` and return its commit SHA. Throws FollowError with a reason (no stack). */
  async fetch(source: string, ref: string): Promise<string> {
    const bad = checkSource(source) ?? checkFollowRef(ref);
    if (bad) throw new FollowError(bad);
    await this.ensureMirror();
    try {
      await this.git.raw([
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        '--force',
        source,
        isFullSha(ref) ? ref : `+${ref}:${FOLLOW_REF}`,
      ]);
      if (isFullSha(ref)) await this.git.raw(['update-ref', FOLLOW_REF, ref]);
    } catch (error) {
      const text = String((error as Error).message ?? error)
        .replace(/\s+/g, ' ')
        .trim();
      if (/couldn't find remote ref|not our ref|no such ref/i.test(text)) {
        throw new FollowError(`ref '${printable(ref)}' does not exist in ${printable(source)}`);
      }
      throw new FollowError(`cannot fetch ${printable(source)}: ${printable(text.slice(0, 400))}`);
    }
    let sha: string;
    try {
      sha = (await this.git.raw(['rev-parse', '--verify', '--quiet', `${FOLLOW_REF}^{commit}`])).trim();
    } catch {
      sha = '';
    }
    if (!isFullSha(sha)) throw new FollowError(`ref '${printable(ref)}' in ${printable(source)} is not a commit`);
    return sha;
  }

  /** The private work tree of `sha` (checked out once, then reused). */
  async tree(sha: string): Promise<string> {
    if (!isFullSha(sha)) throw new FollowError(`not a commit id: ${printable(sha)}`);
    const dir = join(this.treesDir, sha);
    if (existsSync(dir)) return dir;
    const tmp = join(this.treesDir, `.tmp-${sha}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const index = join(this.mirror, `index-${process.pid}`);
    try {
      const git = this.git.env({ ...gitEnv(), GIT_INDEX_FILE: index, GIT_WORK_TREE: tmp });
      await git.raw(['read-tree', sha]);
      await git.raw(['checkout-index', '--all', '--force']);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw new FollowError(`cannot check out ${sha.slice(0, 12)}: ${String((error as Error).message).trim()}`);
    } finally {
      rmSync(index, { force: true });
    }
    renameSync(tmp, dir);
    return dir;
  }

  /** Remove work trees except `keep` (and leftovers of interrupted checkouts). */
  pruneTrees(keep: ReadonlySet<string>): void {
    for (const entry of readdirSync(this.treesDir)) {
      if (keep.has(entry)) continue;
      rmSync(join(this.treesDir, entry), { recursive: true, force: true });
    }
  }
}
