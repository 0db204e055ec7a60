import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { PipelineIR } from '../model/ir.js';
import { type ConfigSide, readConfigSide, withOverrideChanges } from './environments.js';
import { HistoryError } from './errors.js';
import { GitRepo } from './git.js';
import { readSpecs } from './read-specs.js';
import { buildReport, type DiffReport } from './report.js';
import { readCommitSources, readWorktreeSources, type SpecSource } from './sources.js';

export const WORKING_TREE = 'working-tree';

export interface CompareOptions {
  cwd: string;
  base: string;
  /** A revision, or undefined for the working tree. */
  head?: string;
  /** Pipelines directory relative to cwd (default `pipelines`). */
  path: string;
}

export interface Side {
  label: string;
  pipelines: Map<string, PipelineIR>;
  /** The spec files read, for `--generated`. */
  sources: SpecSource[];
}

export type CompareResult =
  | { ok: true; report: DiffReport; base: Side; head: Side }
  | {
      ok: false;
      diagnostics: Diagnostic[];
      files: number;
      sources: Map<string, string>;
      /** Which side(s) hold the invalid specs, each with its label (commit SHA or `working-tree`). */
      invalid: { side: 'base' | 'head'; label: string }[];
    };

/**
 * The I/O shell of `pipewright diff`: open the repository, resolve both revisions to SHAs (a shallow clone is fine
 * as long as both are in it: `diff HEAD` compares trees, it needs no history), read each side's specs (blobs through
 * one cat-file process; the working tree from disk), then the pure report.
 */
export async function compareRevisions(options: CompareOptions): Promise<CompareResult> {
  const repo = await GitRepo.open(options.cwd);
  const baseSha = await repo.resolveNeededCommit(options.base);
  const headSha = options.head === undefined ? undefined : await repo.resolveNeededCommit(options.head);
  const dir = repo.repoPath(options.cwd, options.path);
  const reader = repo.openBlobReader();
  let baseSources: SpecSource[];
  let headSources: SpecSource[];
  let configs: { base: ConfigSide; head: ConfigSide };
  try {
    const projectDir = repo.repoPath(options.cwd, '.');
    configs = {
      base: await readConfigSide(repo, reader, baseSha, projectDir),
      head: await readConfigSide(repo, reader, headSha, projectDir),
    };
    baseSources = await readCommitSources(repo, reader, baseSha, dir);
    headSources =
      headSha === undefined
        ? await readWorktreeSources(repo.root, dir)
        : await readCommitSources(repo, reader, headSha, dir);
  } finally {
    await reader.close();
  }
  if (baseSources.length === 0 && headSources.length === 0) {
    // Most likely a wrong --path: comparing two empty sides would report "no changes" and pass a gate.
    throw new HistoryError(
      `no spec files under ${dir || '.'}/ at ${baseSha.slice(0, 12)} nor at ${headSha?.slice(0, 12) ?? 'the working tree'} (check --path)`,
    );
  }
  const base = readSpecs(baseSources);
  const head = readSpecs(headSources);
  const diagnostics = [...base.diagnostics, ...head.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) {
    const all = [...baseSources, ...headSources];
    const invalid: { side: 'base' | 'head'; label: string }[] = [];
    if (hasErrors(base.diagnostics)) invalid.push({ side: 'base', label: baseSha });
    if (hasErrors(head.diagnostics)) invalid.push({ side: 'head', label: headSha ?? WORKING_TREE });
    return {
      ok: false,
      diagnostics: sortDiagnostics(diagnostics),
      files: all.length,
      sources: new Map(all.map((s) => [s.display, s.source])),
      invalid,
    };
  }
  const sides = {
    base: { label: baseSha, pipelines: base.pipelines, sources: baseSources },
    head: { label: headSha ?? WORKING_TREE, pipelines: head.pipelines, sources: headSources },
  };
  // Environment overrides changed in pipewright.yaml: their changes, attributed to the environment (an invalid
  // configuration on either side is the commands' business: compile and check report it).
  const report = withOverrideChanges(buildReport(sides.base, sides.head), {
    base: { ...sides.base, config: configs.base },
    head: { ...sides.head, config: configs.head },
  });
  return { ok: true, report, ...sides };
}
