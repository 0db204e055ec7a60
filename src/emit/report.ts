import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { toJsonReport } from '../diagnostics/format-json.js';
import { formatText } from '../diagnostics/format-text.js';
import type { CheckReport, RenderedDiff } from './check.js';
import type { CompiledSpec } from './compile.js';
import type { WriteReport } from './write.js';

/** Text and JSON shapes of compile/check results (the CLI commands only print these). */

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `compiled 3 pipelines: 2 written, 7 unchanged, 1 deleted (123 ms)` */
export function compileSummary(pipelines: number, write: WriteReport, ms: number): string {
  return `compiled ${plural(pipelines, 'pipeline')}: ${write.written.length} written, ${write.unchanged.length} unchanged, ${write.removed.length} deleted (${Math.round(ms)} ms)`;
}

export function diagnosticCounts(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { errors, warnings: diagnostics.length - errors };
}

/** JSON form of diagnostics, the same fields as `validate --format json`. */
export function diagnosticsJson(diagnostics: readonly Diagnostic[], files: number) {
  return toJsonReport({ diagnostics, files });
}

/** Lines listing what `check` found, paths shown under the output directory. */
export function checkListing(report: CheckReport, outDir: string): string[] {
  const lines: string[] = [];
  for (const [kind, paths] of [
    ['stale', report.stale],
    ['missing', report.missing],
    ['extra', report.extra],
  ] as const) {
    for (const p of paths) lines.push(`  ${kind.padEnd(8)} ${outDir}/${p}`);
  }
  return lines;
}

export function checkHeadline(report: CheckReport, outDir: string, files: number): string {
  if (report.ok) return `${outDir}/ is up to date (${plural(files, 'file')})`;
  return `${outDir}/ is out of date: ${report.stale.length} stale, ${report.missing.length} missing, ${report.extra.length} extra`;
}

export function checkJson(report: CheckReport, outDir: string, diff: RenderedDiff | undefined) {
  return {
    ok: report.ok,
    out: outDir,
    stale: report.stale,
    missing: report.missing,
    extra: report.extra,
    ...(diff ? { diff: diff.text, diffOmittedLines: diff.omittedLines, diffOmittedFiles: diff.omittedFiles } : {}),
  };
}

/** Diagnostics of compile/check/graph for people: A1's text format (positions, code frames, summary line). */
export function diagnosticsText(
  diagnostics: readonly Diagnostic[],
  units: readonly CompiledSpec[],
  color: boolean,
): string {
  if (diagnostics.length === 0) return '';
  return formatText(
    { diagnostics, files: units.length, sources: new Map(units.map((u) => [u.file, u.source])) },
    { color },
  );
}

/** One `file:line:col: severity: message [code]` line per diagnostic (golden files, where frames would be noise). */
export function formatDiagnosticLines(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => `${d.file}:${d.range.start.line}:${d.range.start.column}: ${d.severity}: ${d.message} [${d.code}]\n`)
    .join('');
}
