/**
 * The HTTP endpoints keep answering while the daemon does heavy work: verifying a commit with many pipelines (every
 * spec compiled, generated/ compared, every artifact read) and the first scheduler pass over all of them. Before the
 * verification moved to a worker thread and the pass learned to yield, those held the event loop for seconds and
 * requests on a kept-alive connection were reset. Answer-based: every request must get its 200, none may fail.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, DaemonProcess, git, makeOrigin, TEST_IMAGE, tempRoot, until } from './support.js';

// The test's own event loop must keep polling while it compiles the next commit: a synchronous child process here
// would leave its kept-alive connection idle past the server's keep-alive timeout, a reset that is not the daemon's.
const run = promisify(execFile);

const root = tempRoot('pw-loop-http-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PIPELINES = 300;

/** A yearly pipeline that starts in 2099: nothing is ever due, but the scheduler must look at it. */
function spec(i: number, owner: string): string {
  return `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: heavy-${i}
  version: 1.0.0
  owner: ${owner}
spec:
  schedule: "${i % 60} ${i % 24} ${1 + (i % 28)} ${1 + (i % 12)} *"
  timezone: Europe/Berlin
  catchup: false
  startDate: "2099-01-01"
  defaults: { image: "${TEST_IMAGE}" }
  tasks:
    extract: { command: [sh, -c, "echo ${i}"] }
    load: { command: [sh, -c, "echo done"], needs: [extract] }
`;
}

describe('reconcile: /healthz is answered during heavy cycles', () => {
  it(`every request is answered while commits of ${PIPELINES} pipelines are verified and scheduled`, async () => {
    const origin = makeOrigin(root);
    const write = async (owner: string) => {
      for (let i = 0; i < PIPELINES; i++)
        writeFileSync(join(origin.dir, 'pipelines', `heavy-${i}.yaml`), spec(i, owner));
      await run(process.execPath, [CLI, 'compile', '--quiet'], { cwd: origin.dir });
    };
    await write('team-a');
    const first = origin.commit(`${PIPELINES} pipelines`);
    const daemon = DaemonProcess.start(root, [
      '--repo',
      origin.dir,
      '--ref',
      'main',
      '--interval',
      '1s',
      '--state-dir',
      join(root, 'state'),
    ]);
    const answers: { at: number; ok: boolean; error?: string }[] = [];
    let polling = true;
    const poller = (async () => {
      await until(() => daemon.port !== undefined, 30_000, 'the daemon to listen');
      while (polling) {
        try {
          const res = await fetch(`http://127.0.0.1:${daemon.port}/healthz`);
          answers.push({ at: Date.now(), ok: res.status === 200 && (await res.text()) === 'ok\n' });
        } catch (error) {
          answers.push({ at: Date.now(), ok: false, error: String((error as Error).cause ?? error) });
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    try {
      const serving = (commit: string) => () =>
        daemon.messages().some((m) => m.startsWith(`serving commit ${commit.slice(0, 12)}`));
      await until(serving(first), 180_000, 'the first commit to be served');
      // its first scheduler pass asks the calendar about every pipeline; then a second heavy commit
      await write('team-b');
      const pushed = Date.now();
      git(origin.dir, 'add', '-A'); // quick, synchronous
      git(origin.dir, 'commit', '-q', '-m', 'every spec changed');
      const second = git(origin.dir, 'rev-parse', 'HEAD').trim();
      await until(serving(second), 180_000, 'the second commit to be served');
      const served = Date.now();
      await until(async () => (await daemon.status()).lastCycle?.commit === second, 60_000, 'a cycle on it');
      polling = false;
      await poller;
      const failed = answers.filter((a) => !a.ok);
      expect(failed).toEqual([]);
      // requests were made (and answered) while the second commit was being verified
      expect(answers.filter((a) => a.at > pushed && a.at < served).length).toBeGreaterThan(0);
      expect((await daemon.status()).pipelines).toHaveLength(PIPELINES);
    } finally {
      polling = false;
      await poller;
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  }, 480_000);
});
