/**
 * Issue 11 item 9 (terminal escapes): control characters from git author names, commit subjects, ledger fields, spec
 * sources and command-line words never reach the terminal raw. Every command's output goes through one sink
 * (src/cli/terminal-text.ts): C0/C1 controls, DEL and bidirectional overrides become visible `\uXXXX` escapes —
 * which in JSON output are the same characters, so JSON stays exact — and only pipewright's own colour sequences
 * pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { neutralizeControls } from '../../src/cli/terminal-text.js';
import { appendLedger } from '../../src/runtime/ledger.js';
import { pipelineSpec, project, removeProjects } from '../cli/compile-support.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';

const HOSTILE = 'Mallory\u001b]0;owned\u0007\u001b[2J\u001b[8m\u009b31m\u202e\r';
/** Anything a terminal acts on: ESC, BEL, CSI (C1), CR, the bidi override. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const repos: TestRepo[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const r of repos) r.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await removeProjects();
});

describe('neutralizeControls', () => {
  it('shows controls as \\u escapes, keeps newlines, tabs and CRLF, and only our own colours', () => {
    expect(neutralizeControls(`a\tb\r\nc\n${HOSTILE}`)).toBe(
      'a\tb\r\nc\nMallory\\u001b]0;owned\\u0007\\u001b[2J\\u001b[8m\\u009b31m\\u202e\\u000d',
    );
    expect(neutralizeControls('\u001b[1;31merror\u001b[0m \u001b[2m[PW201]\u001b[0m')).toBe(
      '\u001b[1;31merror\u001b[0m \u001b[2m[PW201]\u001b[0m',
    );
    const json = JSON.stringify({ actor: HOSTILE });
    expect(JSON.parse(neutralizeControls(json))).toEqual({ actor: HOSTILE });
  });
});

describe('commands never print raw control characters', () => {
  it('changelog: author names and commit subjects', async () => {
    const repo = new TestRepo();
    repos.push(repo);
    repo.git('config', 'user.name', HOSTILE);
    repo.commit(`add alpha ${HOSTILE}`, { 'pipelines/a.yaml': pipelineSpec('alpha') });
    for (const format of ['markdown', 'json']) {
      const r = await runCliCapture(['changelog', '--format', format], { cwd: repo.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Mallory');
      expect(r.stdout).not.toMatch(RAW);
      if (format === 'json') expect(JSON.stringify(JSON.parse(r.stdout))).toContain('\\u001b');
    }
  });

  it('audit log: ledger fields (text and json)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-escapes-'));
    dirs.push(dir);
    appendLedger(join(dir, '.pipewright/ledger.jsonl'), {
      action: 'run.start',
      pipeline: `orders${HOSTILE}`,
      version: '1.0.0',
      specHash: 'f'.repeat(64),
      result: 'started',
      actor: HOSTILE,
      commit: null,
      details: { note: HOSTILE },
    });
    const text = await runCliCapture(['audit', 'log'], { cwd: dir });
    expect(text.stdout).toContain('Mallory\\u001b]0;owned');
    expect(text.stdout).not.toMatch(RAW);
    const json = await runCliCapture(['audit', 'log', '--format', 'json'], { cwd: dir });
    expect(json.stdout).not.toMatch(RAW);
    expect(JSON.parse(json.stdout)[0].actor).toBe(HOSTILE);
  });

  it('validate: a spec line in a code frame, and an unknown command word', async () => {
    const cwd = await project({
      'pipelines/a.yaml': pipelineSpec('alpha').replace('command: [echo, load]', `command: [echo, "\u001b[2J" ]]`),
    });
    await writeFile(join(cwd, 'pipelines/b.yaml'), `metadata: {name: "x\u001b]0;t\u0007"}\n`);
    const r = await runCliCapture(['validate'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(RAW);
    const unknown = await runCliCapture([`vali\u001b[2Jdate`], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('vali\\u001b[2Jdate');
    expect(unknown.stderr).not.toMatch(RAW);
  });

  it('colours on a terminal still work', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha').replace('needs: [extract]', 'needs: [x]') });
    const r = await runCliCapture(['validate'], { cwd, isTTY: true });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('\u001b[1;31merror\u001b[0m');
  });
});
