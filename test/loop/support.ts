/**
 * The daemon as a real process (dist/cli.js) against a real git repository and the real engine: helpers to write,
 * compile and commit specs in an "origin" repository, start/stop `pipewright reconcile`, read its JSON log lines
 * and its /status.json.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DaemonStatus } from '../../src/loop/daemon.js';
import type { DaemonState } from '../../src/loop/state.js';

export const CLI = resolve('dist/cli.js');
export const TEST_IMAGE = 'localhost/pipewright-test:1';

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t.invalid',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t.invalid',
    },
  });
}

export interface Origin {
  dir: string;
  write(name: string, text: string): void;
  remove(name: string): void;
  compile(): void;
  commit(message: string): string;
}

export function makeOrigin(root: string): Origin {
  const dir = join(root, 'origin');
  mkdirSync(join(dir, 'pipelines'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  return {
    dir,
    write: (name, text) => writeFileSync(join(dir, 'pipelines', `${name}.yaml`), text),
    remove: (name) => rmSync(join(dir, 'pipelines', `${name}.yaml`)),
    compile: () => {
      execFileSync(process.execPath, [CLI, 'compile', '--quiet'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    },
    commit: (message) => {
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(dir, 'rev-parse', 'HEAD').trim();
    },
  };
}

/** A daily spec in UTC; `extra` lines go under spec: (2-space indent). */
export function dailySpec(
  name: string,
  extra: string,
  command = `echo "${name} ds=$PIPEWRIGHT_DS ts=$PIPEWRIGHT_TS"`,
): string {
  return `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: ${name}
  version: 1.0.0
  owner: test
spec:
${extra}
  defaults: { image: "${TEST_IMAGE}" }
  tasks:
    main: { command: [sh, -c, ${JSON.stringify(command)}] }
`;
}

/** YYYY-MM-DD, `days` from today (UTC). */
export function day(days: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export class DaemonProcess {
  readonly lines: Record<string, unknown>[] = [];
  raw = '';
  port: number | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.raw += chunk;
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const event = JSON.parse(line) as Record<string, unknown>;
          this.lines.push(event);
          if (typeof event.listen === 'string') this.port = Number(event.listen.split(':').at(-1));
        } catch {
          // not JSON (a crash): kept in raw
        }
        nl = buffer.indexOf('\n');
      }
    });
    child.stdout!.resume();
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(cwd: string, args: string[], env: Record<string, string> = {}): DaemonProcess {
    const child = spawn(
      process.execPath,
      [CLI, 'reconcile', '--log-format', 'json', '--listen', '127.0.0.1:0', ...args],
      {
        cwd,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new DaemonProcess(child);
  }

  messages(): string[] {
    return this.lines.map((l) => String(l.msg));
  }

  async get(path: string): Promise<{ status: number; body: string; type: string }> {
    await until(() => this.port !== undefined, 20_000, 'the daemon to listen');
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
  }

  async status(): Promise<DaemonStatus> {
    return JSON.parse((await this.get('/status.json')).body) as DaemonStatus;
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function readState(stateDir: string): DaemonState {
  return JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as DaemonState;
}

export function tempRoot(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
