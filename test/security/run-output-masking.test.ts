/**
 * Secrets in run output (issue 11 item 3, issue 18 item 2): task output is masked line by line — multi-line values
 * such as PEM keys included — before it is printed (the live log) or stored (`attempts/<task>.<n>/output.log`);
 * pipewright's own status lines are never masked; values shorter than 8 characters cannot be masked (GitLab's rule)
 * and the run says so when it starts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerExecutor } from '../../src/runtime/docker-executor.js';
import type { Executor } from '../../src/runtime/executor.js';
import { LocalExecutor } from '../../src/runtime/local-executor.js';
import { maskedStrings, maskText, outputMasker } from '../../src/runtime/mask.js';
import { executeRun } from '../../src/runtime/run.js';
import { runCliCapture } from '../helpers/cli.js';
import { makeProject, planFromSpec, recorder, specText, testEngine } from '../runtime/support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-mask-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----',
].join('\n');

function leakSpec(name: string): string {
  return specText(
    name,
    `  tasks:
    leak:
      image: "localhost/pipewright-test:1"
      secrets: { KEY: { ref: keys/pem }, PW: { ref: db/pw } }
      command: [sh, -c, 'printf "%s\\n" "$KEY"; echo "pw=$PW"; echo "pw on stderr $PW" >&2; printf "no newline $PW"']
`,
  );
}

async function runLeak(name: string, executor: Executor) {
  const plan = planFromSpec(name, leakSpec(name));
  const reporter = recorder();
  const runsDir = join(dir, '.pipewright', 'runs');
  const state = await executeRun({
    plan,
    artifact: 'test',
    logicalDate: '2024-01-15',
    params: {},
    executor,
    secrets: new Map([['leak', { KEY: PEM, PW: 'Hunter2Prod!' }]]),
    runsDir,
    ledgerFile: join(dir, '.pipewright', 'ledger.jsonl'),
    cwd: dir,
    env: {},
    concurrency: 1,
    reporter,
    commit: null,
  });
  return { state, reporter, runsDir };
}

function expectMasked(text: string): void {
  for (const line of PEM.split('\n').slice(1, 3)) expect(text).not.toContain(line);
  expect(text).not.toContain('Hunter2Prod');
  expect(text).toContain('pw=***');
  expect(text).toContain('pw on stderr ***');
  expect(text).toContain('no newline ***');
}

const engine = await testEngine();

describe('run output is masked before it is printed or stored', () => {
  it.skipIf(!engine)(
    "masks every line of a PEM key and a password in the docker executor's live log",
    async () => {
      const executor = new DockerExecutor({
        docker: engine!.docker,
        endpoint: engine!.endpoint,
        pull: false,
        keepFailed: false,
        killGraceSeconds: 1,
        pollMs: 200,
      });
      const { state, reporter } = await runLeak('leak-docker', executor);
      expect(state.status).toBe('succeeded');
      expectMasked(reporter.lines.join('\n'));
    },
    60_000,
  );

  it('masks every line of a PEM key and a password in the live log and in output.log', async () => {
    const runsDir = join(dir, '.pipewright', 'runs');
    const local = new LocalExecutor({ cwd: dir, hostEnv: { PATH: process.env.PATH }, runsDir, killGraceMs: 500 });
    const { state, reporter } = await runLeak('leak', local);
    expect(state.status).toBe('succeeded');
    const attempts = join(runsDir, state.runId, 'attempts');
    const stored = readdirSync(attempts)
      .map((a) => readFileSync(join(attempts, a, 'output.log'), 'utf8'))
      .join('');
    for (const text of [reporter.lines.join('\n'), stored]) expectMasked(text);
    expect(stored).toContain('***\n***\n');
  });
});

describe('masking rules', () => {
  it('masks each line of a value that is at least 8 characters, and lists the ones that cannot be masked', () => {
    const { masked, tooShort } = maskedStrings([PEM, 'Hunter2Prod!', 'ab', 'x\nlong-enough-line']);
    expect(masked).toContain('Hunter2Prod!');
    expect(masked).toContain(PEM.split('\n')[1]);
    expect(masked).not.toContain('ab');
    expect(tooShort).toEqual([2, 3]);
    expect(maskText('exit 1 ab Hunter2Prod!', masked)).toBe('exit 1 ab ***');
  });

  it('never lets a value cut by a chunk boundary through, and stays linear on output without newlines', () => {
    const secret = 'Hunter2Prod!';
    let out = '';
    const masker = outputMasker([secret], (text) => {
      out += text;
    });
    const body = `${'x'.repeat(100)}${secret}`;
    const whole = body.repeat(20_000); // 2.2 MB, no newline
    for (let i = 0; i < whole.length; i += 7) masker.push(whole.slice(i, i + 7));
    masker.end();
    expect(out).not.toContain(secret);
    expect(out).toBe(`${'x'.repeat(100)}***`.repeat(20_000));
  });
});

describe('pipewright run', () => {
  it('does not mask its own status lines and warns about values it cannot mask', async () => {
    const spec = specText(
      'short',
      `  tasks:
    fail:
      image: "localhost/pipewright-test:1"
      secrets: { PW: { ref: db/pw } }
      command: [sh, -c, 'echo "pw=$PW"; exit 1']
`,
    );
    const project = makeProject({ short: spec }, dir);
    const run = await runCliCapture(['run', 'short', '--date', '2024-01-15'], {
      cwd: project,
      env: { PATH: process.env.PATH, PIPEWRIGHT_SECRET_DB_PW: 'xi' },
    });
    expect(run.code).toBe(1);
    const all = run.stdout + run.stderr;
    expect(all).toMatch(/secret db\/pw \(PW\) is shorter than 8 characters: it cannot be masked in task output/);
    expect(all).toContain('» attempt 1 failed: exit 1');
    expect(all).not.toContain('***');
  });
});
