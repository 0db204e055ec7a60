import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real temporary git repository with deterministic commits (fixed identity and dates). */
export class TestRepo {
  readonly dir: string;
  private tick = 0;

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'pw-history-'));
    if (!dir) {
      this.git('init', '-q', '-b', 'main');
      this.git('config', 'user.name', 'Test Author');
      this.git('config', 'user.email', 'author@example.com');
      this.git('config', 'commit.gpgsign', 'false');
    }
  }

  git(...args: string[]): string {
    const date = `2024-01-${String(1 + Math.min(this.tick, 27)).padStart(2, '0')}T10:00:00Z`;
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_CONFIG_NOSYSTEM: '1' },
    });
  }

  /** Write (string) or delete (null) files, then commit everything; returns the new commit's SHA. */
  commit(message: string, files: Record<string, string | null>): string {
    this.write(files);
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    this.tick++;
    return this.head();
  }

  write(files: Record<string, string | null>): void {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  }

  head(): string {
    return this.git('rev-parse', 'HEAD').trim();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
