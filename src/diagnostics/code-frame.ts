/**
 * Code frames: the source lines around a diagnostic with a gutter and a caret under the range — with every secret
 * masked. Source text is user input: known secret formats (found over the whole file, so multi-line private keys are
 * caught), every scalar under `secrets:` that is not a `ref`, and any extra ranges the caller names (the values
 * PW210/PW211 flagged) become `****`, and terminal control characters are neutralised before anything reaches a
 * terminal.
 */
import { secretValueRanges } from '../spec/secret-sections.js';
import { findSecretSpans } from '../spec/secrets.js';
import type { SourceRange } from './diagnostic.js';

export interface CodeFrameOptions {
  /** Lines shown before and after the range's first line (default 1). */
  context?: number;
  /** Ranges to mask in addition to detected secrets (e.g. the value of a plaintext-secret diagnostic). */
  mask?: readonly SourceRange[];
  color?: boolean;
}

const MASK = '****';

/** Half-open column intervals [start, end) per 1-based line, 0-based columns, to be masked. */
type MaskMap = Map<number, [number, number][]>;

/** Prepared once per file: its lines and which parts of them must never be shown. */
export class FrameSource {
  readonly lines: string[];
  private readonly masks: MaskMap = new Map();

  constructor(source: string, mask: readonly SourceRange[] = []) {
    this.lines = source.split('\n').map((l) => l.replace(/\r$/, ''));
    // The final newline ends the last line; it does not start an (empty) one.
    if (this.lines.length > 1 && this.lines[this.lines.length - 1] === '') this.lines.pop();
    const lineStarts: number[] = [0];
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    const toPosition = (offset: number) => {
      // Binary search: one lookup per span, O(log lines) (a linear walk per span was quadratic on big files).
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (lineStarts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
    };
    for (const span of findSecretSpans(source)) {
      this.addMask({ start: toPosition(span.start), end: toPosition(span.end) });
    }
    for (const [start, end] of secretValueRanges(source)) {
      this.addMask({ start: toPosition(start), end: toPosition(end) });
    }
    for (const range of mask) this.addMask(range);
  }

  private addMask(range: SourceRange): void {
    for (let line = range.start.line; line <= range.end.line; line++) {
      const text = this.lines[line - 1];
      if (text === undefined) break;
      const from = line === range.start.line ? range.start.column - 1 : 0;
      const to = line === range.end.line ? range.end.column - 1 : text.length;
      if (to <= from) continue;
      const list = this.masks.get(line) ?? [];
      list.push([from, to]);
      this.masks.set(line, list);
    }
  }

  /** Line `n` (1-based) as it may be displayed, and a map from source column (1-based) to display column. */
  display(n: number): { text: string; column: (sourceColumn: number) => number } {
    const raw = this.lines[n - 1] ?? '';
    const spans = mergeSpans(this.masks.get(n) ?? []);
    let text = '';
    const columnAt: number[] = [];
    let i = 0;
    for (const [from, to] of spans) {
      if (from >= raw.length) break;
      for (; i < from; i++) {
        columnAt[i] = text.length;
        text += safeChar(raw[i]!);
      }
      const at = text.length;
      text += MASK;
      for (; i < to; i++) columnAt[i] = at;
    }
    for (; i < raw.length; i++) {
      columnAt[i] = text.length;
      text += safeChar(raw[i]!);
    }
    return {
      text,
      column: (sourceColumn) => {
        const index = sourceColumn - 1;
        if (index < raw.length) return (columnAt[index] ?? text.length) + 1;
        return text.length + (index - raw.length) + 1;
      },
    };
  }
}

export function codeFrame(source: FrameSource, range: SourceRange, options: CodeFrameOptions = {}): string {
  const context = options.context ?? 1;
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const line = Math.min(Math.max(1, range.start.line), Math.max(1, source.lines.length));
  const first = Math.max(1, line - context);
  const last = Math.min(source.lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const { text, column } = source.display(n);
    const marker = n === line ? '>' : ' ';
    out.push(`${paint('2', `${marker} ${String(n).padStart(width)} |`)}${text === '' ? '' : ` ${text}`}`);
    if (n !== line) continue;
    const start = column(range.start.column);
    const end = range.end.line === range.start.line ? column(range.end.column) : text.length + 1;
    const caretCount = Math.max(1, end - start);
    const lead = [...text.slice(0, start - 1)].map((ch) => (ch === '\t' ? '\t' : ' ')).join('');
    out.push(`${paint('2', `  ${' '.repeat(width)} |`)} ${lead}${paint('31', '^'.repeat(caretCount))}`);
  }
  return `${out.join('\n')}\n`;
}

function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** Control characters (ESC, BEL, C1 …) would drive the terminal: show a placeholder instead. */
function safeChar(ch: string): string {
  if (ch === '\t') return ch;
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) ? '\ufffd' : ch;
}

/** Neutralise control characters in any user-derived text printed outside a frame (paths, messages). */
export function sanitizeForTerminal(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}
