/**
 * Every YAML hazard class of HAZARDS.md, through the real command: a positioned error with its code, exit 1, and no
 * stack trace. Small cases are files in test/fixtures/hazards/; huge ones are generated into a temp dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SPEC_BYTES } from '../../src/spec/load.js';
import { runCliCapture } from '../helpers/cli.js';

const FIXTURES = new URL('../fixtures/hazards/', import.meta.url).pathname;

interface JsonOut {
  diagnostics: { code: string; line: number; column: number; message: string }[];
}

/** Runs validate on one file in both formats; returns `CODE@line:col` per diagnostic and the messages. */
async function validate(file: string, cwd: string) {
  const json = await runCliCapture(['validate', file, '--format', 'json'], { cwd });
  const text = await runCliCapture(['validate', file], { cwd });
  expect(json.code, 'json and text runs agree on the exit code').toBe(text.code);
  for (const out of [json.stdout, json.stderr, text.stdout, text.stderr]) {
    expect(out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack frame
    expect(out).not.toContain('internal error');
  }
  const parsed = JSON.parse(json.stdout) as JsonOut;
  return {
    code: json.code,
    found: parsed.diagnostics.map((d) => `${d.code}@${d.line}:${d.column}`),
    messages: parsed.diagnostics.map((d) => d.message),
    text: text.stdout,
  };
}

const CASES: Record<string, { found: string[]; message?: RegExp }> = {
  'yaml11-scalars.yaml': {
    found: ['PW100@5:12', 'PW100@8:12', 'PW100@9:12', 'PW100@13:24'],
    message: /^metadata\.version must be a string \(got number 1\.10\): write "1\.10\.0" \(quoted\)$/,
  },
  'duplicate-keys.yaml': {
    found: ['PW002@10:5', 'PW002@15:7'],
    message: /^duplicate key '1' \(previously defined at 9:5\)$/,
  },
  'billion-laughs.yaml': {
    found: Array.from({ length: 9 }, (_, i) => `PW003@${i + 1}:4`),
    message: /^YAML anchor &a is not allowed \(used by 9 aliases\)/,
  },
  'self-alias.yaml': { found: ['PW003@12:11'], message: /^YAML anchor &x is not allowed \(used by 1 alias\)/ },
  'merge-bomb.yaml': {
    found: ['PW003@1:4', 'PW003@2:4', 'PW004@2:8', 'PW003@3:4', 'PW004@3:8', 'PW004@4:5'],
  },
  'merge-key.yaml': {
    found: ['PW003@8:13', 'PW004@12:7'],
    message: /^YAML anchor &d is not allowed/,
  },
  'yaml-directive.yaml': { found: ['PW005@1:1'], message: /^%YAML directive is not allowed/ },
  'tag-directive.yaml': { found: ['PW005@1:1'], message: /^%TAG directive is not allowed/ },
  'multi-document.yaml': { found: ['PW006@12:1'], message: /^a second YAML document starts here/ },
  'empty.yaml': { found: ['PW007@1:1'], message: /^file is empty/ },
  'comment-only.yaml': { found: ['PW007@1:1'], message: /^file holds only comments/ },
  'tabs.yaml': { found: ['PW001@11:1'], message: /^tabs are not allowed as indentation/ },
  'bom-inside.yaml': { found: ['PW001@6:1'], message: /^byte order mark \(U\+FEFF\) inside the file/ },
  'lone-cr.yaml': { found: ['PW001@1:30'], message: /^lone carriage return \(CR\) line break/ },
  'js-function.yaml': { found: ['PW009@11:16'], message: /^tag !!js\/function is not allowed/ },
  'binary.yaml': { found: ['PW009@7:16'], message: /^tag !!binary is not allowed/ },
  'custom-tag.yaml': { found: ['PW009@6:10'], message: /^tag !team is not allowed/ },
  'huge-int.yaml': {
    found: ['PW100@8:16', 'PW100@12:16'],
    message: /^spec\.concurrency must be <= 100 \(got number 123456789012345678901234567890\)$/,
  },
  'complex-key.yaml': { found: ['PW011@9:7'], message: /not a collection \(complex key\)/ },
  'null-key.yaml': { found: ['PW011@9:5'], message: /not null$/ },
  'proto-key.yaml': { found: ['PW010@8:5'], message: /^key '__proto__' is not allowed/ },
  'nbsp-name.yaml': {
    found: ['PW100@4:9', 'PW100@9:5'],
    message: /\(got 'daily\\u00a0orders'\); it contains a no-break space \(U\+00A0\)$/,
  },
};

describe('validate rejects every YAML hazard with a positioned error', () => {
  for (const [file, expected] of Object.entries(CASES)) {
    it(file, async () => {
      const result = await validate(file, FIXTURES);
      expect(result.code).toBe(1);
      expect(result.found).toEqual(expected.found);
      if (expected.message) expect(result.messages[0]).toMatch(expected.message);
      const [code, at] = expected.found[0]!.split('@');
      expect(result.text.startsWith(`${file}:${at}: error: `)).toBe(true);
      expect(result.text).toContain(`[${code}]`);
    });
  }

  it('YAML 1.2 reads `country: NO` as the string the author meant; a leading BOM is accepted', async () => {
    for (const file of ['yaml11-country-no.yaml', 'bom-leading.yaml']) {
      const result = await validate(file, FIXTURES);
      expect(result.found).toEqual([]);
      expect(result.code).toBe(0);
    }
  });
});

describe('generated hazards (too big to commit)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-hazards-'));
    writeFileSync(join(dir, 'deep-flow.yaml'), `spec: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    writeFileSync(join(dir, 'deep-block.yaml'), `spec:\n${'  - '.repeat(1)}${'- '.repeat(5000)}x\n`);
    let indented = '';
    for (let i = 0; i < 5000; i++) indented += `${' '.repeat(i % 200)}${i % 200 === 199 ? 'x: 1\n' : 'k:\n'}`;
    writeFileSync(join(dir, 'deep-indent.yaml'), indented);
    const big = 'x'.repeat(100 * 1024);
    writeFileSync(join(dir, 'anchor-x99.yaml'), `a: &big "${big}"\nb: [${Array(99).fill('*big').join(', ')}]\n`);
    writeFileSync(join(dir, 'too-large.yaml'), `a: "${'x'.repeat(MAX_SPEC_BYTES)}"\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('5,000-deep flow nesting: PW008 at the first level too deep', async () => {
    const result = await validate('deep-flow.yaml', dir);
    expect(result.code).toBe(1);
    expect(result.found).toEqual(['PW008@1:135']);
    expect(result.messages).toEqual(['nesting is deeper than 64 levels']);
  });

  it('5,000-deep compact block sequences and indentation: PW008', async () => {
    expect((await validate('deep-block.yaml', dir)).found).toEqual(['PW008@2:259']);
    expect((await validate('deep-indent.yaml', dir)).found).toEqual(['PW008@65:65']);
  });

  it('a 100 KB anchor used 99 times: one PW003 at the anchor, nothing expanded', async () => {
    const result = await validate('anchor-x99.yaml', dir);
    expect(result.found).toEqual(['PW003@1:4']);
    expect(result.messages[0]).toMatch(/used by 99 aliases/);
  });

  it('over 1 MiB: PW008 without parsing', async () => {
    const result = await validate('too-large.yaml', dir);
    expect(result.found).toEqual(['PW008@1:1']);
    expect(result.text).not.toContain('xxxx');
  });
});
