/**
 * JSON output for tools: `{"diagnostics":[{file,line,column,endLine,endColumn,severity,code,message}],
 * "summary":{files,errors,warnings}}`, 1-based positions, end exclusive.
 */
import { redactKnownSecrets } from '../spec/secrets.js';
import { type DiagnosticReport, type Summary, summarize } from './format-summary.js';
import { limitDiagnostics } from './limit.js';

export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

export interface JsonReport {
  diagnostics: JsonDiagnostic[];
  /** `omitted`: diagnostics beyond MAX_DIAGNOSTICS_PER_FILE per file, counted in errors/warnings but not listed. */
  summary: Summary & { omitted?: number };
}

export function toJsonReport(report: DiagnosticReport): JsonReport {
  const { shown, omitted } = limitDiagnostics(report.diagnostics);
  const omittedCount = [...omitted.values()].reduce((a, b) => a + b, 0);
  return {
    diagnostics: shown.map((d) => ({
      file: d.file,
      line: d.range.start.line,
      column: d.range.start.column,
      endLine: d.range.end.line,
      endColumn: d.range.end.column,
      severity: d.severity,
      code: d.code,
      message: redactKnownSecrets(d.message),
    })),
    summary: { ...summarize(report), ...(omittedCount > 0 ? { omitted: omittedCount } : {}) },
  };
}

export function formatJson(report: DiagnosticReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
