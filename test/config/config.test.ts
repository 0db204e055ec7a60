/**
 * The project configuration (pipewright.yaml): its schema is generated from src/config/types.ts and committed, it is
 * loaded with the specs' safe loader and positioned messages (golden test/fixtures/config/err/X.yaml → X.out, printed
 * by the real CLI; UPDATE_GOLDEN=1 rewrites the .out files), and its levels apply to warnings only.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_PATH, configSchemaText } from '../../scripts/gen-schema.mjs';
import { ADJUSTABLE_CODES, applyLevels, levelOf } from '../../src/config/levels.js';
import { loadConfig } from '../../src/config/load.js';
import { findProjectRoot } from '../../src/config/root.js';
import { configSchema } from '../../src/config/schema.js';
import { CODES } from '../../src/diagnostics/codes.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { runCliCapture } from '../helpers/cli.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'config');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-config-'));
  dirs.push(dir);
  return dir;
}

describe('schema/config.schema.json', () => {
  it('is up to date with src/config/types.ts (fix: npm run schema)', () => {
    expect(readFileSync(CONFIG_SCHEMA_PATH, 'utf8'), 'run `npm run schema`').toBe(configSchemaText());
  });

  it('lists exactly the adjustable codes, each a real code', () => {
    const levels = (configSchema().definitions as Record<string, { properties: Record<string, unknown> }>)
      .DiagnosticLevels!;
    expect(Object.keys(levels.properties)).toEqual([...ADJUSTABLE_CODES]);
    for (const code of ADJUSTABLE_CODES) expect(Object.hasOwn(CODES, code)).toBe(true);
  });

  it('every code docs/diagnostics.md shows as a warning is adjustable (a new warning code must be added)', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'diagnostics.md'), 'utf8');
    const warned = new Set([...doc.matchAll(/^\S+:\d+:\d+: warning: .*\[(PW\d{3})\]$/gm)].map((m) => m[1]!));
    expect(warned.size).toBeGreaterThan(3);
    for (const code of warned) expect(ADJUSTABLE_CODES, code).toContain(code);
  });
});

describe('loadConfig', () => {
  for (const name of readdirSync(join(FIXTURES, 'ok'))) {
    it(`ok/${name} loads without diagnostics`, () => {
      const loaded = loadConfig('pipewright.yaml', readFileSync(join(FIXTURES, 'ok', name), 'utf8'));
      expect(loaded.diagnostics).toEqual([]);
      expect(loaded.config?.kind).toBe('Project');
    });
  }

  for (const name of readdirSync(join(FIXTURES, 'err')).filter((n) => n.endsWith('.yaml'))) {
    it(`err/${name}: validate prints the positioned errors and exits 2`, async () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'pipelines'));
      writeFileSync(join(dir, 'pipewright.yaml'), readFileSync(join(FIXTURES, 'err', name)));
      const r = await runCliCapture(['validate'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const out = r.stderr.replaceAll(dir, '<project>');
      const golden = join(FIXTURES, 'err', name.replace(/\.yaml$/, '.out'));
      if (UPDATE) writeFileSync(golden, out);
      expect(out).toBe(readFileSync(golden, 'utf8'));
    });
  }
});

describe('levels', () => {
  const at = { start: { line: 1, column: 1 }, end: { line: 1, column: 2 } };
  const d = (file: string, code: Diagnostic['code'], severity: Diagnostic['severity']): Diagnostic => ({
    file,
    range: at,
    code,
    severity,
    message: code,
  });
  const config = {
    apiVersion: 'pipewright.dev/v1' as const,
    kind: 'Project' as const,
    diagnostics: { PW302: 'off' as const, PW303: 'error' as const },
    pipelines: { b: { diagnostics: { PW302: 'warn' as const, PW303: 'off' as const } } },
  };

  it('a pipeline setting wins over the project one; unset codes keep their default', () => {
    expect(levelOf(config, 'PW302', 'a')).toBe('off');
    expect(levelOf(config, 'PW302', 'b')).toBe('warn');
    expect(levelOf(config, 'PW305', 'b')).toBeUndefined();
    expect(levelOf(config, 'PW201', 'a')).toBeUndefined();
  });

  it('applies to warnings only: off drops, error raises, warn keeps; errors are never lowered', () => {
    const pipelines: Record<string, string> = { 'a.yaml': 'a', 'b.yaml': 'b' };
    const input = [
      d('a.yaml', 'PW302', 'warning'),
      d('a.yaml', 'PW303', 'warning'),
      d('a.yaml', 'PW207', 'error'),
      d('b.yaml', 'PW302', 'warning'),
      d('b.yaml', 'PW303', 'warning'),
      d('c.yaml', 'PW305', 'warning'),
    ];
    const out = applyLevels(input, config, (f) => pipelines[f]);
    expect(out.map((x) => `${x.file} ${x.code} ${x.severity}`)).toEqual([
      'a.yaml PW303 error',
      'a.yaml PW207 error',
      'b.yaml PW302 warning',
      'c.yaml PW305 warning',
    ]);
    expect(applyLevels(input, undefined, () => undefined)).toBe(input);
  });
});

describe('findProjectRoot', () => {
  it('the nearest pipewright.yaml upwards, never above the git repository', () => {
    const top = tempDir();
    mkdirSync(join(top, 'repo', '.git'), { recursive: true });
    mkdirSync(join(top, 'repo', 'a', 'b'), { recursive: true });
    writeFileSync(join(top, 'pipewright.yaml'), 'above the repository\n');
    expect(findProjectRoot(join(top, 'repo', 'a', 'b'))).toEqual({ root: join(top, 'repo'), found: 'git' });
    writeFileSync(join(top, 'repo', 'a', 'pipewright.yaml'), '');
    expect(findProjectRoot(join(top, 'repo', 'a', 'b'))).toEqual({
      root: join(top, 'repo', 'a'),
      configFile: join(top, 'repo', 'a', 'pipewright.yaml'),
      found: 'config',
    });
  });

  it('without a config file: the working directory when it has pipelines/, else the git top, else itself', () => {
    const top = tempDir();
    mkdirSync(join(top, '.git'));
    mkdirSync(join(top, 'svc', 'pipelines'), { recursive: true });
    mkdirSync(join(top, 'docs'));
    expect(findProjectRoot(join(top, 'svc')).found).toBe('pipelines');
    expect(findProjectRoot(join(top, 'docs'))).toEqual({ root: top, found: 'git' });
    const lone = tempDir();
    expect(findProjectRoot(lone)).toEqual({ root: lone, found: 'cwd' });
  });
});
