import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLedger, verifyLedger } from '../../src/runtime/ledger.js';
import { LocalExecutor } from '../../src/runtime/local-executor.js';
import type { RunPlan } from '../../src/runtime/plan.js';
import { executeRun } from '../../src/runtime/run.js';
import { loadRunState } from '../../src/runtime/state.js';
import { planFromSpec, recorder, specText } from './support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-local-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function runLocal(
  plan: RunPlan,
  extra: { concurrency?: number; params?: Record<string, string>; secrets?: Map<string, Record<string, string>> } = {},
) {
  const reporter = recorder();
  const runsDir = join(dir, '.pipewright', 'runs');
  const state = await executeRun({
    plan,
    artifact: 'test',
    logicalDate: '2024-01-15',
    params: extra.params ?? Object.fromEntries(plan.params.map((p) => [p.name, p.default ?? ''])),
    executor: new LocalExecutor({ cwd: dir, hostEnv: { PATH: process.env.PATH }, runsDir, killGraceMs: 500 }),
    secrets: extra.secrets ?? new Map(),
    runsDir,
    ledgerFile: join(dir, '.pipewright', 'ledger.jsonl'),
    cwd: dir,
    env: { PIPEWRIGHT_ACTOR: 'test' },
    concurrency: extra.concurrency ?? 4,
    reporter,
    commit: null,
  });
  return { state, reporter, runsDir, ledger: join(dir, '.pipewright', 'ledger.jsonl') };
}

/** Alive and not a zombie (an orphan killed here may wait for a reaper that is not its parent). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const statuses = (state: { tasks: Record<string, { status: string }> }) =>
  Object.fromEntries(Object.entries(state.tasks).map(([id, t]) => [id, t.status]));

/** a and b each wait (up to 4 s) for the other to have started: they only both succeed when they run in parallel. */
const BARRIER = specText(
  'barrier',
  `  defaults: { image: "localhost/pipewright-test:1", retryDelay: 1s }
  tasks:
    a:
      command: [sh, -c, 'touch a.started; i=0; while [ ! -e b.started ]; do i=$((i+1)); [ $i -gt 40 ] && exit 9; sleep 0.1; done; touch a.done']
    b:
      command: [sh, -c, 'touch b.started; i=0; while [ ! -e a.started ]; do i=$((i+1)); [ $i -gt 40 ] && exit 9; sleep 0.1; done; touch b.done']
    c:
      needs: [a, b]
      command: [sh, -c, 'test -e a.done && test -e b.done && echo "c saw both"']
`,
);

describe('local executor runs', () => {
  it('runs independent tasks in parallel and a task only after its needs succeeded', async () => {
    const { state, reporter, ledger } = await runLocal(planFromSpec('barrier', BARRIER));
    expect(statuses(state)).toEqual({ a: 'succeeded', b: 'succeeded', c: 'succeeded' });
    expect(reporter.of('c')).toEqual(['c saw both']);
    expect(state.status).toBe('succeeded');
    expect(verifyLedger(ledger)).toMatchObject({ ok: true, records: 5 });
    expect(readLedger(ledger).map((r) => `${r.action}:${r.result}`)).toEqual([
      'run.start:started',
      expect.stringMatching(/^task.attempt:succeeded$/),
      'task.attempt:succeeded',
      'task.attempt:succeeded',
      'run.finish:succeeded',
    ]);
  });

  it('with concurrency 1 the same tasks cannot meet (the barrier proves the limit holds)', async () => {
    const { state } = await runLocal(planFromSpec('barrier', BARRIER), { concurrency: 1 });
    // a waits for b in vain and gives up; b, started after a, finds a.started at once.
    expect(statuses(state)).toEqual({ a: 'failed', b: 'succeeded', c: 'upstream_failed' });
    expect(state.tasks.a!.exitCode).toBe(9);
  });

  it('retries with retryDelay until an attempt succeeds', async () => {
    const plan = planFromSpec(
      'flaky',
      specText(
        'flaky',
        `  tasks:
    flaky:
      image: "localhost/pipewright-test:1"
      retries: 2
      retryDelay: 1s
      command: [sh, -c, 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "try $n"; [ $n -ge 3 ]']
`,
      ),
    );
    const { state, reporter } = await runLocal(plan);
    expect(state.tasks.flaky).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(state.tasks.flaky!.attempts.map((a) => a.outcome?.exitCode)).toEqual([1, 1, 0]);
    expect(reporter.of('flaky')).toEqual(['try 1', 'try 2', 'try 3']);
    const [first, second] = state.tasks.flaky!.attempts;
    expect(Date.parse(second!.startedAt) - Date.parse(first!.finishedAt!)).toBeGreaterThanOrEqual(900);
  });

  it('kills a task at its timeout: the whole process group, and the attempt counts as failed', async () => {
    const plan = planFromSpec(
      'slow',
      specText(
        'slow',
        `  tasks:
    slow:
      image: "localhost/pipewright-test:1"
      timeout: 1s
      command: [sh, -c, 'sleep 30 & echo $! > child.pid; echo $$ > shell.pid; wait']
    after:
      image: "localhost/pipewright-test:1"
      needs: [slow]
      command: [echo, never]
`,
      ),
    );
    const { state, ledger } = await runLocal(plan);
    expect(statuses(state)).toEqual({ slow: 'failed', after: 'upstream_failed' });
    expect(state.tasks.slow!.attempts[0]!.outcome).toMatchObject({ timedOut: true, exitCode: null });
    for (const file of ['child.pid', 'shell.pid']) {
      const pid = Number(readFileSync(join(dir, file), 'utf8'));
      expect(isRunning(pid), `${file} ${pid} still alive`).toBe(false);
    }
    expect(readLedger(ledger).find((r) => r.action === 'task.attempt')?.result).toBe('timed_out');
  });

  it('a task that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    const plan = planFromSpec(
      'stubborn',
      specText(
        'stubborn',
        `  tasks:
    stubborn:
      image: "localhost/pipewright-test:1"
      timeout: 1s
      command: [sh, -c, 'trap "" TERM; echo $$ > shell.pid; while true; do sleep 0.1; done']
`,
      ),
    );
    const { state } = await runLocal(plan);
    expect(state.tasks.stubborn!.attempts[0]!.outcome).toMatchObject({
      timedOut: true,
      exitCode: null,
      signal: 'SIGKILL',
    });
    expect(isRunning(Number(readFileSync(join(dir, 'shell.pid'), 'utf8')))).toBe(false);
  });

  it('a failure blocks descendants while an independent branch finishes; a failed check is a quality gate', async () => {
    const plan = planFromSpec(
      'gate',
      specText(
        'gate',
        `  defaults: { image: "localhost/pipewright-test:1" }
  tasks:
    load: { command: [sh, -c, 'echo loaded'] }
    check-rows: { type: check, needs: [load], command: [sh, -c, 'echo "0 rows" >&2; exit 2'] }
    publish: { needs: [check-rows], command: [echo, published] }
    report: { needs: [publish], command: [echo, report] }
    side: { command: [sh, -c, 'sleep 0.3; echo side done'] }
`,
      ),
    );
    const { state, reporter } = await runLocal(plan);
    expect(statuses(state)).toEqual({
      'check-rows': 'failed',
      load: 'succeeded',
      publish: 'upstream_failed',
      report: 'upstream_failed',
      side: 'succeeded',
    });
    expect(state.status).toBe('failed');
    expect(state.tasks['check-rows']).toMatchObject({ type: 'check', exitCode: 2 });
    expect(reporter.of('check-rows')).toEqual(['0 rows']);
    expect(reporter.notes).toContain('check-rows|quality gate failed: downstream tasks are blocked');
    expect(reporter.of('publish')).toEqual([]);
  });

  it('passes params and secrets to the task exactly ($, quotes, spaces) and never logs or stores the secret', async () => {
    const plan = planFromSpec(
      'exact',
      specText(
        'exact',
        `  params:
    note: { default: plain }
  tasks:
    show:
      image: "localhost/pipewright-test:1"
      env: { NOTE_ENV: "[{{ params.note }}] {{ ds }}" }
      secrets: { DB_PASSWORD: { ref: warehouse/password } }
      command: [sh, -c, 'printf %s "$1" > arg.out; printf %s "$NOTE_ENV" > env.out; printf %s "$DB_PASSWORD" > secret.out; echo "pw=$DB_PASSWORD"', sh, "{{ params.note }}"]
`,
      ),
    );
    const note = `a $b $$c \${d} "dq" 'sq' \\ end`;
    const secret = `s3cr3t $HOME "x" 'y' \${z}`;
    const { state, reporter, runsDir, ledger } = await runLocal(plan, {
      params: { note },
      secrets: new Map([['show', { DB_PASSWORD: secret }]]),
    });
    expect(state.status).toBe('succeeded');
    expect(readFileSync(join(dir, 'arg.out'), 'utf8')).toBe(note);
    expect(readFileSync(join(dir, 'env.out'), 'utf8')).toBe(`[${note}] 2024-01-15`);
    expect(readFileSync(join(dir, 'secret.out'), 'utf8')).toBe(secret);
    expect(
      createHash('sha256')
        .update(readFileSync(join(dir, 'secret.out')))
        .digest('hex'),
    ).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(reporter.of('show')).toEqual(['pw=***']);
    const stored = readFileSync(join(runsDir, state.runId, 'state.json'), 'utf8') + readFileSync(ledger, 'utf8');
    expect(stored).not.toContain('s3cr3t');
    expect(loadRunState(runsDir, state.runId)?.params).toEqual({ note });
  });

  it('a command that cannot start fails its attempt with the reason', async () => {
    const plan = planFromSpec(
      'missing',
      specText(
        'missing',
        `  tasks:\n    nope: { image: "localhost/pipewright-test:1", command: [definitely-not-a-command-xyz] }\n`,
      ),
    );
    const { state } = await runLocal(plan);
    expect(state.tasks.nope!.status).toBe('failed');
    expect(state.tasks.nope!.attempts[0]!.outcome?.error).toMatch(
      /cannot start "definitely-not-a-command-xyz": ENOENT/,
    );
    expect(existsSync(join(dir, '.pipewright', 'runs', state.runId, 'attempts', 'nope.1', 'result.json'))).toBe(true);
  });
});
