/**
 * Golden fixtures for the semantic rules, actionlint style: every test/fixtures/rules/ok/*.yaml validates without a
 * single diagnostic; every err/X.yaml prints exactly err/X.out (`pipewright validate X.yaml`, text format).
 * UPDATE_GOLDEN=1 rewrites the .out files from the real output (review the diff).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../src/spec/load.js';
import { redactSecrets } from '../../../src/spec/secrets.js';
import { validateSpecs } from '../../../src/spec/validate.js';
import { runCliCapture } from '../../helpers/cli.js';

const ROOT = 'test/fixtures/rules';
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const yamls = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('ok fixtures', () => {
  it.each(yamls('ok'))('%s has no diagnostics', async (file) => {
    const result = await runCliCapture(['validate', file], { cwd: join(ROOT, 'ok') });
    expect(result).toEqual({ code: 0, stdout: '0 errors, 0 warnings in 1 file\n', stderr: '' });
  });
});

describe('err fixtures', () => {
  it.each(yamls('err'))('%s prints its golden output', async (file) => {
    const dir = join(ROOT, 'err');
    const result = await runCliCapture(['validate', file], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const golden = join(dir, file.replace(/\.yaml$/, '.out'));
    if (UPDATE) writeFileSync(golden, result.stdout);
    expect(existsSync(golden)).toBe(true);
    expect(result.stdout).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(yamls('err'))('%s: no message would be changed by secret redaction', (file) => {
    const path = join(ROOT, 'err', file);
    const { diagnostics } = validateSpecs([loadSpec(file, readFileSync(path, 'utf8'))]);
    expect(diagnostics.length).toBeGreaterThan(0);
    for (const d of diagnostics) expect(redactSecrets(d.message)).toBe(d.message);
  });
});
