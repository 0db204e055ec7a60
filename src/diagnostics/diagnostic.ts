/**
 * A diagnostic is a value, never an exception: every stage returns them so that one run reports every problem.
 * Positions are 1-based (line and column), `end*` is exclusive of the last character's successor like editors expect.
 */
import type { DiagnosticCode } from './codes.js';

export type Severity = 'error' | 'warning';

export interface Position {
  line: number;
  column: number;
}

export interface SourceRange {
  start: Position;
  end: Position;
}

export interface RelatedLocation {
  file: string;
  range: SourceRange;
  message: string;
}

export interface Diagnostic {
  file: string;
  range: SourceRange;
  severity: Severity;
  code: DiagnosticCode;
  /** Says what was expected and where. Must never contain a secret value. */
  message: string;
  /** E.g. "previously defined at 11:5" for duplicates. */
  related?: RelatedLocation[];
  /** The compile target a capability note (PW3xx) is about: `compose`, `k8s` or `gitlab`. */
  target?: string;
}

/** Thrown only for user errors that cannot be expressed as a diagnostic list (bad CLI usage, unreadable paths). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export const START_OF_FILE: SourceRange = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Sort by file, position, code; drop exact duplicates (same file, range, code, message). */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.file}\0${d.range.start.line}:${d.range.start.column}\0${d.code}\0${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.column - b.range.start.column ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}
