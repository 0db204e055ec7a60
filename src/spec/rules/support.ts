/**
 * Small helpers every semantic rule shares: building positioned diagnostics, narrowing a range to a substring of a
 * scalar, did-you-mean suggestions and walking the tasks of a spec in source order.
 */
import type { DiagnosticCode } from '../../diagnostics/codes.js';
import type { Diagnostic, RelatedLocation, Severity, SourceRange } from '../../diagnostics/diagnostic.js';
import type { SpecDocument, SpecPath } from '../document.js';
import type { PipelineSpec, TaskSpec } from '../types.js';

export function diagnostic(
  doc: SpecDocument,
  range: SourceRange,
  severity: Severity,
  code: DiagnosticCode,
  message: string,
  related?: RelatedLocation[],
): Diagnostic {
  const d: Diagnostic = { file: doc.file, range, severity, code, message };
  if (related && related.length > 0) d.related = related;
  return d;
}

/** `file:line:col` of a range start, as messages quote earlier definitions. */
export function formatLocation(file: string, range: SourceRange): string {
  return `${file}:${range.start.line}:${range.start.column}`;
}

const lineStartCache = new WeakMap<SpecDocument, number[]>();

function lineStarts(doc: SpecDocument): number[] {
  let starts = lineStartCache.get(doc);
  if (!starts) {
    starts = [0];
    for (let i = 0; i < doc.source.length; i++) if (doc.source[i] === '\n') starts.push(i + 1);
    lineStartCache.set(doc, starts);
  }
  return starts;
}

/** The source text a single-line range covers, or undefined for multi-line or out-of-file ranges. */
export function sourceTextOf(doc: SpecDocument, range: SourceRange): string | undefined {
  if (range.start.line !== range.end.line) return undefined;
  const start = lineStarts(doc)[range.start.line - 1];
  if (start === undefined) return undefined;
  const from = start + range.start.column - 1;
  const to = start + range.end.column - 1;
  if (to < from || to > doc.source.length) return undefined;
  return doc.source.slice(from, to);
}

/**
 * The range of `value.slice(from, to)` inside the scalar at `path`, when the scalar is written on one line without
 * escapes (plain, or quoted with its text verbatim between the quotes). Otherwise the whole scalar's range: a position
 * that is coarse but never wrong.
 */
export function substringRange(
  doc: SpecDocument,
  path: SpecPath,
  value: string,
  from: number,
  to: number,
): SourceRange {
  const range = doc.rangeOf(path);
  const raw = sourceTextOf(doc, range);
  if (raw === undefined) return range;
  let offset: number;
  if (raw === value) offset = 0;
  else if (
    raw.length >= 2 &&
    (raw[0] === '"' || raw[0] === "'") &&
    raw.at(-1) === raw[0] &&
    raw.slice(1, -1) === value
  ) {
    offset = 1;
  } else return range;
  const line = range.start.line;
  return {
    start: { line, column: range.start.column + offset + from },
    end: { line, column: range.start.column + offset + to },
  };
}

/** Levenshtein distance (small inputs only: ids, names, time zones). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The closest candidate (case-insensitively), if it is close enough to be a plausible typo: at most a third of the
 * word's length in edits (at least one). Ties go to the earlier candidate, so callers pass candidates in a stable order.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const d = editDistance(lower, candidate.toLowerCase());
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean 'x'?)` or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const suggestion = closest(word, candidates);
  return suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`;
}

export interface TaskEntry {
  id: string;
  task: TaskSpec;
  path: SpecPath;
}

/** Keys JS objects enumerate first, in numeric order, whatever the source order was. */
const INTEGER_KEY = /^(?:0|[1-9][0-9]*)$/;

/** The tasks in source order (object key order differs from it only for integer-like keys). */
export function tasksInSourceOrder(doc: SpecDocument, spec: PipelineSpec): TaskEntry[] {
  const entries: TaskEntry[] = Object.entries(spec.spec.tasks).map(([id, task]) => ({
    id,
    task,
    path: ['spec', 'tasks', id],
  }));
  if (!entries.some((e) => INTEGER_KEY.test(e.id))) return entries;
  const at = new Map(entries.map((e) => [e.id, doc.rangeOf(e.path, { key: true })]));
  return entries.sort((a, b) => compareRanges(at.get(a.id)!, at.get(b.id)!));
}

/** `a` before `b` in the source (for "reported at the later one" rules). */
export function compareRanges(a: SourceRange, b: SourceRange): number {
  return a.start.line - b.start.line || a.start.column - b.start.column;
}

/** Quote a user-provided name for a message: control characters and quotes escaped, long names shortened. */
export function quote(text: string): string {
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `'${JSON.stringify(short).slice(1, -1).replace(/\\"/g, '"')}'`;
}

/** Where a value sits, in the words a spec author uses. */
export function describePath(path: SpecPath): string {
  const [root, section, id, field, item] = path;
  if (root === 'spec' && section === 'tasks' && typeof id === 'string') {
    const task = `task ${quote(id)}`;
    if (field === 'env' && typeof item === 'string') return `env ${quote(item)} of ${task}`;
    if (field === 'command' && typeof item === 'number') return `command word ${item + 1} of ${task}`;
    if ((field === 'inputs' || field === 'outputs') && typeof item === 'number') return `${field}[${item}] of ${task}`;
    if (typeof field === 'string') return `${[field, ...path.slice(4)].join('.')} of ${task}`;
  }
  if (root === 'spec' && section === 'defaults' && id === 'env' && typeof field === 'string')
    return `defaults.env ${quote(field)}`;
  if (root === 'spec' && section === 'params' && typeof id === 'string' && field === 'default')
    return `default of param ${quote(id)}`;
  return path.join('.');
}
