import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCliCapture } from '../helpers/cli.js';
import { composeSchemaErrors } from '../targets/target-schemas.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * The repository's own generated/ is committed and must be exactly what compile writes for pipelines/ (CI also runs
 * `node dist/cli.js check`). After changing an example pipeline or an emitter, run `pipewright compile`.
 */
describe('the repository', () => {
  it('has a fresh generated/ for its pipelines/', async () => {
    const r = await runCliCapture(['check'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^generated\/ is up to date \(\d+ files\)\n$/);
  });

  it('has one Compose file per example pipeline, each valid against the Compose spec schema', async () => {
    const specs = (await readdir(join(ROOT, 'pipelines'))).filter((f) => f.endsWith('.yaml'));
    const compose = (await readdir(join(ROOT, 'generated', 'compose'))).sort();
    expect(compose).toHaveLength(specs.length);
    for (const file of compose) {
      const value = parse(await readFile(join(ROOT, 'generated', 'compose', file), 'utf8'), { version: '1.1' });
      expect(composeSchemaErrors(value), file).toEqual([]);
    }
  });
});
