import type { PipelineIR } from '../model/ir.js';
import type { PipelineReport } from './change.js';
import { checkPolicy, requiredBump } from './classify.js';
import { diffPipelines } from './diff.js';
import type { SettingChange } from './environments.js';
import { lineageImpacts, type ReaderIndex, readerIndexOf, removedOutputs } from './lineage.js';

export interface DiffReport {
  /** Commit SHA of the base side. */
  base: string;
  /** Commit SHA of the head side, or `working-tree`. */
  head: string;
  pipelines: PipelineReport[];
  /** With `--generated`: unified diffs of the compiled artifacts that differ, by path. */
  generated?: ArtifactDiff[];
  /**
   * `diff --env A --env B`: base and head are the two environments, compared at one revision. Versions are the same on
   * both sides, so there is no version policy; the environments' own settings that differ are listed here.
   */
  environments?: { revision: string; settings: SettingChange[] };
}

export interface ArtifactDiff {
  /** Path under the output directory, e.g. `compose/daily-orders.compose.yaml`. */
  path: string;
  status: 'added' | 'removed' | 'modified';
  /** Unified diff (`--- base/<path>` / `+++ head/<path>`), secrets redacted. */
  diff: string;
}

/**
 * diff → classify → policy → lineage, for two sides already read. Pure. `head.readers`, when given, says who reads
 * what in every head pipeline (the changed ones in `pipelines` plus summaries of the unchanged ones); by default it is
 * computed from the head pipelines themselves.
 */
export function buildReport(
  base: { label: string; pipelines: ReadonlyMap<string, PipelineIR> },
  head: { label: string; pipelines: ReadonlyMap<string, PipelineIR>; readers?: readonly ReaderIndex[] },
): DiffReport {
  let readers = head.readers;
  const readersAtHead = () => {
    readers ??= [...head.pipelines.values()].map(readerIndexOf);
    return readers;
  };
  const pipelines = diffPipelines(base.pipelines, head.pipelines).map((diff): PipelineReport => {
    const bump = requiredBump(diff.changes);
    const verdict = checkPolicy(diff, bump);
    return {
      ...diff,
      requiredBump: bump,
      policy: verdict.policy,
      ...(verdict.reason ? { policyReason: verdict.reason } : {}),
      impacts: ((removed) => (removed.length === 0 ? [] : lineageImpacts(removed, readersAtHead())))(
        removedOutputs(diff, base.pipelines, head.pipelines),
      ),
    };
  });
  return { base: base.label, head: head.label, pipelines };
}

export function hasBreaking(report: DiffReport): boolean {
  return report.pipelines.some((p) => p.changes.some((c) => c.severity === 'breaking'));
}

export function hasViolations(report: DiffReport): boolean {
  return report.pipelines.some((p) => p.policy === 'violation');
}
