import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSources } from '../../src/emit/compile.js';
import { formatDiagnosticLines } from '../../src/emit/report.js';
import { TARGETS } from '../../src/targets/target.js';
import { composeSchemaErrors } from '../targets/target-schemas.js';

/**
 * Golden fixtures: test/fixtures/compile/<case>/spec/*.yaml compiled for every target must equal
 * test/fixtures/compile/<case>/expected/<target>/… byte for byte, and expected/diagnostics.txt the warnings.
 * The Kubernetes/GitLab cases (`<case>/pipelines/`, checked for their targets by test/targets/kubernetes-gitlab-golden)
 * get the Compose part here: expected/compose/… and expected/compose.diagnostics.txt.
 * Regenerate with `UPDATE_GOLDEN=1 npx vitest run test/emit` and review the diff.
 */
const ROOT = fileURLToPath(new URL('../fixtures/compile/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

interface Case {
  name: string;
  /** `spec` (all targets, ours) or `pipelines` (the Kubernetes/GitLab cases: Compose only here). */
  specDir: 'spec' | 'pipelines';
}

async function compileCase(c: Case) {
  const specDir = join(ROOT, c.name, c.specDir);
  const inputs = await Promise.all(
    (await listFiles(specDir)).map(async (f) => ({
      file: `${c.specDir}/${f}`,
      source: await readFile(join(specDir, f), 'utf8'),
    })),
  );
  return compileSources(inputs, { targets: c.specDir === 'spec' ? TARGETS : ['compose'], outDir: 'generated' });
}

const cases: Case[] = [];
for (const d of (await readdir(ROOT, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .sort((a, b) => (a.name < b.name ? -1 : 1))) {
  const entries = await readdir(join(ROOT, d.name));
  if (entries.includes('spec')) cases.push({ name: d.name, specDir: 'spec' });
  else if (entries.includes('pipelines')) cases.push({ name: d.name, specDir: 'pipelines' });
}

describe('golden compile fixtures', () => {
  it('has the ok, warning and escaping cases', () => {
    expect(cases.filter((c) => c.specDir === 'spec').map((c) => c.name)).toEqual(['basic', 'escaping', 'warnings']);
  });

  for (const c of cases) {
    const { name } = c;
    it(`${name}: ${c.specDir === 'spec' ? "every target's" : 'the Compose'} output matches expected/`, async () => {
      const result = await compileCase(c);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const expectedDir = join(ROOT, name, 'expected');
      // our own cases own all of expected/; the Kubernetes/GitLab cases only expected/compose here
      const ownDir = c.specDir === 'spec' ? expectedDir : join(expectedDir, 'compose');
      const diagnosticsFile = join(expectedDir, c.specDir === 'spec' ? 'diagnostics.txt' : 'compose.diagnostics.txt');
      const diagnostics = formatDiagnosticLines(result.diagnostics);
      // the spec index (src/emit/spec-index.ts) is written whatever the targets: the Compose-only cases own it too
      const indexDir = join(expectedDir, 'index');
      if (UPDATE) {
        await rm(ownDir, { recursive: true, force: true });
        await rm(indexDir, { recursive: true, force: true });
        for (const [path, text] of result.files) {
          await mkdir(dirname(join(expectedDir, path)), { recursive: true });
          await writeFile(join(expectedDir, path), text);
        }
        await writeFile(diagnosticsFile, diagnostics);
      }
      const expectedFiles =
        c.specDir === 'spec'
          ? (await listFiles(expectedDir)).filter((f) => f !== 'diagnostics.txt')
          : [
              ...(await listFiles(ownDir)).map((f) => `compose/${f}`),
              ...(await listFiles(indexDir)).map((f) => `index/${f}`),
            ];
      expect([...result.files.keys()]).toEqual(expectedFiles);
      for (const [path, text] of result.files) expect(text, path).toBe(await readFile(join(expectedDir, path), 'utf8'));
      expect(diagnostics).toBe(await readFile(diagnosticsFile, 'utf8'));
    });

    it(`${name}: every compose file validates against the Compose spec schema`, async () => {
      const result = await compileCase(c);
      const compose = [...result.files].filter(([p]) => p.startsWith('compose/'));
      expect(compose.length).toBeGreaterThan(0);
      for (const [path, text] of compose)
        expect(composeSchemaErrors(parse(text, { version: '1.1' })), path).toEqual([]);
    });
  }
});
