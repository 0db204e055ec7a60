import { createTwoFilesPatch } from 'diff';
import { serializeYaml } from '../emit/serialize.js';
import type { PipelineIR } from '../model/ir.js';
import { redactSecrets } from '../spec/secrets.js';
import { TARGET_DEFINITIONS } from '../targets/index.js';
import { TARGETS } from '../targets/target.js';
import { byText } from './diff.js';
import type { ArtifactDiff } from './report.js';

/**
 * Compile one side in memory, exactly as `pipewright compile` lays it out (every target, per-pipeline files plus
 * project files such as the GitLab parent), keyed by path under the output directory.
 */
export function compileInMemory(pipelines: ReadonlyMap<string, PipelineIR>, outDir = 'generated'): Map<string, string> {
  const irs = [...pipelines.values()].sort((a, b) => byText(a.name, b.name));
  const files = new Map<string, string>();
  for (const target of TARGETS) {
    const def = TARGET_DEFINITIONS[target];
    for (const ir of irs) for (const file of def.emit(ir).files) files.set(file.path, serializeYaml(file));
    for (const file of def.emitProject?.(irs, { outDir }) ?? []) files.set(file.path, serializeYaml(file));
  }
  return files;
}

/** Unified diffs (3 lines of context) of every artifact that differs between the two sides, sorted by path. */
export function generatedDiffs(
  base: ReadonlyMap<string, PipelineIR>,
  head: ReadonlyMap<string, PipelineIR>,
): ArtifactDiff[] {
  const b = compileInMemory(base);
  const h = compileInMemory(head);
  const out: ArtifactDiff[] = [];
  for (const path of [...new Set([...b.keys(), ...h.keys()])].sort(byText)) {
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
