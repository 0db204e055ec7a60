/**
 * Runs generated GitLab pipelines with gitlab-ci-local (the real tool, node_modules/.bin) in a temporary git
 * repository, shell executor (`--force-shell-executor`: job images are ignored), always under `timeout -s KILL 120`.
 * Needs `git` and `rsync` on the machine (.ci/run installs rsync).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const BIN = resolve('node_modules/.bin/gitlab-ci-local');

export interface GclResult {
  status: number | null;
  output: string;
  dir: string;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pw-gcl-'));
}

/** Turn `dir` into a committed git repository holding `files` (path → text). */
export function gitRepo(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.email=test@example.com', '-c', 'user.name=test', 'commit', '-q', '-m', 'init');
  return dir;
}

/** Run gitlab-ci-local in `dir` with `--file file` and `variables` (passed as --variable NAME=VALUE). */
export function gitlabCiLocal(
  dir: string,
  file: string,
  variables: Record<string, string>,
  extra: string[] = [],
): GclResult {
  const args = ['-s', 'KILL', '120', BIN, '--file', file, '--force-shell-executor', '--no-color'];
  args.push('--max-job-name-padding', '0', ...extra);
  for (const [name, value] of Object.entries(variables)) args.push('--variable', `${name}=${value}`);
  const r = spawnSync('timeout', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, dir };
}
