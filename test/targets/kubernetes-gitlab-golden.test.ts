/**
 * Golden fixtures for the Kubernetes and GitLab targets: test/fixtures/compile/<case>/pipelines/*.yaml compiled with
 * `--target k8s,gitlab` must equal expected/k8s/**, expected/gitlab/** and expected/k8s-gitlab.diagnostics.txt byte for
 * byte. Regenerate after a deliberate change with `UPDATE_GOLDEN=1 npx vitest run test/targets/kubernetes-gitlab-golden.test.ts`
 * and review the diff.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { compileCase, k8sGitlabCases, FIXTURES_ROOT as ROOT } from './support/fixtures.js';

const TARGET_DIRS = ['k8s', 'gitlab'] as const;
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function walk(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.range.start.line}:${d.range.start.column}: ${d.severity}: ${d.message} [${d.code}]`;
}

describe('golden fixtures: Kubernetes and GitLab', () => {
  for (const name of k8sGitlabCases()) {
    it(name, () => {
      const dir = join(ROOT, name);
      const result = compileCase(name, ['k8s', 'gitlab']);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const diagnostics = result.diagnostics.map(formatDiagnostic).join('\n') + (result.diagnostics.length ? '\n' : '');
      const expectedDir = join(dir, 'expected');
      if (UPDATE) {
        for (const t of TARGET_DIRS) rmSync(join(expectedDir, t), { recursive: true, force: true });
        for (const [path, text] of result.files) {
          if (!TARGET_DIRS.some((t) => path.startsWith(`${t}/`))) continue; // the spec index: test/emit/golden.test.ts
          mkdirSync(dirname(join(expectedDir, path)), { recursive: true });
          writeFileSync(join(expectedDir, path), text);
        }
        writeFileSync(join(expectedDir, 'k8s-gitlab.diagnostics.txt'), diagnostics);
      }
      const expectedFiles = TARGET_DIRS.flatMap((t) => walk(join(expectedDir, t)))
        .map((p) => relative(expectedDir, p).split('\\').join('/'))
        .sort();
      const targetFiles = [...result.files.keys()].filter((p) => TARGET_DIRS.some((t) => p.startsWith(`${t}/`)));
      expect(targetFiles.sort()).toEqual(expectedFiles);
      expect([...result.files.keys()].filter((p) => !targetFiles.includes(p))).toEqual(
        result.pipelines.map((p) => `index/${p.name}.json`),
      );
      for (const path of expectedFiles)
        expect(result.files.get(path), path).toBe(readFileSync(join(expectedDir, path), 'utf8'));
      expect(diagnostics).toBe(readFileSync(join(expectedDir, 'k8s-gitlab.diagnostics.txt'), 'utf8'));
    });
  }

  it('is deterministic: compiling twice gives the same bytes', () => {
    for (const name of k8sGitlabCases())
      expect(compileCase(name, ['k8s', 'gitlab']).files).toEqual(compileCase(name, ['k8s', 'gitlab']).files);
  });
});
