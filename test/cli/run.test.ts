import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/runtime/ledger.js';
import { runCliCapture } from '../helpers/cli.js';
import { compileCompose, makeProject, specText } from '../runtime/support.js';

const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-cli-run-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = () => ({ PATH: process.env.PATH, PIPEWRIGHT_ACTOR: 'tester' });
const run = (args: string[], extraEnv: Record<string, string> = {}) =>
  runCliCapture(['run', ...args], { cwd: dir, env: { ...env(), ...extraEnv } });

/** The demo as shipped: spec, task scripts and dataset copied into a fresh project, artifact compiled. */
function demoProject(): void {
  mkdirSync(join(dir, 'pipelines'), { recursive: true });
  cpSync(join(ROOT, 'pipelines', 'demo'), join(dir, 'pipelines', 'demo'), { recursive: true });
  const spec = readFileSync(join(ROOT, 'pipelines', 'daily-orders.yaml'), 'utf8');
  writeFileSync(join(dir, 'pipelines', 'daily-orders.yaml'), spec);
  mkdirSync(join(dir, 'generated', 'compose'), { recursive: true });
  writeFileSync(join(dir, 'generated', 'compose', 'daily-orders.compose.yaml'), compileCompose('daily-orders', spec));
}

const partition = (ds: string) => join(dir, '.pipewright', 'warehouse', 'orders', `ds=${ds}`, 'part-0000.jsonl');

describe('pipewright run (local executor)', () => {
  it('runs the demo for a date: real files in the warehouse, summary table, exit 0; a re-run is skipped', async () => {
    demoProject();
    const first = await run(['daily-orders', '--date', '2024-01-15']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('[extract     ] extracted 9 order lines for 2024-01-15');
    expect(first.stdout).toContain('[transform   ] kept 6 orders (dropped 2 cancelled, 1 duplicate lines)');
    expect(first.stdout).toContain('[check-orders] ok: 6 orders for 2024-01-15');
    expect(first.stdout).toMatch(/TASK +STATUS +ATTEMPTS +EXIT +DURATION\nextract +succeeded +1 +0 +\d+\.\ds\n/);
    expect(first.stdout).toMatch(/run \d{8}-[0-9a-f]{8} succeeded \(4 tasks\)\n$/);
    const rows = readFileSync(partition('2024-01-15'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(6);

    const again = await run(['daily-orders', '--date', '2024-01-15']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/daily-orders 2024-01-15: already succeeded in run \S+ for this spec hash; skipped/);

    const forced = await run(['daily-orders', '--date', '2024-01-15', '--force', '--format', 'json']);
    expect(forced.code).toBe(0);
    expect(readFileSync(partition('2024-01-15'), 'utf8').trim().split('\n')).toEqual(rows);
    const json = JSON.parse(forced.stdout);
    expect(Object.keys(json)).toEqual([
      'runId',
      'pipeline',
      'version',
      'logicalDate',
      'executor',
      'status',
      'skipped',
      'tasks',
    ]);
    expect(json).toMatchObject({
      pipeline: 'daily-orders',
      version: '1.0.0',
      logicalDate: '2024-01-15',
      executor: 'local',
      status: 'succeeded',
    });
    expect(json.tasks.map((t: { id: string }) => t.id)).toEqual(['extract', 'transform', 'load', 'check-orders']);
    expect(Object.keys(json.tasks[0])).toEqual(['id', 'status', 'attempts', 'exitCode', 'startedAt', 'finishedAt']);
    expect(json.tasks[3]).toMatchObject({ status: 'succeeded', attempts: 1, exitCode: 0 });
    // json mode: task output on stderr, stdout is exactly the JSON
    expect(forced.stderr).toContain('[load        ] loaded 6 orders');
  });

  it('backfills dates in order, skips dates already done, and reports a quality-gate failure (exit 1)', async () => {
    demoProject();
    const first = await run(['daily-orders', '--backfill', '2024-01-14..2024-01-16', '--format', 'json']);
    expect(first.code).toBe(0);
    const runs = JSON.parse(first.stdout) as { logicalDate: string; status: string; skipped: boolean }[];
    expect(runs.map((r) => `${r.logicalDate}:${r.status}:${r.skipped}`)).toEqual([
      '2024-01-14:succeeded:false',
      '2024-01-15:succeeded:false',
      '2024-01-16:succeeded:false',
    ]);
    expect(first.stderr).toMatch(/\n3 dates: 3 succeeded\n$/);
    for (const ds of ['2024-01-14', '2024-01-15', '2024-01-16']) expect(existsSync(partition(ds))).toBe(true);

    const second = await run(['daily-orders', '--backfill', '2024-01-15..2024-01-18']);
    expect(second.code).toBe(1);
    expect(second.stdout.match(/already succeeded in run/g)).toHaveLength(2);
    expect(second.stdout).toContain('[check-orders] FAIL order o1043 has no customer_id');
    expect(second.stdout).toMatch(/check-orders +failed \(quality gate\) +1 +1 /);
    expect(second.stdout).toMatch(
      /failed \(quality gate failed: check-orders\)\n\n4 dates: 1 succeeded, 2 skipped \(already done\), 1 failed\n$/,
    );
    const again = await run(['daily-orders', '--backfill', '2024-01-14..2024-01-15', '--format', 'json']);
    expect(
      (JSON.parse(again.stdout) as { skipped: boolean }[]).map((r) => r.skipped),
      'already done',
    ).toEqual([true, true]);
    const order = [...second.stdout.matchAll(/^running daily-orders 1\.0\.0 for (\S+)/gm)].map((m) => m[1]);
    expect(order).toEqual(['2024-01-17', '2024-01-18']);
  });

  it('refuses dates outside spec.startDate..spec.endDate with the reason, before running anything (exit 2)', async () => {
    demoProject(); // daily-orders starts on 2024-01-14
    const early = await run(['daily-orders', '--backfill', '2024-01-12..2024-01-15']);
    expect(early.code).toBe(2);
    expect(early.stderr).toBe(
      'pipewright: daily-orders has no runs for 2 dates (2024-01-12, 2024-01-13) are before its spec.startDate 2024-01-14; run --backfill 2024-01-14..2024-01-15\n',
    );
    expect(early.stdout).toBe('');
    const one = await run(['daily-orders', '--date', '2024-01-13']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('2024-01-13 is before its spec.startDate 2024-01-14');
  });

  it('refuses a stale artifact and runs the spec as it is with --compile', async () => {
    const spec = specText(
      'tiny',
      `  tasks:\n    hello: { image: "localhost/pipewright-test:1", command: [echo, "hello {{ ds }}"] }\n`,
    );
    makeProject({ tiny: spec }, dir);
    writeFileSync(join(dir, 'pipelines', 'tiny.yaml'), spec.replace('hello {{ ds }}', 'changed {{ ds }}'));
    const stale = await run(['tiny', '--date', '2024-02-01']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('generated/compose/tiny.compose.yaml is stale');
    const compiled = await run(['tiny', '--date', '2024-02-01', '--compile']);
    expect(compiled.code).toBe(0);
    expect(compiled.stdout).toContain('[hello] changed 2024-02-01');

    rmSync(join(dir, 'generated'), { recursive: true });
    const missing = await run(['tiny', '--date', '2024-02-02']);
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('generated/compose/tiny.compose.yaml does not exist'),
    });
    const unknown = await run(['nope']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("no spec under pipelines defines pipeline 'nope' (known: tiny)"),
    });
  });

  it('needs every secret before starting, from the environment or --secrets-file, and never prints it', async () => {
    const spec = specText(
      'sec',
      `  tasks:
    use:
      image: "localhost/pipewright-test:1"
      secrets: { API_TOKEN: { ref: partner-api/token } }
      command: [sh, -c, 'printf %s "$API_TOKEN" > token.out; echo "token is $API_TOKEN"']
`,
    );
    makeProject({ sec: spec }, dir);
    const missing = await run(['sec', '--date', '2024-02-01']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'pipewright: missing secret value:\n  partner-api/token: set PIPEWRIGHT_SECRET_PARTNER_API_TOKEN (environment or --secrets-file) or API_TOKEN\n',
    );
    const value = `tok "$x" 'y'`;
    writeFileSync(join(dir, 'secrets.env'), `# dev secrets\nPIPEWRIGHT_SECRET_PARTNER_API_TOKEN='${value}'\n`);
    const fromFile = await run(['sec', '--date', '2024-02-01', '--secrets-file', 'secrets.env']);
    expect(fromFile.code).toBe(0);
    expect(readFileSync(join(dir, 'token.out'), 'utf8')).toBe(value);
    expect(fromFile.stdout).toContain('[use] token is ***');
    expect(fromFile.stdout + fromFile.stderr).not.toContain('tok "');

    const fromEnv = await run(['sec', '--date', '2024-02-02'], { PIPEWRIGHT_SECRET_PARTNER_API_TOKEN: 'env-value-1' });
    expect(fromEnv.code).toBe(0);
    expect(readFileSync(join(dir, 'token.out'), 'utf8')).toBe('env-value-1');
    const ledger = readFileSync(join(dir, '.pipewright', 'ledger.jsonl'), 'utf8');
    expect(ledger).not.toContain('env-value-1');
    expect(ledger).not.toContain('tok "');
  });

  it('passes --param values exactly and rejects unknown or invalid ones (exit 2)', async () => {
    const spec = specText(
      'prm',
      `  params:
    region: { default: eu, enum: [eu, us] }
    note: {}
  tasks:
    show: { image: "localhost/pipewright-test:1", command: [sh, -c, 'printf "%s|%s" "$1" "$PIPEWRIGHT_PARAM_REGION" > p.out', sh, "{{ params.note }}"] }
`,
    );
    makeProject({ prm: spec }, dir);
    expect(await run(['prm', '--date', '2024-02-01'])).toMatchObject({
      code: 2,
      stderr: "pipewright: parameter 'note' has no default: pass --param note=VALUE\n",
    });
    expect((await run(['prm', '--param', 'note=x', '--param', 'region=mars'])).stderr).toContain(
      "parameter 'region' must be one of eu, us (got 'mars')",
    );
    expect((await run(['prm', '--param', 'note=x', '--param', 'colour=red'])).stderr).toContain(
      "unknown parameter 'colour'",
    );
    const ok = await run(['prm', '--date', '2024-02-01', '--param', `note=a $b "c" 'd' \${e}`, '--param', 'region=us']);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, 'p.out'), 'utf8')).toBe(`a $b "c" 'd' \${e}|us`);
  });

  it('refuses to start beyond spec.concurrency active runs of the pipeline', async () => {
    const spec = specText(
      'one',
      `  concurrency: 1\n  tasks:\n    t: { image: "localhost/pipewright-test:1", command: [echo, hi] }\n`,
    );
    makeProject({ one: spec }, dir);
    expect((await run(['one', '--date', '2024-02-01'])).code).toBe(0);
    // pretend the run of 2024-02-01 is still being executed by a live runner (this test process)
    const runsDir = join(dir, '.pipewright', 'runs');
    const [runId] = readdirSync(runsDir);
    const statePath = join(runsDir, runId!, 'state.json');
    writeFileSync(statePath, readFileSync(statePath, 'utf8').replace('"status": "succeeded"', '"status": "running"'));
    writeFileSync(join(runsDir, runId!, 'runner.lock'), `${process.pid}\n`);
    const refused = await run(['one', '--date', '2024-02-02']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `pipewright: one allows 1 active run (spec.concurrency) and ${runId} (2024-02-01) is running; wait or raise spec.concurrency\n`,
    );
  });

  it('refuses to append to a ledger whose last record is incomplete (exit 1, no stack)', async () => {
    makeProject(
      { tiny: specText('tiny', `  tasks:\n    t: { image: "localhost/pipewright-test:1", command: [echo, hi] }\n`) },
      dir,
    );
    mkdirSync(join(dir, '.pipewright'), { recursive: true });
    writeFileSync(join(dir, '.pipewright', 'ledger.jsonl'), '{"seq":1,"trunc');
    const result = await run(['tiny', '--date', '2024-02-01']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `pipewright: ledger ${join(dir, '.pipewright', 'ledger.jsonl')} ends with an incomplete record; run \`pipewright audit verify\` before appending\n`,
    );
  });

  it('records the git commit of the working tree in every ledger record', async () => {
    makeProject(
      { tiny: specText('tiny', `  tasks:\n    t: { image: "localhost/pipewright-test:1", command: [echo, hi] }\n`) },
      dir,
    );
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: dir,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@t',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@t',
        },
      }).trim();
    git('init', '-q');
    git('add', 'pipelines', 'generated');
    git('commit', '-q', '-m', 'specs');
    const head = git('rev-parse', 'HEAD');
    expect((await run(['tiny', '--date', '2024-02-01'])).code).toBe(0);
    const records = readLedger(join(dir, '.pipewright', 'ledger.jsonl'));
    expect(records.map((r) => r.commit)).toEqual([head, head, head]);
    expect(records.map((r) => r.actor)).toEqual(['tester', 'tester', 'tester']);
  });

  it('rejects bad usage with exit 2', async () => {
    expect((await run(['x', '--date', '2024-02-30'])).code).toBe(2);
    expect((await run(['x', '--backfill', '2024-02-05..2024-02-01'])).code).toBe(2);
    expect((await run(['x', '--concurrency', '0'])).code).toBe(2);
    expect((await run(['x', '--executor', 'k8s'])).code).toBe(2);
    expect((await run(['x', '--resume', 'nope'])).code).toBe(2);
    expect((await run(['--date', '2024-01-01'])).code).toBe(2);
  });
});
