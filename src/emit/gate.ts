import { VERSION } from '../cli/main.js';
import type { ProjectConfig } from '../config/types.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { sha256Hex } from '../model/hash.js';
import type { PipelineHeader } from '../model/ir.js';
import { MAX_SPEC_BYTES } from '../spec/load.js';
import { TARGET_DEFINITIONS } from '../targets/index.js';
import type { TargetName } from '../targets/target.js';
import {
  type ChangeScope,
  type GateInfo,
  gateInfo,
  readBaseText,
  type ScopeRequest,
  scopeChange,
} from './change-scope.js';
import { type CheckInput, compareOutputs } from './check.js';
import {
  type CompiledSpec,
  compileSettings,
  compileSources,
  compileSpec,
  OutputFiles,
  type SpecInput,
} from './compile.js';
import { MANIFEST_PATH, manifestOfHashes, serializeManifest } from './manifest.js';
import {
  type ProjectCheck,
  readOutputs,
  readSpecInput,
  resolveOutDirNoLinks,
  withConfiguredLevels,
} from './project.js';
import { serializeYaml } from './serialize.js';
import { readManifest } from './write.js';

/**
 * `check --base <rev>`: the merge-request gate. Under the trust assumption of src/emit/change-scope.ts (the base passed
 * a full check with this pipewright and configuration), every output of an unchanged spec is what the base committed,
 * so only the changed specs are compiled (at the base too, to know what they produced there), only changed or
 * affected files are read, the project-wide files are re-emitted only when their inputs changed, and the manifest is
 * rebuilt from the base's hashes. The findings (stale, missing, extra; the errors of the changed specs) are those of a
 * full check. Anything the gate cannot reason about makes it a full check, and says why.
 */

export interface GateRequest extends Omit<ScopeRequest, 'out'> {
  out: string;
  targets?: readonly TargetName[];
  config?: ProjectConfig;
}

export interface GateCheck extends ProjectCheck {
  /** Files compile would write in all (with the manifest): the up-to-date headline counts them. */
  fileCount?: number;
}

/** The changed specs compiled as they are now and as they were at the base (what the base's outputs came from). */
export interface ChangedUnits {
  now: CompiledSpec[];
  /** Diagnostics of the changed specs now, with the configured levels (cross-file ones among the changed specs too). */
  diagnostics: CompiledSpec['diagnostics'];
  base: CompiledSpec[];
}

export async function compileChanged(
  scope: ChangeScope,
  outDisplay: string,
  targets: readonly TargetName[],
  config: ProjectConfig | undefined,
): Promise<ChangedUnits> {
  const settings = compileSettings(config);
  const options = { targets, outDir: outDisplay, ...settings };
  const nowInputs: SpecInput[] = [];
  const baseUnits: CompiledSpec[] = [];
  const byFile = new Map(scope.discovered.map((d) => [d.file, d.path]));
  for (const [file, change] of [...scope.specs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = byFile.get(file);
    if (path !== undefined) nowInputs.push(await readSpecInput(path, file));
    if (change.baseBlob !== undefined) {
      const source = await readBaseText(scope, change.baseBlob);
      if (source === undefined || Buffer.byteLength(source) > MAX_SPEC_BYTES) {
        scope.full ??= `${file} at the base cannot be read as a spec`;
        continue;
      }
      const unit = compileSpec(file, source, options);
      if (hasErrors(unit.diagnostics))
        scope.full ??= `${file} has errors at the base: the base did not pass a full check`;
      baseUnits.push(unit);
    }
  }
  const result = withConfiguredLevels(compileSources(nowInputs, options), config);
  return { now: result.units, diagnostics: result.diagnostics, base: baseUnits };
}

/**
 * Whether a changed spec now writes a file the base's manifest gives to a spec that did not change: output paths
 * derive from pipeline names, so that is a duplicate name (or a clash with a project file), which a full run reports
 * with both positions. Sets `scope.full` and returns true then.
 */
export function clashWithUnchanged(scope: ChangeScope, units: ChangedUnits, outDisplay: string): boolean {
  const files = scope.baseManifest?.files ?? {};
  const before = new Set(units.base.flatMap((u) => u.outputs.map((o) => o.path)));
  for (const u of units.now) {
    for (const o of u.outputs) {
      if (Object.hasOwn(files, o.path) && !before.has(o.path)) {
        scope.full ??= `${u.file} now writes ${outDisplay}/${o.path}, which belongs to a spec that did not change (a duplicate pipeline name?): a full run reports both`;
        return true;
      }
    }
  }
  return false;
}

function projection(header: PipelineHeader, fields: readonly (keyof PipelineHeader)[]): string {
  return JSON.stringify(fields.map((f) => header[f] ?? null));
}

/**
 * The incremental check, or undefined when the scope (or what this finds out) says it must be a full check
 * (`scope.full` then says why).
 */
export async function checkIncremental(request: GateRequest, scope: ChangeScope): Promise<GateCheck | undefined> {
  const out = resolveOutDirNoLinks(request.cwd, request.out, request.paths);
  const baseManifest = scope.baseManifest!;
  const baseOutputs = scope.baseOutputs!;
  // the manifest now: the base's unless it changed (then it is read as a full check reads it)
  let owned = Object.keys(baseManifest.files);
  let nowTargets = baseManifest.targets;
  const manifestChange = scope.outputs.get(MANIFEST_PATH);
  if (manifestChange !== undefined) {
    const now = await readManifest(out.abs, out.display);
    owned = Object.keys(now?.files ?? {});
    nowTargets = now?.targets ?? [];
  }
  const targets = request.targets ?? (nowTargets.length > 0 ? nowTargets : baseManifest.targets);
  const sorted = [...new Set(targets)].sort();
  if (sorted.join(',') !== [...baseManifest.targets].sort().join(',')) {
    scope.full ??= `the targets checked now (${sorted.join(', ')}) are not the base's (${baseManifest.targets.join(', ')})`;
    return undefined;
  }

  const units = await compileChanged(scope, out.display, targets, request.config);
  if (scope.full !== undefined) return undefined;
  // what a check result holds besides the comparison (no files: the gate never writes)
  const result = {
    diagnostics: units.diagnostics,
    files: new OutputFiles(),
    pipelines: [],
    units: units.now,
    out,
    specCount: scope.discovered.length,
  };
  if (hasErrors(units.diagnostics)) return result;

  // outputs of the changed specs: those they produced at the base go, those they produce now come
  const removed = new Set<string>([MANIFEST_PATH]);
  for (const u of units.base) for (const o of u.outputs) removed.add(o.path);
  const produced = new Map<string, string>();
  for (const u of units.now) for (const o of u.outputs) produced.set(o.path, o.text);
  if (clashWithUnchanged(scope, units, out.display)) return undefined;

  // project-wide files: re-emitted only when what they read of the pipelines changed
  for (const target of targets) {
    const definition = TARGET_DEFINITIONS[target];
    if (!definition.emitProject) continue;
    const project = definition.project;
    if (!project) {
      scope.full ??= `the ${definition.title} target writes project-wide files the gate cannot re-link`;
      return undefined;
    }
    const before = units.base.flatMap((u) => (u.header ? [projection(u.header, project.fields)] : [])).sort();
    const after = units.now.flatMap((u) => (u.header ? [projection(u.header, project.fields)] : [])).sort();
    if (before.join('\n') === after.join('\n')) continue;
    const baseTexts = new Map<string, string>();
    for (const path of project.paths) {
      const blob = baseOutputs.get(path);
      const text =
        blob === undefined || baseManifest.files[path] === undefined ? undefined : await readBaseText(scope, blob);
      if (text !== undefined) baseTexts.set(path, text);
    }
    const recovered = project.recover(baseTexts);
    const emit = (headers: readonly PipelineHeader[]) =>
      new Map(definition.emitProject!(headers, { outDir: out.display }).map((f) => [f.path, serializeYaml(f)]));
    const same = (a: Map<string, string>, b: Map<string, string>) =>
      a.size === b.size && [...a].every(([p, t]) => b.get(p) === t);
    if (recovered === undefined || !same(emit(recovered), baseTexts)) {
      scope.full ??= `the ${definition.title} project files of the base cannot be read back exactly`;
      return undefined;
    }
    const changedNames = new Set(units.base.flatMap((u) => (u.header ? [u.header.name] : [])));
    const kept = recovered.filter((h) => !changedNames.has(h.name));
    const headers = [...kept, ...units.now.flatMap((u) => (u.header ? [u.header] : []))].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const path of baseTexts.keys()) removed.add(path);
    for (const [path, text] of emit(headers)) produced.set(path, text);
  }

  // every file compile would write now, with its hash: the base's for what no change touches
  const hashes = new Map<string, string>();
  for (const [path, hash] of Object.entries(baseManifest.files)) if (!removed.has(path)) hashes.set(path, hash);
  for (const [path, text] of produced) hashes.set(path, sha256Hex(text));
  const manifestText = serializeManifest(manifestOfHashes(hashes, targets, VERSION));

  // what needs a look: produced files, changed files compile would write, owned files not written any more
  const expected = new Map<string, string>(produced);
  expected.set(MANIFEST_PATH, manifestText);
  for (const [path, change] of scope.outputs) {
    if (expected.has(path) || !hashes.has(path)) continue;
    const blob = change.baseBlob ?? baseOutputs.get(path);
    const text = blob === undefined ? undefined : await readBaseText(scope, blob);
    if (text === undefined || sha256Hex(text) !== hashes.get(path)) {
      scope.full ??= `${out.display}/${path} at the base is not what the base's manifest records`;
      return undefined;
    }
    expected.set(path, text);
  }
  const gone = owned.filter((p) => !hashes.has(p) && p !== MANIFEST_PATH);
  const actual = await readOutputs(out, [...expected.keys(), ...gone]);
  const input: CheckInput = { expected, actual, owned: gone };
  return {
    ...result,
    report: compareOutputs(input),
    input,
    fileCount: hashes.size + 1,
  };
}

/** Scope the change and run the incremental check; `full` set when the caller must run the full check instead. */
export async function checkAgainstBase(request: GateRequest): Promise<{ gate: GateInfo; check?: GateCheck }> {
  const scope = await scopeChange(request);
  try {
    const check = scope.full === undefined ? await checkIncremental(request, scope) : undefined;
    return { gate: gateInfo(scope), ...(check && scope.full === undefined ? { check } : {}) };
  } finally {
    await scope.blobs.close();
  }
}
