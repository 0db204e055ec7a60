/**
 * Environments in history: the pipelines as they run in an environment of pipewright.yaml (src/model/environments.ts)
 * at one side of a comparison, so the semantic diff can compare two environments (`diff --env A --env B`) and
 * attribute a change of an override to its environment (`diff A B` when pipewright.yaml changed).
 *
 * Pure apart from reading the configuration file of a side (readConfigSide).
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { CONFIG_FILE } from '../config/root.js';
import type { ProjectConfig } from '../config/types.js';
import { type Diagnostic, hasErrors } from '../diagnostics/diagnostic.js';
import { compileSpec } from '../emit/compile.js';
import {
  type ConfigLocator,
  environmentNames,
  type ResolvedEnvironment,
  resolveEnvironment,
  unknownPipelines,
} from '../model/environments.js';
import { readSpec } from '../spec/discover.js';
import { rejectedSpec, tooLargeMessage } from '../spec/load.js';
import type { BlobReader } from './blob-reader.js';
import type { Change, PipelineReport } from './change.js';
import { checkPolicy, requiredBump } from './classify.js';
import { byText, diffPipelines, type HistoryPipeline } from './diff.js';
import type { GitRepo } from './git.js';
import type { DiffReport } from './report.js';
import { blobSource, type SpecSource } from './sources.js';

/** pipewright.yaml of one side: undefined when the side has none. */
export type ConfigSide = LoadedConfig | undefined;

/**
 * pipewright.yaml at the project root `dir` (repository-relative) of commit `sha`, or of the working tree when `sha`
 * is undefined (read without following links, like every project file).
 */
export async function readConfigSide(
  repo: GitRepo,
  reader: BlobReader,
  sha: string | undefined,
  dir: string,
): Promise<ConfigSide> {
  const path = dir === '' ? CONFIG_FILE : `${dir}/${CONFIG_FILE}`;
  if (sha === undefined) {
    const full = join(repo.root, path);
    const info = await lstat(full).catch(() => undefined);
    if (info === undefined) return undefined;
    const doc = await readSpec({ file: path, path: full });
    return loadConfig(path, doc.source, doc);
  }
  const file = (await repo.listFiles(sha, path)).find((f) => f.path === path);
  if (!file) return undefined;
  const source = blobSource(path, `${sha.slice(0, 12)}:${path}`, await reader.read(file.blob));
  if (source.tooLarge !== undefined) {
    const doc = rejectedSpec(source.display, 'PW008', tooLargeMessage(source.tooLarge));
    return loadConfig(source.display, '', doc);
  }
  return loadConfig(source.display, source.source);
}

export interface EnvironmentSide {
  environment?: ResolvedEnvironment;
  /** By `metadata.name`, as the pipelines run in the environment. Empty when there are errors. */
  pipelines: Map<string, HistoryPipeline>;
  /** Problems of the environment or of an override, at their position in pipewright.yaml. */
  diagnostics: Diagnostic[];
}

/**
 * Every spec of `sources` as it runs in environment `name`: the same overlay, checks and normalization compile uses
 * (compileSpec with no target), so what is compared is what `generated/<env>/` holds.
 */
export function environmentPipelines(
  sources: readonly SpecSource[],
  config: ProjectConfig,
  locator: ConfigLocator,
  name: string,
  options: { strict?: boolean } = {},
): EnvironmentSide {
  const resolved = resolveEnvironment(config, name, locator);
  const diagnostics = [...resolved.diagnostics];
  const pipelines = new Map<string, HistoryPipeline>();
  if (!resolved.environment || hasErrors(diagnostics)) return { pipelines: new Map(), diagnostics };
  const environment = { resolved: resolved.environment, locator };
  let failed = false;
  for (const s of sources) {
    if (s.tooLarge !== undefined) continue; // refused by the spec side's own reading (PW008)
    const unit = compileSpec(s.display, s.source, { targets: [], outDir: '', environment });
    diagnostics.push(...unit.diagnostics.filter((d) => d.severity === 'error'));
    if (unit.ir && !pipelines.has(unit.ir.name)) pipelines.set(unit.ir.name, { ...unit.ir, file: s.path });
    if (!unit.ir) failed = true;
  }
  // a spec that failed has no name here: it is reported, not unknown
  if (options.strict !== false && !failed) {
    diagnostics.push(...unknownPipelines(resolved.environment, [...pipelines.keys()], locator));
  }
  if (hasErrors(diagnostics)) return { environment: resolved.environment, pipelines: new Map(), diagnostics };
  return { environment: resolved.environment, pipelines, diagnostics };
}

/** An environment-level setting that differs between two environments (not part of any pipeline). */
export interface SettingChange {
  setting: 'namespace' | 'secretPrefix' | 'runnerImage';
  before?: string;
  after?: string;
}

export function settingChanges(a: ResolvedEnvironment, b: ResolvedEnvironment): SettingChange[] {
  const out: SettingChange[] = [];
  for (const setting of ['namespace', 'secretPrefix', 'runnerImage'] as const) {
    if (a[setting] === b[setting]) continue;
    out.push({
      setting,
      ...(a[setting] !== undefined ? { before: a[setting] } : {}),
      ...(b[setting] !== undefined ? { after: b[setting] } : {}),
    });
  }
  return out;
}

/** Whether override changes of this environment count for the version policy (`versioned: true`). */
export function isVersioned(config: ProjectConfig | undefined, name: string): boolean {
  return config?.environments?.[name]?.versioned === true;
}

/**
 * What the change of pipewright.yaml did to each environment, per pipeline: the head specs compiled once with the
 * base configuration and once with the head configuration, so a change of the specs themselves is never counted
 * again here (it is in the spec diff). Only environments declared on both sides are compared. A pipeline the base
 * configuration cannot be applied to any more (its override names a task the head spec no longer has) is compared
 * with the base spec instead. Changes carry their environment, and whether the version policy counts them.
 */
export function overrideChanges(
  headSources: readonly SpecSource[],
  baseSources: readonly SpecSource[],
  base: LoadedConfig,
  head: LoadedConfig,
): Map<string, Change[]> {
  const out = new Map<string, Change[]>();
  if (!base.config || !head.config || base.source === head.source) return out;
  const baseLocator = { file: base.file, rangeOf: base.rangeOf };
  const headLocator = { file: head.file, rangeOf: head.rangeOf };
  const baseNames = environmentNames(base.config);
  for (const env of environmentNames(head.config).filter((n) => baseNames.includes(n))) {
    const after = environmentPipelines(headSources, head.config, headLocator, env, { strict: false });
    if (after.pipelines.size === 0) continue;
    const mixed = environmentPipelines(headSources, base.config, baseLocator, env, { strict: false });
    const before = new Map(mixed.pipelines);
    const missing = [...after.pipelines.keys()].filter((n) => !before.has(n));
    if (missing.length > 0) {
      const old = environmentPipelines(baseSources, base.config, baseLocator, env, { strict: false });
      for (const n of missing) {
        const p = old.pipelines.get(n);
        if (p) before.set(n, { ...p, file: after.pipelines.get(n)!.file });
      }
    }
    const versioned = isVersioned(head.config, env);
    for (const diff of diffPipelines(before, after.pipelines)) {
      if (diff.status !== 'modified') continue;
      const list = out.get(diff.name) ?? [];
      for (const c of diff.changes) list.push({ ...c, environment: env, versioned });
      out.set(diff.name, list);
    }
  }
  for (const list of out.values()) {
    list.sort((x, y) => byText(x.environment ?? '', y.environment ?? '') || byText(x.path, y.path));
  }
  return out;
}

/**
 * The report of `diff A B` with the changes pipewright.yaml's overrides made added to their pipelines (after the
 * spec's own changes), and the required bump and policy verdict recomputed: a change in an environment with
 * `versioned: true` counts like the same change in the spec. A pipeline only an override changed appears as modified
 * with its (unchanged) version.
 */
export function withOverrideChanges(
  report: DiffReport,
  sides: {
    base: { sources: readonly SpecSource[]; pipelines: ReadonlyMap<string, HistoryPipeline>; config: ConfigSide };
    head: { sources: readonly SpecSource[]; pipelines: ReadonlyMap<string, HistoryPipeline>; config: ConfigSide };
  },
): DiffReport {
  const { base, head } = sides;
  if (!base.config || !head.config) return report;
  const changes = overrideChanges(head.sources, base.sources, base.config, head.config);
  if (changes.size === 0) return report;
  const byName = new Map(report.pipelines.map((p) => [p.name, p]));
  for (const [name, list] of changes) {
    const existing = byName.get(name);
    if (existing && existing.status !== 'modified') continue;
    const b = base.pipelines.get(name);
    const h = head.pipelines.get(name);
    if (!existing && (!b || !h)) continue;
    const diff = existing ?? {
      name,
      status: 'modified' as const,
      file: h!.file,
      ...(b!.file !== h!.file ? { previousFile: b!.file } : {}),
      version: { before: b!.version, after: h!.version },
      changes: [],
      requiredBump: 'none' as const,
      policy: 'ok' as const,
      impacts: [],
    };
    const merged = [...diff.changes, ...list];
    const bump = requiredBump(merged);
    const verdict = checkPolicy({ ...diff, changes: merged }, bump);
    const { policyReason: _reason, ...rest } = diff;
    const updated: PipelineReport = {
      ...rest,
      changes: merged,
      requiredBump: bump,
      policy: verdict.policy,
      ...(verdict.reason ? { policyReason: verdict.reason } : {}),
    };
    byName.set(name, updated);
  }
  return { ...report, pipelines: [...byName.values()].sort((x, y) => byText(x.name, y.name)) };
}
