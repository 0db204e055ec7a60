import { relative, resolve, sep } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { BlobReader } from './blob-reader.js';
import { HistoryError } from './errors.js';
import { checkRevArgument, isFullSha, printable } from './revs.js';

/** A file in a tree: repository-relative POSIX path and its blob id. */
export interface TreeFile {
  path: string;
  blob: string;
}

/** One file change of a commit against its first parent (`git log --raw`). `blob` is undefined for deletions. */
export interface FileChange {
  path: string;
  status: 'A' | 'M' | 'D' | 'T';
  blob: string | undefined;
}

export interface LogCommit {
  sha: string;
  /** First parent, undefined for a root commit. */
  parent: string | undefined;
  author: string;
  email: string;
  /** Author date, strict ISO 8601 as git prints it (`%aI`), so output is deterministic. */
  date: string;
  subject: string;
  changes: FileChange[];
}

const ZERO = /^0+$/;

/**
 * Git access for history commands, through simple-git (kept at its latest release: argument-injection CVEs).
 * Every user-supplied revision goes through `resolveCommit` and only the resulting SHA is used afterwards; paths are
 * always passed after `--` with `--literal-pathspecs`, and every listing uses `-z` so spaces, quotes and unicode in
 * file names need no unquoting.
 */
export class GitRepo {
  private constructor(
    /** Absolute path of the working tree's top level. */
    readonly root: string,
    private readonly git: SimpleGit,
  ) {}

  /** The repository containing `cwd`. */
  static async open(cwd: string): Promise<GitRepo> {
    let top: string;
    try {
      top = (await simpleGit({ baseDir: cwd }).raw(['rev-parse', '--show-toplevel'])).trim();
    } catch (error) {
      throw new HistoryError(`${cwd} is not inside a git working tree (${firstLine(error)})`);
    }
    if (!top) throw new HistoryError(`${cwd} is not inside a git working tree`);
    return new GitRepo(top, simpleGit({ baseDir: top }));
  }

  /** A shallow clone would silently miss history: refuse it with the fix. */
  async assertNotShallow(): Promise<void> {
    const shallow = (await this.git.raw(['rev-parse', '--is-shallow-repository'])).trim();
    if (shallow === 'true') {
      throw new HistoryError(
        'this is a shallow clone, so the history needed to compare revisions is missing. ' +
          'Fetch it with `git fetch --unshallow` (GitLab CI: set the variable `GIT_DEPTH: 0`; GitHub Actions: `fetch-depth: 0`).',
      );
    }
  }

  /**
   * resolveCommit for a revision the command cannot do without: in a shallow clone a revision that does not resolve
   * may simply not have been fetched, so the error says how to fetch it. A shallow clone is no problem as such.
   */
  async resolveNeededCommit(rev: string): Promise<string> {
    try {
      return await this.resolveCommit(rev);
    } catch (error) {
      if (!(error instanceof HistoryError) || checkRevArgument(rev) !== undefined) throw error;
      const shallow = (await this.git.raw(['rev-parse', '--is-shallow-repository']).catch(() => '')).trim();
      if (shallow !== 'true') throw error;
      throw new HistoryError(
        `unknown revision '${printable(rev)}': this is a shallow clone and that commit was not fetched. ` +
          'Fetch it (`git fetch --unshallow`, or `git fetch --depth=50 origin <branch>`; GitLab CI: `GIT_DEPTH: 0`; GitHub Actions: `fetch-depth: 0`).',
      );
    }
  }

  /** Resolve a user-supplied revision to a full commit SHA, refusing anything that could act as an option or range. */
  async resolveCommit(rev: string): Promise<string> {
    const problem = checkRevArgument(rev);
    if (problem) throw new HistoryError(problem);
    let out: string;
    try {
      out = await this.git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    } catch {
      throw new HistoryError(`unknown revision '${printable(rev)}' (not a commit in this repository)`);
    }
    const sha = out.trim();
    if (!isFullSha(sha))
      throw new HistoryError(`unknown revision '${printable(rev)}' (not a commit in this repository)`);
    return sha;
  }

  /** Convert a directory given relative to `cwd` into a repository-relative POSIX path ('' for the top level). */
  repoPath(cwd: string, dir: string): string {
    const rel = relative(this.root, resolve(cwd, dir));
    if (rel === '..' || rel.startsWith(`..${sep}`) || resolve(this.root, rel) !== resolve(cwd, dir)) {
      throw new HistoryError(`${dir} is outside the repository ${this.root}`);
    }
    return rel.split(sep).join('/');
  }

  /** Every blob under `dir` in commit `sha`, sorted by path. */
  async listFiles(sha: string, dir: string): Promise<TreeFile[]> {
    assertSha(sha);
    const out = await this.git.raw([
      '--literal-pathspecs',
      'ls-tree',
      '-r',
      '-z',
      '--full-tree',
      sha,
      '--',
      dir || '.',
    ]);
    const files: TreeFile[] = [];
    for (const record of out.split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [, type, blob] = record.slice(0, tab).split(' ');
      if (type !== 'blob' || !blob) continue;
      files.push({ path: record.slice(tab + 1), blob });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Commits on the first-parent chain of `to` (after `from`, or from the root) that touch `dir`, oldest first, each
   * with its file changes against its first parent. `--raw` rather than `--name-status`: same walk, but it also
   * carries the new blob ids, so a commit's files are read without an extra `ls-tree` per commit.
   */
  async firstParentLog(from: string | undefined, to: string, dir: string): Promise<LogCommit[]> {
    if (from !== undefined) assertSha(from);
    assertSha(to);
    const out = await this.git.raw([
      '--literal-pathspecs',
      'log',
      '--first-parent',
      '--diff-merges=first-parent',
      '--reverse',
      '--raw',
      '-z',
      '--no-abbrev',
      '--no-renames',
      '--no-color',
      '--no-show-signature',
      '--format=%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%s',
      from === undefined ? to : `${from}..${to}`,
      '--',
      dir || '.',
    ]);
    return parseRawLog(out);
  }

  /** The SHAs of the first-parent chain of `to` (after `from`, or from the root), oldest first. */
  async firstParentShas(from: string | undefined, to: string): Promise<string[]> {
    if (from !== undefined) assertSha(from);
    assertSha(to);
    const out = await this.git.raw([
      'rev-list',
      '--first-parent',
      '--reverse',
      from === undefined ? to : `${from}..${to}`,
    ]);
    return out.split('\n').filter((l) => l !== '');
  }

  /** The first parent of a commit, undefined for a root commit. */
  async firstParent(sha: string): Promise<string | undefined> {
    assertSha(sha);
    const out = (await this.git.raw(['rev-list', '--parents', '-n', '1', sha])).trim().split(' ');
    return out[1];
  }

  /** Whether `ancestor` is on the history of `sha` (both resolved SHAs). */
  async isAncestor(ancestor: string, sha: string): Promise<boolean> {
    assertSha(ancestor);
    assertSha(sha);
    // simple-git resolves on a non-zero exit without stderr, so `--is-ancestor`'s exit code is not usable here.
    const base = (await this.git.raw(['merge-base', ancestor, sha]).catch(() => '')).trim();
    return base === ancestor;
  }

  /** Start the one `git cat-file --batch` process of this command. */
  openBlobReader(): BlobReader {
    return new BlobReader(this.root);
  }
}

/** Parse `git log -z --raw --format=%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%s` output (fields read by position). */
export function parseRawLog(out: string): LogCommit[] {
  const tokens = out.split('\0');
  const commits: LogCommit[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!.replace(/^\n/, '');
    if (token === '') {
      i++;
      continue;
    }
    if (!token.startsWith('\x1e')) throw new Error(`unexpected git log token ${JSON.stringify(token.slice(0, 80))}`);
    const [sha, parents, author, email, date, subject] = [token.slice(1), ...tokens.slice(i + 1, i + 6)];
    i += 6;
    const commit: LogCommit = {
      sha: sha!,
      parent: parents ? parents.split(' ')[0] : undefined,
      author: author ?? '',
      email: email ?? '',
      date: date ?? '',
      subject: subject ?? '',
      changes: [],
    };
    while (i < tokens.length && tokens[i]!.replace(/^\n/, '').startsWith(':')) {
      const meta = tokens[i]!.replace(/^\n/, '').slice(1).split(' ');
      const path = tokens[i + 1] ?? '';
      i += 2;
      const status = (meta[4] ?? '').charAt(0);
      const blob = meta[3];
      if (status !== 'A' && status !== 'M' && status !== 'D' && status !== 'T') continue;
      commit.changes.push({ path, status, blob: status === 'D' || !blob || ZERO.test(blob) ? undefined : blob });
    }
    commits.push(commit);
  }
  return commits;
}

function assertSha(sha: string): void {
  if (!isFullSha(sha)) throw new Error(`internal: expected a resolved SHA, got ${JSON.stringify(sha)}`);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().split('\n')[0] ?? '';
}
