import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SpecChange } from './snapshot.js';

/** What one rebuild did. Spec paths as displayed (relative to the working directory); outputs as the writer reports them. */
export interface RebuildReport {
  /** Spec files whose content changed (added, edited, removed), display paths, sorted. */
  changed: string[];
  /** Pipelines whose outputs were recomputed and are now current, sorted. */
  rebuilt: string[];
  /** Pipelines that no longer exist (spec deleted, or its metadata.name changed), sorted. */
  deleted: string[];
  /** Output files written (content differed), sorted. */
  written: string[];
  /** Output files removed (their spec was deleted, or renamed its pipeline), sorted. */
  removed: string[];
  /** Spec files with errors: their pipeline's last good output stays in place, sorted. */
  failing: string[];
  /** Every current diagnostic of the project (not only of this batch), sorted. */
  diagnostics: Diagnostic[];
  /** Diagnostics worth printing now: those of changed files, plus project-wide ones that are new. */
  fresh: Diagnostic[];
  /** Source text of each file that has diagnostics (for code frames). */
  sources: ReadonlyMap<string, string>;
}

/**
 * The incremental compiler behind a watch session: fed the real content changes of each batch (never no-ops),
 * it recompiles what they affect and writes what changed. `initial` marks the first, full build.
 */
export interface WatchEngine {
  apply(changes: SpecChange[], initial: boolean): Promise<RebuildReport>;
}
