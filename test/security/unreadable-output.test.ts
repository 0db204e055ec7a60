/**
 * Output that breaks its readers (issue 11 item 9): a key over 1,024 characters compiled into YAML that `yaml` (1.1
 * and 1.2) rejects, and a NUL character passed validation and failed at run time. Both are rejected by validate, with
 * a position, and compile writes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAX_KEY_LENGTH } from '../../src/spec/load.js';
import { runCliCapture } from '../helpers/cli.js';
import { SPEC_HEAD, specProject, validateJson } from './support.js';

const head = `${SPEC_HEAD}    t:\n`;

async function run(body: string) {
  const dir = specProject({ 'p.yaml': head + body });
  const { code, json } = await validateJson(dir);
  const compile = await runCliCapture(['compile'], { cwd: dir });
  return { code, diagnostics: json.diagnostics, compile, generated: existsSync(join(dir, 'generated')) };
}

describe('keys YAML readers cannot read back', () => {
  it('rejects an explicit key over 1,000 characters, at the key', async () => {
    const key = 'K'.repeat(1100);
    const r = await run(`      command: [run]\n      env:\n        ? ${key}\n        : x\n`);
    expect(r.code).toBe(1);
    expect(r.diagnostics.map((d) => `${d.code}@${d.line}:${d.column}`)).toContain('PW008@14:11');
    expect(r.diagnostics.find((d) => d.code === 'PW008')?.message).toBe(
      'key is 1100 characters long; the limit is 1000 (YAML readers reject longer keys in the files compile writes)',
    );
    expect(r.compile.code).toBe(1);
    expect(r.generated).toBe(false);
  });

  it('accepts a key of exactly 1,000 characters', async () => {
    const r = await run(`      command: [run]\n      env:\n        ? ${'K'.repeat(1000)}\n        : x\n`);
    expect(r.diagnostics.filter((d) => d.code === 'PW008')).toEqual([]);
  });
});

describe('keys compile derives from values', () => {
  it('compiles the longest allowed param name into files YAML readers read back', async () => {
    const name = 'p'.repeat(MAX_KEY_LENGTH);
    const spec = SPEC_HEAD.replace('spec:\n', `spec:\n  params:\n    ${name}: { default: x }\n`);
    const dir = specProject({ 'p.yaml': `${spec}    t:\n      command: [run, "{{ params.${name} }}"]\n` });
    expect((await runCliCapture(['compile'], { cwd: dir })).code).toBe(0);
    for (const file of ['generated/compose/p.compose.yaml', 'generated/gitlab/p.gitlab-ci.yml']) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).toContain(`PIPEWRIGHT_PARAM_${name.toUpperCase()}`);
      expect(() => parse(text)).not.toThrow();
    }
  });

  it('rejects a matrix whose instance ids (Compose service keys, GitLab job names) would be too long', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `          k${String(i).padStart(2, '0')}: [${'v'.repeat(60)}]`);
    const r = await run(`      command: [run]\n      matrix:\n${keys.join('\n')}\n`);
    expect(r.code).toBe(1);
    const d = r.diagnostics.find((x) => x.code === 'PW213');
    expect(d).toMatchObject({ line: 13, column: 7 });
    expect(d?.message).toMatch(/^matrix of task 't' makes instance ids of up to 1221 characters; the limit is 255/);
    expect(r.compile.code).toBe(1);
    expect(r.generated).toBe(false);
  });
});

describe('NUL characters', () => {
  it('rejects a NUL written as an escape in any string, at the string', async () => {
    const r = await run(`      command: [sh, "a\\0b"]\n      description: "x\\x00y"\n`);
    expect(r.code).toBe(1);
    expect(r.diagnostics.filter((d) => d.code === 'PW012').map((d) => `${d.line}:${d.column}`)).toEqual([
      '12:21',
      '13:20',
    ]);
    expect(r.diagnostics[0]?.message).toMatch(/^string contains a NUL character \(U\+0000\)/);
    expect(r.compile.code).toBe(1);
    expect(r.generated).toBe(false);
  });
});
