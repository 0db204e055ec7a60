import { createTwoFilesPatch } from 'diff';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { compileSources } from '../emit/compile.js';
import { isSpecIndexPath } from '../emit/spec-index.js';
import { redactSecrets } from '../spec/secrets.js';
import { TARGETS } from '../targets/target.js';
import { byText } from './diff.js';
import type { ArtifactDiff } from './report.js';
import type { SpecSource } from './sources.js';

/**
 * Compile one side in memory with compile's own pure core (`compileSources`: every target, per-pipeline files and
 * project files such as the GitLab parent), keyed by path under the output directory. Spec paths are the
 * repository-relative ones, so headers read as `pipewright compile` run at the repository root writes them.
 */
export function compileInMemory(sources: readonly SpecSource[], outDir = 'generated'): ReadonlyMap<string, string> {
  const result = compileSources(
    sources.map((s) => ({ file: s.path, source: s.source })),
    { targets: TARGETS, outDir },
  );
  // Both sides were validated before: errors here would be a bug, not user input.
  if (hasErrors(result.diagnostics))
    throw new Error(`internal: compile failed on specs that validated: ${result.diagnostics[0]?.message}`);
  return result.files;
}

/**
 * Unified diffs (3 lines of context) of every artifact that differs between the two sides, sorted by path; the spec
 * index files are left out.
 */
export function generatedDiffs(
  base: readonly SpecSource[],
  head: readonly SpecSource[],
  outDir = 'generated',
): ArtifactDiff[] {
  const b = compileInMemory(base, outDir);
  const h = compileInMemory(head, outDir);
  const out: ArtifactDiff[] = [];
  for (const path of [...new Set([...b.keys(), ...h.keys()])].sort(byText)) {
    // the spec index restates each spec for diff itself (src/emit/spec-index.ts): not an artifact anyone deploys
    if (isSpecIndexPath(path)) continue;
    const before = b.get(path);
    const after = h.get(path);
    if (before === after) continue;
    const patch = createTwoFilesPatch(
      before === undefined ? '/dev/null' : `base/${path}`,
      after === undefined ? '/dev/null' : `head/${path}`,
      before ?? '',
      after ?? '',
      undefined,
      undefined,
      { context: 3 },
    );
    // Drop the `Index:`/`===` preamble: start at the `---` header like `git diff` does.
    const diff = patch.slice(patch.indexOf('--- '));
    out.push({
      path,
      status: before === undefined ? 'added' : after === undefined ? 'removed' : 'modified',
      diff: redactSecrets(diff),
    });
  }
  return out;
}
