/**
 * The one secret detector (src/spec/secrets.ts) and everything that relies on it: the PW210 rule, code frames, the
 * messages of every format, and diff/changelog redaction. Regression tests for issue 11 items 4 (scanner speed) and 8
 * (detector gaps, key names as evidence) and issue 18 item 2 (frames, advice text, connection strings).
 */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/history/change.js';
import { redactDeep } from '../../src/history/redact.js';
import { findSecretSpans, redactSecrets } from '../../src/spec/secrets.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';
import { specProject, validateJson } from './support.js';

const IMAGE = `alpine:3.19@sha256:${'a'.repeat(64)}`;

function spec(body: { labels?: string; env?: string; command?: string; tasks?: string; secrets?: string }): string {
  return [
    'apiVersion: pipewright.dev/v1',
    'kind: Pipeline',
    'metadata:',
    '  name: p',
    '  version: 1.0.0',
    '  owner: data',
    ...(body.labels ? ['  labels:', body.labels] : []),
    'spec:',
    '  defaults:',
    `    image: ${IMAGE}`,
    '  tasks:',
    body.tasks ??
      [
        '    t:',
        `      command: ${body.command ?? '[run]'}`,
        ...(body.env ? ['      env:', body.env] : []),
        ...(body.secrets ? ['      secrets:', body.secrets] : []),
      ].join('\n'),
    '',
  ].join('\n');
}

async function validate(text: string) {
  const dir = specProject({ 'p.yaml': text });
  const { code, json, raw } = await validateJson(dir);
  const plain = await runCliCapture(['validate'], { cwd: dir });
  return { json, raw, text: plain.stdout, code };
}

describe('the secret scanner runs in time linear in its input (issue 11 item 4)', () => {
  // Each unit made the old scanner re-read the rest of its line for every match (O(line²)); 256 KiB of any of them
  // took seconds to minutes. Linear scanning reads each of them in milliseconds: the bound is generous on purpose.
  const UNITS = {
    assignments: 'password: x{',
    'template values': 'password: a{{ ',
    'escaped quotes': 'password: "\\" ',
    tokens: 'token: aaaaa ',
    'JWT-like runs': 'eyJaaaaaaaaaa-',
    'flow collections': '[password: a ',
    'trailing spaces': 'password: a  ',
    flags: '--password x ',
    comments: 'password: a #',
    'quoted flags': '"--token=a ',
    'connection strings': ';Password=a',
  };
  for (const [name, unit] of Object.entries(UNITS)) {
    // A hang guard, not a speed goal (speed lives in bench/): the backtracking scanner took 181 s on such a line,
    // the linear one takes milliseconds; 20 s leaves room for a loaded CI machine and still catches a regression.
    it(`256 KiB of ${name} on one line`, () => {
      const text = unit.repeat(Math.ceil((256 * 1024) / unit.length));
      const started = performance.now();
      findSecretSpans(text);
      expect(performance.now() - started).toBeLessThan(20_000);
    }, 30_000);
  }

  // Hang guard (the quadratic version took 155 s), not a speed goal.
  it('validate reads a 1 MiB spec with one long line without blowing up', async () => {
    const line = `    # ${'password: a{{ '.repeat(70_000)}`;
    const started = performance.now();
    const { code, text } = await validate(`${spec({})}${line}\n`);
    expect(code).toBe(0);
    expect(text).toContain('0 errors, 0 warnings in 1 file');
    expect(performance.now() - started).toBeLessThan(45_000);
  }, 60_000);
});

describe('detector gaps (issue 11 item 8, issue 18 item 2)', () => {
  const cases: [string, Parameters<typeof spec>[0], string][] = [
    ['PGPASSWORD', { env: '        PGPASSWORD: Hunter2Prod' }, 'Hunter2Prod'],
    ['--dbpassword=', { command: '[psql, --dbpassword=Hunter2Prod]' }, 'Hunter2Prod'],
    ['a quoted number as a password', { env: '        DB_PASSWORD: "12345678"' }, '12345678'],
    ['a label named db_password', { labels: '    db_password: Hunter2Prod' }, 'Hunter2Prod'],
    [
      'a connection string',
      { env: '        CONN: "Server=db;User Id=sa;Password=Hunter2Prod;Database=x"' },
      'Hunter2Prod',
    ],
    ['a URL with credentials', { env: '        URL: postgres://user:Hunter2Prod@host/db' }, 'Hunter2Prod'],
    ['an env name that is a token', { env: `        ghp_${'A'.repeat(36)}: x` }, `ghp_${'A'.repeat(36)}`],
    [
      'a task id that is a token',
      { tasks: `    ghp_${'B'.repeat(36)}:\n      command: [run]` },
      `ghp_${'B'.repeat(36)}`,
    ],
  ];
  for (const [name, body, secret] of cases) {
    it(`flags ${name} (PW210) and never prints it`, async () => {
      const { json, raw, text } = await validate(spec(body));
      expect(json.diagnostics.map((d) => d.code)).toContain('PW210');
      expect(raw).not.toContain(secret);
      expect(text).not.toContain(secret);
    });
  }

  it('masks only the password of a connection string', () => {
    expect(redactSecrets('Server=db;User Id=sa;Password=Hunter2Prod;Database=x')).toBe(
      'Server=db;User Id=sa;Password=****;Database=x',
    );
    expect(redactSecrets('Data Source=db;Pwd=Hunter2Prod')).toBe('Data Source=db;Pwd=****');
    expect(redactSecrets('postgres://user:pass@host/db')).toBe('postgres://user:****@host/db');
    const reference = ['Server=db;Password=$', '{DB_PASSWORD};'].join(''); // a variable reference, not a value
    expect(redactSecrets(reference)).toBe(reference);
  });
});

describe('advice is never masked, only the value (issue 18 item 2)', () => {
  it('keeps the hint of a known-format finding in text, json and codequality', async () => {
    const token = `ghp_${'C'.repeat(36)}`;
    const dir = specProject({ 'p.yaml': spec({ env: `        GH: ${token}` }) });
    for (const format of ['text', 'json', 'codequality']) {
      const out = await runCliCapture(['validate', '--format', format], { cwd: dir });
      expect(out.stdout).not.toContain(token);
      expect(out.stdout).toContain(
        "contains a plaintext GitHub token: store it in the secret store and reference it under 'secrets:'",
      );
    }
  });
});

describe("frames mask every scalar under 'secrets:' that is not a ref (issue 18 item 2)", () => {
  it('hides a value given instead of a ref, in every frame of the file', async () => {
    const source = spec({
      secrets: [
        '        TOKEN: { value: "s3cr3tvalue" }',
        '        PLAIN: hunter2prod',
        '        LISTED: [ "l1st3dsecret" ]',
        '        OK: { ref: store/ok }',
      ].join('\n'),
    });
    const { text, code } = await validate(source);
    expect(code).toBe(1);
    expect(text).toContain('TOKEN: { value: ****');
    expect(text).toContain('store/ok');
    const dir = specProject({ 'p.yaml': source });
    const outputs = [text];
    for (const format of ['json', 'codequality']) {
      outputs.push((await runCliCapture(['validate', '--format', format], { cwd: dir })).stdout);
    }
    for (const out of outputs) {
      for (const value of ['s3cr3tvalue', 'hunter2prod', 'l1st3dsecret']) expect(out).not.toContain(value);
    }
  });
});

describe('diff frames mask secrets of an invalid side', () => {
  it("shows the working tree's diagnostics without the value given instead of a ref", async () => {
    const repo = new TestRepo();
    try {
      repo.commit('valid', { 'pipelines/p.yaml': spec({ secrets: '        TOKEN: { ref: store/token }' }) });
      repo.write({ 'pipelines/p.yaml': spec({ secrets: '        TOKEN: { value: "s3cr3tvalue" }' }) });
      for (const format of ['text', 'json', 'markdown']) {
        const out = await runCliCapture(['diff', 'HEAD', '--format', format], { cwd: repo.dir });
        expect(out.code).not.toBe(0);
        expect(out.stdout + out.stderr).toContain('PW100');
        expect(out.stdout + out.stderr).not.toContain('s3cr3tvalue');
      }
    } finally {
      repo.remove();
    }
  });
});

describe('diff and changelog use the key name as evidence (issue 11 item 8)', () => {
  it('redacts both sides of a secret-named change', () => {
    const change: Change = {
      path: 'metadata.labels.db_password',
      kind: 'changed',
      before: 'Hunter2Prod',
      after: 'N3wS3cretPw',
      severity: 'patch',
      rule: 'labels-changed' as Change['rule'],
    };
    const out = redactDeep({ changes: [change, { ...change, path: 'tasks.t.env.REGION', before: 'eu', after: 'us' }] });
    expect(out.changes[0]).toMatchObject({ before: '****', after: '****' });
    expect(out.changes[1]).toMatchObject({ before: 'eu', after: 'us' });
    expect(redactDeep({ labels: { db_password: 'Hunter2Prod', team: 'data' } })).toEqual({
      labels: { db_password: '****', team: 'data' },
    });
  });
});
