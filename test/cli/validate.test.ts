import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';

const VALID = readFileSync(new URL('../fixtures/validate/ok/daily-orders.yaml', import.meta.url), 'utf8');
let dir: string;

function write(rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-validate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pipewright validate', () => {
  it('exits 0 on valid specs under the default pipelines/ directory', async () => {
    write('pipelines/daily-orders.yaml', VALID);
    const r = await runCliCapture(['validate'], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: '0 errors, 0 warnings in 1 file\n', stderr: '' });
  });

  it('exits 1 with positioned errors, a code frame and a summary', async () => {
    write('pipelines/a.yaml', VALID.replace('version: 1.4.0', 'version: 1.10'));
    write('pipelines/b.yaml', VALID.replace('daily-orders', 'other-orders'));
    const r = await runCliCapture(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'pipelines/a.yaml:6:12: error: metadata.version must be a string (got number 1.10): write "1.10.0" (quoted) [PW100]',
        '  5 |   name: daily-orders',
        '> 6 |   version: 1.10',
        '    |            ^^^^',
        '  7 |   owner: analytics',
        '',
        '1 error, 0 warnings in 2 files',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
  });

  it('reports cross-file problems (duplicate pipeline names) with both files', async () => {
    write('pipelines/a.yaml', VALID);
    write('pipelines/b.yaml', VALID);
    const r = await runCliCapture(['validate', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.summary).toEqual({ files: 2, errors: json.diagnostics.length, warnings: 0 });
    expect(json.diagnostics.map((d: { code: string }) => d.code)).toContain('PW204');
  });

  it('--format json and codequality', async () => {
    write('p.yaml', 'apiVersion: pipewright.dev/v1\n');
    const json = await runCliCapture(['validate', 'p.yaml', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      diagnostics: ['kind', 'metadata', 'spec'].map((p) => ({
        file: 'p.yaml',
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
        severity: 'error',
        code: 'PW100',
        message: `missing required property '${p}'`,
      })),
      summary: { files: 1, errors: 3, warnings: 0 },
    });
    const cq = await runCliCapture(['validate', 'p.yaml', '--format=codequality'], { cwd: dir });
    expect(cq.code).toBe(1);
    const issues = JSON.parse(cq.stdout);
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatchObject({ severity: 'major', location: { path: 'p.yaml', lines: { begin: 1 } } });
  });

  it('colours only on a TTY without NO_COLOR', async () => {
    write('p.yaml', 'a: 1\n');
    const tty = await runCliCapture(['validate', 'p.yaml'], { cwd: dir, isTTY: true });
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await runCliCapture(['validate', 'p.yaml'], { cwd: dir, isTTY: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
    const pipe = await runCliCapture(['validate', 'p.yaml'], { cwd: dir });
    expect(pipe.stdout).not.toContain('\u001b[');
  });

  it('usage errors exit 2; a missing path exits 1; neither prints a stack trace', async () => {
    const badFormat = await runCliCapture(['validate', '--format', 'xml'], { cwd: dir });
    expect(badFormat).toEqual({
      code: 2,
      stdout: '',
      stderr: "pipewright: --format must be one of text, json, codequality (got 'xml')\n",
    });
    const unknownFlag = await runCliCapture(['validate', '--strict'], { cwd: dir });
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/^pipewright: validate: unknown option '--strict'/);
    const missing = await runCliCapture(['validate'], { cwd: dir });
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'pipewright: no such file or directory: pipelines/\n' });
    for (const r of [badFormat, unknownFlag, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help prints the usage', async () => {
    const r = await runCliCapture(['validate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: pipewright validate \[paths\.\.\.\] \[--format text\|json\|codequality\]/);
  });
});
