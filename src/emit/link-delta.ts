import { serialize } from 'node:v8';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { TARGET_DEFINITIONS } from '../targets/index.js';
import { TARGETS } from '../targets/target.js';
import { type CompiledSpec, type CompileOptions, CROSS_FILE_RULE_NAMES } from './compile.js';

/**
 * The incremental side of linkSpecs (src/emit/compile.ts), for the watch engine: whether replacing one spec's unit
 * `before` by `after` can change what linkSpecs returns. When it cannot, a rebuild reuses the previous link result
 * instead of linking every unit again (at 1,000 pipelines that pass cost ~15–20 ms per edit, most of an edit's
 * O(pipelines) work).
 *
 * linkSpecs computes two things from every unit:
 * - cross-file diagnostics: the only cross-file rule, duplicate-pipeline-name, reads each unit's file and pipeline
 *   name (and the name's position, which appears only in a diagnostic). With no link diagnostic before and the same
 *   file keeping the same name, there is none after. A new cross-file rule turns this shortcut off until it is
 *   taught here (the list is pinned below and by test/emit/compile-cache.test.ts);
 * - project files (the GitLab parent): each target's emitProject is compositional — its output over many pipelines
 *   is made of what it makes of each one (see TargetDefinition.emitProject) — so it is unchanged when emitProject
 *   of the one pipeline alone is, compared structurally (V8's serializer, as the serializer memo does).
 */
const KNOWN_CROSS_FILE_RULES = ['duplicate-pipeline-name'];
const LINK_DELTA_SUPPORTED =
  CROSS_FILE_RULE_NAMES.length === KNOWN_CROSS_FILE_RULES.length &&
  CROSS_FILE_RULE_NAMES.every((name, i) => name === KNOWN_CROSS_FILE_RULES[i]);

export function sameLinkInputs(before: CompiledSpec, after: CompiledSpec, options: CompileOptions): boolean {
  if (!LINK_DELTA_SUPPORTED) return false;
  if (before.file !== after.file || before.pipeline === undefined || before.pipeline !== after.pipeline) return false;
  if (before.header === undefined || after.header === undefined) return false;
  if (hasErrors(before.diagnostics) || hasErrors(after.diagnostics)) return false;
  for (const target of TARGETS) {
    if (!options.targets.includes(target)) continue;
    const emitProject = TARGET_DEFINITIONS[target].emitProject;
    if (!emitProject) continue;
    const project = { outDir: options.outDir };
    const a = serialize(emitProject([before.header], project));
    const b = serialize(emitProject([after.header], project));
    if (!a.equals(b)) return false;
  }
  return true;
}
