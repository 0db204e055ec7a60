/**
 * A clone anywhere passes: the target schemas the tests validate against are vendored in test/schemas/ and match
 * their declared sources (scripts/refresh-schemas.mjs --check), no file of the project points outside the
 * repository, and a fresh clone of HEAD into a directory with nothing beside it runs the schema checks green.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSchemas, readSources } from '../../scripts/refresh-schemas.mjs';
import { TARGETS } from '../../src/targets/target.js';

const ROOT = join(import.meta.dirname, '..', '..');
const temp: string[] = [];
afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

function git(args: string[], cwd = ROOT): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

describe('vendored target schemas', () => {
  it('every file matches its declared source, version and licence (refresh-schemas --check)', () => {
    const sources = readSources();
    for (const [file, s] of Object.entries(sources)) {
      expect(s.version, file).not.toBe('');
      expect(s.licence, file).not.toBe('');
    }
    expect(new Set(Object.values(sources).map((s) => s.target))).toEqual(new Set(TARGETS));
    // a kind the Kubernetes target emits without a strict schema here fails test/targets/schemas.test.ts
    const kinds = new Set(Object.values(sources).flatMap((s) => (s.kind ? [s.kind] : [])));
    for (const kind of ['ConfigMap', 'CronJob', 'Job', 'Role', 'RoleBinding', 'ServiceAccount'])
      expect(kinds.has(kind), kind).toBe(true);
    expect(checkSchemas(sources)).toEqual([]);
  });

  it('no tracked file points outside the repository', () => {
    // code only: recorded benchmark results name the machine they ran on, which is data, not a path anything reads
    const files = git(['ls-files', '-z', '--', 'src', 'test', 'scripts', 'bench', '.ci', 'vitest.config.ts'])
      .split('\0')
      .filter((f) => /\.(ts|mts|mjs|js|sh)$/.test(f) || f === '.ci/run');
    const outside = [
      ['..', '..', '..', 'shared'].join('/'),
      ['', 'work', 'shared'].join('/'),
      ['', 'work', 'main'].join('/'),
      ['PIPEWRIGHT', 'SCHEMAS'].join('_'),
    ];
    const hits: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        continue; // deleted in the working tree
      }
      for (const needle of outside) if (text.includes(needle)) hits.push(`${file}: ${needle}`);
    }
    expect(hits).toEqual([]);
  });

  it('a fresh clone of HEAD with nothing beside it runs the schema checks green', () => {
    const parent = mkdtempSync(join(tmpdir(), 'pw-clone-'));
    temp.push(parent);
    const clone = join(parent, 'pipewright');
    const head = git(['rev-parse', 'HEAD']);
    git(['clone', '--quiet', '--no-checkout', ROOT, clone], parent);
    git(['checkout', '--quiet', head], clone);
    // `npm ci` would install the same lockfile: a link keeps the test fast
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const run = spawnSync(
      process.execPath,
      [join(clone, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/targets/schemas.test.ts'],
      {
        cwd: clone,
        encoding: 'utf8',
        env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
        timeout: 240_000,
      },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    // colours stripped in case the runner still prints them
    expect(run.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed/);
    const check = spawnSync(process.execPath, ['scripts/refresh-schemas.mjs', '--check'], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(check.status, check.stderr).toBe(0);
  }, 300_000);
});
