import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendLedger } from '../../src/runtime/ledger.js';
import { runCliCapture } from '../helpers/cli.js';
import { assertBuilt, BUILT_CLI } from '../runtime/built.js';

let dir: string;
let ledger: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-audit-'));
  ledger = join(dir, '.pipewright', 'ledger.jsonl');
  const base = { version: '1.0.0', specHash: 'f'.repeat(64), actor: 'alice@box', commit: 'a'.repeat(40) };
  const now = () => new Date('2024-03-01T05:00:00.000Z');
  appendLedger(
    ledger,
    { ...base, action: 'run.start', pipeline: 'orders', result: 'started', details: { runId: '20240301-00000001' } },
    { now },
  );
  appendLedger(
    ledger,
    {
      ...base,
      action: 'task.attempt',
      pipeline: 'orders',
      result: 'succeeded',
      details: { task: 'load', attempt: 1, exitCode: 0 },
    },
    { now },
  );
  appendLedger(
    ledger,
    { ...base, action: 'run.start', pipeline: 'billing', result: 'started', details: { runId: '20240301-00000002' } },
    { now },
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const audit = (...args: string[]) => runCliCapture(['audit', ...args], { cwd: dir });

describe('pipewright audit', () => {
  it('verify: exit 0 with the record count and head hash', async () => {
    const result = await audit('verify');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^ledger ${ledger}: 3 records, chain intact; head [0-9a-f]{64}\\nnot anchored: `),
    );
  });

  it('verify: exit 1 naming the first bad record after an edit', async () => {
    const lines = readFileSync(ledger, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"succeeded"', '"failed"');
    writeFileSync(ledger, lines.join('\n'));
    const result = await audit('verify');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `ledger ${ledger}: record 2 is bad: hash does not match its content (the record was edited)\n1 record before it verified; head file ${ledger}.head\n`,
    );
    const json = JSON.parse((await audit('verify', '--format', 'json')).stdout);
    expect(json).toMatchObject({ ok: false, line: 2, seq: 2, records: 1 });
  });

  it('log: all records or one pipeline, text and json', async () => {
    const text = await audit('log');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[1]).toBe(
      `#2 2024-03-01T05:00:00.000Z alice@box task.attempt orders 1.0.0 succeeded attempt=1 exitCode=0 task=load spec=ffffffffffff commit=aaaaaaaaaaaa`,
    );
    const only = await audit('log', '--pipeline', 'billing', '--format', 'json');
    const records = JSON.parse(only.stdout);
    expect(records.map((r: { seq: number }) => r.seq)).toEqual([3]);
    expect(Object.keys(records[0]).sort()).toEqual([
      'action',
      'actor',
      'commit',
      'details',
      'hash',
      'pipeline',
      'prev',
      'result',
      'seq',
      'specHash',
      'time',
      'version',
    ]);
  });

  it('usage errors exit 2', async () => {
    expect((await audit()).code).toBe(2);
    expect((await audit('frobnicate')).code).toBe(2);
    expect((await audit('verify', '--pipeline', 'x')).code).toBe(2);
  });

  it('the built CLI verifies and reports tampering with exit codes 0 and 1', () => {
    assertBuilt();
    const ok = spawnSync(process.execPath, [BUILT_CLI, 'audit', 'verify'], { cwd: dir, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const lines = readFileSync(ledger, 'utf8').trimEnd().split('\n');
    writeFileSync(ledger, `${[lines[0], lines[2], lines[1]].join('\n')}\n`);
    const bad = spawnSync(process.execPath, [BUILT_CLI, 'audit', 'verify'], { cwd: dir, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('record 2 (seq 3) is bad: sequence number is 3, expected 2');
  });
});
