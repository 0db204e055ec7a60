/**
 * `pipewright reconcile` settings and bad input at the command line, as a real process (no engine needed: the
 * followed commit has no scheduled pipeline).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, DaemonProcess, dailySpec, makeOrigin, readState, tempRoot, until } from './support.js';

const root = tempRoot('pw-loop-cli-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function reconcile(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [CLI, 'reconcile', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

describe('reconcile at the command line', () => {
  const origin = makeOrigin(root);
  origin.write('manual', dailySpec('manual', '  catchup: false')); // no schedule: never started by the daemon
  origin.compile();
  const commit = origin.commit('a manual pipeline');

  it('reads its defaults from pipewright.yaml `reconcile:` (repo relative to the project root)', () => {
    const project = join(root, 'project');
    mkdirSync(join(project, 'pipelines'), { recursive: true });
    writeFileSync(
      join(project, 'pipewright.yaml'),
      'apiVersion: pipewright.dev/v1\nkind: Project\nreconcile:\n  repo: ../origin\n  ref: main\n  stateDir: loop-state\n  logFormat: json\n  listen: "127.0.0.1:0"\n',
    );
    const r = reconcile(join(project, 'pipelines'), ['--once']);
    expect(r.stderr).toContain('"msg":"serving commit');
    expect(r.status).toBe(0);
    expect(readState(join(project, 'loop-state')).lastGood?.commit).toBe(commit);
    expect(existsSync(join(project, 'loop-state', 'trees', commit, 'pipelines', 'manual.yaml'))).toBe(true);
  });

  it('a ref that does not exist and an unreachable remote: reported, --once exits 1', () => {
    const missing = reconcile(root, [
      '--repo',
      origin.dir,
      '--ref',
      'no-such-branch',
      '--once',
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      'st1',
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`ref 'no-such-branch' does not exist in ${origin.dir}`);
    const unreachable = reconcile(root, [
      '--repo',
      'http://127.0.0.1:9/none.git',
      '--once',
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      'st2',
    ]);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(
      /cannot fetch http:\/\/127\.0\.0\.1:9\/none\.git: .*(Failed to connect|Connection refused)/,
    );
  });

  it('usage errors exit 2 with a message, no stack', () => {
    for (const [args, message] of [
      [['--ref=--upload-pack=x'], /--ref: .* looks like an option/],
      [['--repo', 'ext::sh -c x'], /--repo: .*remote helpers/],
      [['--interval', 'soon'], /--interval must be a duration/],
      [['--listen', 'nowhere'], /--listen must be host:port/],
      [['--target', 'gitlab'], /--target/],
      [['--log-format', 'xml'], /--log-format/],
    ] as const) {
      const r = reconcile(root, [...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('one daemon per state directory', async () => {
    const stateDir = join(root, 'locked');
    const first = DaemonProcess.start(root, ['--repo', origin.dir, '--state-dir', stateDir, '--interval', '1m']);
    await until(() => first.port !== undefined, 30_000, 'the first daemon');
    const second = reconcile(root, [
      '--repo',
      origin.dir,
      '--state-dir',
      stateDir,
      '--once',
      '--listen',
      '127.0.0.1:0',
    ]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`another reconcile daemon (process ${first.child.pid}) uses ${stateDir}`);
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
  });
});
