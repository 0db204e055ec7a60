/**
 * docs/runtime.md cannot rot: its console examples of the demo (`run`, `runs`, `audit verify`) are replayed in a fresh
 * copy of the demo project and must match (run ids, times, durations, hashes and the project path normalised), and
 * every row of its tampering table must be what `audit verify` reports for that tampering.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendLedger, type LedgerRecord } from '../../src/runtime/ledger.js';
import { runCliCapture } from '../helpers/cli.js';
import { compileCompose } from './support.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'runtime.md'), 'utf8');
const DOC_CWD = '/home/you/pipewright';

/** Lines printed after the console line `$ <command>` (up to the block end or the next `$` line). */
function documentedOutput(command: string): string[] {
  const blocks = [...DOC.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]!.split('\n'));
  for (const lines of blocks) {
    const at = lines.indexOf(`$ ${command}`);
    if (at === -1) continue;
    const out: string[] = [];
    for (const line of lines.slice(at + 1)) {
      if (line.startsWith('$ ')) break;
      out.push(line);
    }
    while (out.at(-1) === '') out.pop();
    return out;
  }
  throw new Error(`docs/runtime.md has no console example of \`${command}\``);
}

function normalise(text: string, cwd: string): string[] {
  return text
    .replaceAll(cwd, DOC_CWD)
    .replace(/\d{8}-[0-9a-f]{8}/g, '<run>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, '<time>')
    .replace(/\b[0-9a-f]{64}\b/g, '<hash>')
    .replace(/\b\d+\.\ds\b/g, '<d>')
    .split('\n')
    .map((l) => l.replace(/ {2,}/g, '  ').trimEnd());
}

/** Documented lines must equal the actual output; a leading `…` line means "the output ends with these lines". */
function expectDocumented(command: string, actual: string, cwd: string): void {
  const doc = documentedOutput(command);
  const wanted = normalise(doc.filter((l) => l !== '…').join('\n'), cwd);
  const got = normalise(actual.replace(/\n$/, ''), cwd);
  if (doc[0] === '…') expect(got.slice(-wanted.length)).toEqual(wanted);
  else expect(got).toEqual(wanted);
}

const dir = mkdtempSync(join(tmpdir(), 'pw-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/runtime.md', () => {
  it('replays the demo examples', async () => {
    mkdirSync(join(dir, 'pipelines'), { recursive: true });
    cpSync(join(ROOT, 'pipelines', 'demo'), join(dir, 'pipelines', 'demo'), { recursive: true });
    const spec = readFileSync(join(ROOT, 'pipelines', 'daily-orders.yaml'), 'utf8');
    writeFileSync(join(dir, 'pipelines', 'daily-orders.yaml'), spec);
    mkdirSync(join(dir, 'generated', 'compose'), { recursive: true });
    writeFileSync(join(dir, 'generated', 'compose', 'daily-orders.compose.yaml'), compileCompose('daily-orders', spec));
    const cli = (...args: string[]) =>
      runCliCapture(args, { cwd: dir, env: { PATH: process.env.PATH, PIPEWRIGHT_ACTOR: 'root@vm' } });

    // the documented session, in order
    const first = await cli('run', 'daily-orders', '--date', '2024-01-15');
    expect(first.code).toBe(0);
    expectDocumented(
      'npm ci && npm run build && node dist/cli.js compile && node dist/cli.js run daily-orders --date 2024-01-15',
      first.stdout,
      dir,
    );
    const gate = await cli('run', 'daily-orders', '--date', '2024-01-18');
    expect(gate.code).toBe(1);
    expectDocumented('node dist/cli.js run daily-orders --date 2024-01-18', gate.stdout, dir);
    const json = await cli('run', 'daily-orders', '--date', '2024-01-15', '--force', '--format', 'json');
    expect(json.code).toBe(0);
    const documentedJson = JSON.parse(/```json\n(\{\n {2}"runId"[\s\S]*?)```/.exec(DOC)![1]!);
    const actualJson = JSON.parse(json.stdout);
    expect(Object.keys(actualJson)).toEqual(Object.keys(documentedJson));
    expect(Object.keys(actualJson.tasks[0])).toEqual(Object.keys(documentedJson.tasks[0]));
    expect(actualJson.tasks[0]).toMatchObject({ id: 'extract', status: 'succeeded', attempts: 1, exitCode: 0 });
    const skipped = await cli('run', 'daily-orders', '--date', '2024-01-15');
    expectDocumented('node dist/cli.js run daily-orders --date 2024-01-15', skipped.stdout, dir);
    expectDocumented('node dist/cli.js runs', (await cli('runs')).stdout, dir);
    const verify = await cli('audit', 'verify');
    expect(verify.code).toBe(0);
    expectDocumented('node dist/cli.js audit verify', verify.stdout, dir);
  });

  it('every row of the tampering table is what audit verify reports', async () => {
    const rows = [...DOC.matchAll(/^\| ([a-z][^|]+?) \| `(record [^`]*|… [^`]*)`[^|]* \|$/gm)].map((m) => ({
      kind: m[1]!,
      report: m[2]!,
    }));
    expect(rows.map((r) => r.kind)).toEqual([
      'a field edited',
      'edited and re-hashed',
      'a record deleted',
      'a record inserted / two swapped',
      'trailing records deleted',
      'last line truncated',
      'a record appended outside pipewright',
    ]);
    const ledgerDir = mkdtempSync(join(dir, 'ledger-'));
    const file = join(ledgerDir, 'ledger.jsonl');
    const fresh = () => {
      rmSync(ledgerDir, { recursive: true, force: true });
      mkdirSync(ledgerDir);
      for (let i = 1; i <= 5; i++) {
        appendLedger(file, {
          action: 'task.attempt',
          pipeline: 'p',
          version: '1.0.0',
          specHash: 'x',
          result: 'succeeded',
          actor: 'a',
          commit: null,
          details: { i },
        });
      }
      return readFileSync(file, 'utf8').trimEnd().split('\n');
    };
    const save = (lines: string[]) => writeFileSync(file, `${lines.join('\n')}\n`);
    const { hashRecord } = await import('../../src/runtime/ledger.js');
    const tamper: Record<string, () => void> = {
      'a field edited': () => {
        const l = fresh();
        l[2] = l[2]!.replace('"succeeded"', '"failed"');
        save(l);
      },
      'edited and re-hashed': () => {
        const l = fresh();
        const r = JSON.parse(l[2]!) as LedgerRecord;
        const { hash: _h, ...body } = { ...r, result: 'failed' };
        l[2] = JSON.stringify({ ...body, hash: hashRecord(body) });
        save(l);
      },
      'a record deleted': () => save(fresh().filter((_, i) => i !== 1)),
      'a record inserted / two swapped': () => {
        const l = fresh();
        save([l[0]!, l[2]!, l[1]!, l[3]!, l[4]!]);
      },
      'trailing records deleted': () => save(fresh().slice(0, 3)),
      'last line truncated': () => writeFileSync(file, `${fresh().join('\n')}\n`.slice(0, -10)),
      'a record appended outside pipewright': () => {
        const l = fresh();
        const last = JSON.parse(l[4]!) as LedgerRecord;
        const { hash: _h, ...body } = { ...last, seq: 6, prev: last.hash };
        save([...l, JSON.stringify({ ...body, hash: hashRecord(body) })]);
      },
    };
    for (const row of rows) {
      tamper[row.kind]!();
      const result = await runCliCapture(['audit', 'verify', '--ledger', file], { cwd: dir });
      expect(result.code, row.kind).toBe(1);
      // `…` in the table elides part of the message: every documented piece appears, in order
      let from = 0;
      for (const piece of row.report
        .split('…')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const at = result.stderr.indexOf(piece, from);
        expect(at, `${row.kind}: '${piece}' in ${result.stderr}`).toBeGreaterThanOrEqual(0);
        from = at + piece.length;
      }
    }
  });
});
