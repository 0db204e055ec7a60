/**
 * Issue 11 item 2 (writes stay inside the project), for pipewright's own state: a `.pipewright/` committed as a
 * symbolic link (or a linked `runs/`, or a ledger file that is a link) must not make `run` write run state or ledger
 * records outside the project.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendLedger } from '../../src/runtime/ledger.js';
import { makeStateDir } from '../../src/runtime/state-dir.js';
import { LinkRefused } from '../../src/spec/no-follow.js';

let project: string;
let outside: string;
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'pw-state-'));
  outside = mkdtempSync(join(tmpdir(), 'pw-outside-'));
});
afterEach(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const entry = {
  action: 'run.start',
  pipeline: 'orders',
  version: '1.0.0',
  specHash: 'f'.repeat(64),
  result: 'started',
  actor: 'a@b',
  commit: null,
};

describe('state under .pipewright/ is never written through a link', () => {
  it('a linked .pipewright/ is refused for run state and for the ledger; nothing lands outside', () => {
    symlinkSync(outside, join(project, '.pipewright'));
    expect(() => makeStateDir(join(project, '.pipewright', 'runs', '20240101-00000001'))).toThrow(LinkRefused);
    expect(() => appendLedger(join(project, '.pipewright', 'ledger.jsonl'), entry)).toThrow(
      /\.pipewright is a symbolic link/,
    );
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a linked runs/ directory is refused', () => {
    mkdirSync(join(project, '.pipewright'));
    symlinkSync(outside, join(project, '.pipewright', 'runs'));
    expect(() => makeStateDir(join(project, '.pipewright', 'runs', 'x'))).toThrow(
      /\.pipewright\/runs is a symbolic link/,
    );
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a ledger file that is a link is not appended to', () => {
    mkdirSync(join(project, '.pipewright'));
    writeFileSync(join(outside, 'bashrc'), 'original\n');
    symlinkSync(join(outside, 'bashrc'), join(project, '.pipewright', 'ledger.jsonl'));
    expect(() => appendLedger(join(project, '.pipewright', 'ledger.jsonl'), entry)).toThrow(/symbolic link/);
    expect(readFileSync(join(outside, 'bashrc'), 'utf8')).toBe('original\n');
  });

  it('a plain .pipewright/ works as before', () => {
    const record = appendLedger(join(project, '.pipewright', 'ledger.jsonl'), entry);
    expect(record.seq).toBe(1);
    expect(existsSync(join(project, '.pipewright', '.gitignore'))).toBe(true);
  });
});
