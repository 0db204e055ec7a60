import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { environmentNames, unknownEnvironmentMessage } from '../model/environments.js';
import type { PipelineReport } from './change.js';
import { WORKING_TREE } from './compare.js';
import { environmentPipelines, readConfigSide, settingChanges } from './environments.js';
import { HistoryError } from './errors.js';
import { GitRepo } from './git.js';
import { readSpecs } from './read-specs.js';
import { buildReport, type DiffReport } from './report.js';
import { readCommitSources, readWorktreeSources } from './sources.js';

export interface CompareEnvironmentsOptions {
  cwd: string;
  /** The two environments: base first. */
  environments: readonly [string, string];
  /** A revision, or undefined for the working tree. */
  rev?: string;
  /** Pipelines directory relative to cwd (default `pipelines`). */
  path: string;
}

export type CompareEnvironmentsResult =
  | { ok: true; report: DiffReport }
  | {
      ok: false;
      /** usage: an environment pipewright.yaml does not declare (exit 2); invalid: specs or overrides (exit 1). */
      kind: 'usage' | 'invalid';
      diagnostics: Diagnostic[];
      files: number;
      sources: Map<string, string>;
    };

/**
 * `pipewright diff --env A --env B`: one revision (or the working tree), its specs as they run in A and in B, compared
 * with the same semantic diff as two revisions. Versions are equal on both sides, so the pipelines' policy verdicts
 * are not computed (ok, no bump); the environments' own settings (namespace, secret prefix, runner image) are listed.
 */
export async function compareEnvironments(options: CompareEnvironmentsOptions): Promise<CompareEnvironmentsResult> {
  const repo = await GitRepo.open(options.cwd);
  const sha = options.rev === undefined ? undefined : await repo.resolveNeededCommit(options.rev);
  const dir = repo.repoPath(options.cwd, options.path);
  const projectDir = repo.repoPath(options.cwd, '.');
  const reader = repo.openBlobReader();
  let config: Awaited<ReturnType<typeof readConfigSide>>;
  let sources: Awaited<ReturnType<typeof readWorktreeSources>>;
  try {
    config = await readConfigSide(repo, reader, sha, projectDir);
    sources =
      sha === undefined ? await readWorktreeSources(repo.root, dir) : await readCommitSources(repo, reader, sha, dir);
  } finally {
    await reader.close();
  }
  const at = sha === undefined ? 'the working tree' : sha.slice(0, 12);
  if (config === undefined) {
    throw new HistoryError(`no pipewright.yaml at ${at}: environments are declared there (docs/environments.md)`);
  }
  const failed = (kind: 'usage' | 'invalid', diagnostics: Diagnostic[]): CompareEnvironmentsResult => ({
    ok: false,
    kind,
    diagnostics: sortDiagnostics(diagnostics),
    files: sources.length + 1,
    sources: new Map([
      [config!.file, config!.source],
      ...sources.map((s) => [s.display, s.source] as [string, string]),
    ]),
  });
  if (!config.config) return failed('invalid', config.diagnostics);
  const declared = environmentNames(config.config);
  const unknown = options.environments.filter((e) => !declared.includes(e));
  if (unknown.length > 0) {
    const range = config.rangeOf(declared.length > 0 ? ['environments'] : [], { key: declared.length > 0 });
    return failed(
      'usage',
      [...new Set(unknown)].map((name) => ({
        file: config!.file,
        range,
        severity: 'error',
        code: 'PW103',
        message: `--env: ${unknownEnvironmentMessage(name, config!.config)}`,
      })),
    );
  }
  const specs = readSpecs(sources);
  if (hasErrors(specs.diagnostics)) return failed('invalid', specs.diagnostics);
  const locator = { file: config.file, rangeOf: config.rangeOf };
  const [a, b] = options.environments;
  const sideA = environmentPipelines(sources, config.config, locator, a);
  const sideB = a === b ? sideA : environmentPipelines(sources, config.config, locator, b);
  const problems = [...sideA.diagnostics, ...(a === b ? [] : sideB.diagnostics)];
  if (hasErrors(problems) || !sideA.environment || !sideB.environment) return failed('invalid', problems);
  const report = buildReport({ label: a, pipelines: sideA.pipelines }, { label: b, pipelines: sideB.pipelines });
  const pipelines = report.pipelines.map(
    ({ policyReason: _reason, ...p }): PipelineReport => ({ ...p, requiredBump: 'none', policy: 'ok', impacts: [] }),
  );
  return {
    ok: true,
    report: {
      ...report,
      pipelines,
      environments: {
        revision: sha ?? WORKING_TREE,
        settings: settingChanges(sideA.environment, sideB.environment),
      },
    },
  };
}
