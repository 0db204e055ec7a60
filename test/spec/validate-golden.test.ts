/**
 * Golden fixtures (actionlint style): test/fixtures/validate/ok/*.yaml validate with no diagnostic at all;
 * test/fixtures/validate/err/<case>.yaml prints exactly <case>.out (text format, no colour).
 * Regenerate after an intended change with `UPDATE_GOLDEN=1 npx vitest run test/spec` and review the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';

const ROOT = new URL('../fixtures/validate/', import.meta.url).pathname;
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const yamlFiles = (dir: string) =>
  readdirSync(`${ROOT}${dir}`)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('golden: ok', () => {
  it('has fixtures', () => expect(yamlFiles('ok').length).toBeGreaterThan(0));
  for (const file of yamlFiles('ok')) {
    it(file, async () => {
      const result = await runCliCapture(['validate', `ok/${file}`], { cwd: ROOT });
      expect(result).toEqual({ code: 0, stdout: '0 errors, 0 warnings in 1 file\n', stderr: '' });
    });
  }
});

describe('golden: err', () => {
  it('has fixtures, each with its .out', () => {
    expect(yamlFiles('err').length).toBeGreaterThan(0);
    for (const file of yamlFiles('err')) {
      expect(existsSync(`${ROOT}err/${file.replace(/\.yaml$/, '.out')}`) || UPDATE, `${file} has no .out`).toBe(true);
    }
  });
  for (const file of yamlFiles('err')) {
    it(file, async () => {
      const result = await runCliCapture(['validate', file], { cwd: `${ROOT}err` });
      const outPath = `${ROOT}err/${file.replace(/\.yaml$/, '.out')}`;
      if (UPDATE) writeFileSync(outPath, result.stdout);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('');
      expect(result.stdout, 'a secret from the fixture was printed').not.toMatch(
        /AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{36}/,
      );
      expect(result.stdout, 'regenerate with UPDATE_GOLDEN=1 npx vitest run test/spec').toBe(
        readFileSync(outPath, 'utf8'),
      );
    });
  }
});
