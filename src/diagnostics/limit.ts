/**
 * At most MAX_DIAGNOSTICS_PER_FILE diagnostics per file are shown, by every format: a small hostile file (a line of
 * thousands of undefined aliases) must not turn into megabytes of output. The first ones (in sorted order) are shown,
 * the rest counted; summaries still count every diagnostic.
 */
import type { Diagnostic } from './diagnostic.js';

export const MAX_DIAGNOSTICS_PER_FILE = 100;

export interface LimitedDiagnostics {
  shown: Diagnostic[];
  /** Diagnostics not shown, per file (only files that had some). */
  omitted: Map<string, number>;
}

export function limitDiagnostics(
  diagnostics: readonly Diagnostic[],
  max: number = MAX_DIAGNOSTICS_PER_FILE,
): LimitedDiagnostics {
  const perFile = new Map<string, number>();
  const shown: Diagnostic[] = [];
  const omitted = new Map<string, number>();
  for (const d of diagnostics) {
    const n = (perFile.get(d.file) ?? 0) + 1;
    perFile.set(d.file, n);
    if (n <= max) shown.push(d);
    else omitted.set(d.file, (omitted.get(d.file) ?? 0) + 1);
  }
  return { shown, omitted };
}

/** `path: 9900 more diagnostics not shown (fix the ones above first)`. */
export function omittedLine(file: string, count: number): string {
  return `${file}: ${count} more diagnostic${count === 1 ? '' : 's'} not shown (fix the ones above first)`;
}
