import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendLedger,
  appendLedgerBatch,
  hashRecord,
  headFileOf,
  type LedgerRecord,
  readLedger,
  verifyLedger,
} from '../../src/runtime/ledger.js';
import { lockOwnerText } from '../../src/runtime/lock-file.js';
import { assertBuilt, DIST } from './built.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-ledger-'));
  file = join(dir, 'ledger.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entry = (n: number) => ({
  action: 'task.attempt',
  pipeline: 'p',
  version: '1.0.0',
  specHash: 'a'.repeat(64),
  result: n % 2 ? 'succeeded' : 'failed',
  actor: 'tester',
  commit: null,
  details: { task: `t${n}`, attempt: 1 },
});

function writeFive(): string[] {
  for (let i = 1; i <= 5; i++) appendLedger(file, entry(i));
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}
const save = (lines: string[]) => writeFileSync(file, `${lines.join('\n')}\n`);

describe('ledger', () => {
  it('a batch chains exactly like one append per entry, each record at its own time', () => {
    appendLedger(file, entry(1));
    const at = [new Date('2026-01-02T03:04:05.000Z'), new Date('2026-01-02T03:04:06.000Z')];
    const batch = appendLedgerBatch(file, [
      { ...entry(2), at: at[0] },
      { ...entry(3), at: at[1] },
    ]);
    appendLedger(file, entry(4));
    const records = readLedger(file);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < 4; i++) expect(records[i]!.prev).toBe(records[i - 1]!.hash);
    expect(records.slice(1, 3)).toEqual(batch);
    expect(batch.map((r) => r.time)).toEqual(at.map((d) => d.toISOString()));
    expect(batch[0]).not.toHaveProperty('at');
    expect(verifyLedger(file)).toEqual({ ok: true, records: 4, head: records[3]!.hash });
    expect(appendLedgerBatch(file, [])).toEqual([]);
  });

  it('chains records: seq from 1, prev = previous hash, head file = last record', () => {
    writeFive();
    const records = readLedger(file);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records[0]!.prev).toBeNull();
    for (let i = 1; i < 5; i++) expect(records[i]!.prev).toBe(records[i - 1]!.hash);
    expect(records[2]).toMatchObject({
      actor: 'tester',
      action: 'task.attempt',
      pipeline: 'p',
      commit: null,
      details: { task: 't3' },
    });
    expect(JSON.parse(readFileSync(headFileOf(file), 'utf8'))).toEqual({ seq: 5, hash: records[4]!.hash });
    expect(verifyLedger(file)).toEqual({ ok: true, records: 5, head: records[4]!.hash });
  });

  it('records the git commit of the working directory, null outside a repository', () => {
    const record = appendLedger(file, { ...entry(1), commit: undefined }, { cwd: dir });
    expect(record.commit).toBeNull();
  });

  it('an empty ledger verifies; a missing one (no head file either) is reported as missing, not as empty', () => {
    expect(verifyLedger(file)).toEqual({ missing: true });
    writeFileSync(file, '');
    expect(verifyLedger(file)).toEqual({ ok: true, records: 0, head: null });
  });

  it('detects an edited record', () => {
    const lines = writeFive();
    const rec = JSON.parse(lines[2]!) as LedgerRecord;
    rec.result = rec.result === 'failed' ? 'succeeded' : 'failed';
    lines[2] = JSON.stringify(rec);
    save(lines);
    expect(verifyLedger(file)).toMatchObject({ ok: false, line: 3, seq: 3, reason: expect.stringContaining('edited') });
  });

  it('detects an edit whose hash was recomputed (the next record no longer links to it)', () => {
    const lines = writeFive();
    const rec = JSON.parse(lines[1]!) as LedgerRecord;
    rec.actor = 'mallory';
    const { hash: _old, ...body } = rec;
    rec.hash = hashRecord(body);
    lines[1] = JSON.stringify(rec);
    save(lines);
    expect(verifyLedger(file)).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringContaining('prev does not match'),
    });
  });

  it('detects a deleted record in the middle', () => {
    const lines = writeFive();
    lines.splice(1, 1);
    save(lines);
    expect(verifyLedger(file)).toMatchObject({
      ok: false,
      line: 2,
      seq: 3,
      reason: expect.stringContaining('expected 2'),
    });
  });

  it('detects deleted trailing records through the head file', () => {
    const lines = writeFive();
    save(lines.slice(0, 3));
    expect(verifyLedger(file)).toMatchObject({
      ok: false,
      line: 4,
      reason: expect.stringContaining('trailing records were deleted'),
    });
  });

  it('detects an emptied ledger through the head file', () => {
    writeFive();
    writeFileSync(file, '');
    expect(verifyLedger(file)).toMatchObject({ ok: false, line: 1 });
  });

  it('detects an inserted record', () => {
    const lines = writeFive();
    lines.splice(2, 0, lines[1]!);
    save(lines);
    expect(verifyLedger(file)).toMatchObject({ ok: false, line: 3, seq: 2 });
  });

  it('detects reordered records', () => {
    const lines = writeFive();
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    save(lines);
    expect(verifyLedger(file)).toMatchObject({ ok: false, line: 2, seq: 3 });
  });

  it('detects a truncated last line and refuses to append after it', () => {
    const lines = writeFive();
    writeFileSync(file, `${lines.join('\n')}\n`.slice(0, -20));
    expect(verifyLedger(file)).toMatchObject({ ok: false, line: 5, reason: expect.stringContaining('truncated') });
    expect(() => appendLedger(file, entry(6))).toThrow(/incomplete record/);
  });

  it('detects a line that is not JSON and unexpected fields', () => {
    const lines = writeFive();
    save([...lines.slice(0, 4), 'garbage']);
    expect(verifyLedger(file)).toMatchObject({ ok: false, line: 5, reason: 'not valid JSON' });
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    rec.extra = 1;
    save([JSON.stringify(rec), ...lines.slice(1)]);
    expect(verifyLedger(file)).toMatchObject({
      ok: false,
      line: 1,
      reason: expect.stringContaining('unexpected fields'),
    });
  });

  it('detects a forged record appended outside pipewright (head file disagrees)', () => {
    const lines = writeFive();
    const last = JSON.parse(lines[4]!) as LedgerRecord;
    const { hash: _h, ...body } = { ...last, seq: 6, prev: last.hash, result: 'succeeded' };
    save([...lines, JSON.stringify({ ...body, hash: hashRecord(body) })]);
    expect(verifyLedger(file)).toMatchObject({ ok: false, line: 6, reason: expect.stringContaining('head file') });
  });

  it('breaks the lock of a dead writer, also when its pid now belongs to another process', () => {
    writeFileSync(`${file}.lock`, '999999999\n');
    appendLedger(file, entry(1), { lockTimeoutMs: 2000 });
    // a live pid with another start time: the process that wrote the lock is gone, the pid was reused
    writeFileSync(`${file}.lock`, `${process.pid} 1\n`);
    appendLedger(file, entry(2), { lockTimeoutMs: 2000 });
    expect(verifyLedger(file)).toMatchObject({ ok: true, records: 2 });
  });

  it('waits for a live writer and gives up with a clear error', () => {
    writeFileSync(`${file}.lock`, lockOwnerText());
    expect(() => appendLedger(file, entry(1), { lockTimeoutMs: 100 })).toThrow(
      `ledger ${file} is locked by process ${process.pid} (waited 100 ms)`,
    );
  });

  it('concurrent writer processes never interleave and keep the chain intact', async () => {
    assertBuilt();
    const writers = 6;
    const each = 25;
    const script = join(dir, 'writer.mjs');
    writeFileSync(
      script,
      `const { appendLedger } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'runtime', 'ledger.js')).href)});
const [file, name, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i++) {
  appendLedger(file, { action: 'task.attempt', pipeline: 'p', version: '1.0.0', specHash: 'x', result: 'succeeded',
    actor: name, commit: null, details: { i, pad: 'y'.repeat(3000) } });
}
`,
    );
    await Promise.all(
      Array.from(
        { length: writers },
        (_, w) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(process.execPath, [script, file, `w${w}`, String(each)], {
              stdio: ['ignore', 'ignore', 'pipe'],
            });
            let err = '';
            child.stderr.on('data', (d) => {
              err += d;
            });
            child.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`writer ${w} exited ${code}: ${err}`)),
            );
          }),
      ),
    );
    expect(verifyLedger(file)).toMatchObject({ ok: true, records: writers * each });
    const records = readLedger(file);
    for (let w = 0; w < writers; w++) {
      expect(records.filter((r) => r.actor === `w${w}`).map((r) => r.details.i)).toEqual(
        Array.from({ length: each }, (_, i) => i),
      );
    }
  });
});
