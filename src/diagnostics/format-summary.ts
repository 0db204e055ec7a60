/** What every diagnostics formatter receives, and the counts they all report. */
import type { Diagnostic } from './diagnostic.js';

export interface DiagnosticReport {
  /** Sorted diagnostics (see sortDiagnostics). */
  diagnostics: readonly Diagnostic[];
  /** Number of files checked. */
  files: number;
  /** Source text per file, for code frames (files without an entry get no frame). */
  sources?: ReadonlyMap<string, string>;
}

export interface Summary {
  files: number;
  errors: number;
  warnings: number;
}

export function summarize(report: DiagnosticReport): Summary {
  let errors = 0;
  let warnings = 0;
  for (const d of report.diagnostics) {
    if (d.severity === 'error') errors++;
    else warnings++;
  }
  return { files: report.files, errors, warnings };
}

/** `2 errors, 1 warning in 3 files`. */
export function summaryLine(summary: Summary): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${count(summary.errors, 'error')}, ${count(summary.warnings, 'warning')} in ${count(summary.files, 'file')}`;
}
