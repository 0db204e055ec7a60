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
  private readonly merged = new Map<number, [number, number][]>();

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

  /**
   * Source columns [from, to) (0-based) of line `n` (1-based) as they may be displayed (masked, control characters
   * neutralised, `…` where the line is cut), and a map from source column (1-based) to display column. Only the
   * window is read: showing a frame costs the same on a 30 KB line as on a short one.
   */
  display(
    n: number,
    from = 0,
    to = Number.POSITIVE_INFINITY,
  ): { text: string; column: (sourceColumn: number) => number } {
    const raw = this.lines[n - 1] ?? '';
    const end = Math.min(to, raw.length);
    const start = Math.min(from, end);
    const spans = this.mergedMasks(n);
    let text = start > 0 ? CUT : '';
    const columnAt: number[] = [];
    let i = start;
    // The first mask that ends after the window starts (binary search: a line can hold thousands of masks).
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (spans[mid]![1] <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < spans.length && i < end; k++) {
      const [maskFrom, maskTo] = spans[k]!;
      for (; i < Math.min(maskFrom, end); i++) {
        columnAt[i - start] = text.length;
        text += safeChar(raw[i]!);
      }
      if (i >= end) break;
      const at = text.length;
      text += MASK;
      for (; i < Math.min(maskTo, end); i++) columnAt[i - start] = at;
    }
    for (; i < end; i++) {
      columnAt[i - start] = text.length;
      text += safeChar(raw[i]!);
    }
    const shownLength = text.length;
    if (end < raw.length) text += CUT;
    return {
      text,
      column: (sourceColumn) => {
        const index = sourceColumn - 1;
        if (index < start) return start > 0 ? 2 : 1;
        if (index < end) return (columnAt[index - start] ?? shownLength) + 1;
        if (end < raw.length) return shownLength + 1;
        return shownLength + (index - raw.length) + 1;
      },
    };
  }

  private mergedMasks(n: number): [number, number][] {
    let merged = this.merged.get(n);
    if (!merged) {
      merged = mergeSpans(this.masks.get(n) ?? []);
      this.merged.set(n, merged);
    }
    return merged;
  }
}

/** Source columns a frame shows of one line; longer lines are cut around the range (`…` marks the cut). */
export const FRAME_WIDTH = 160;
/** Columns shown before the range's start when a line is cut. */
const FRAME_LEAD = 40;
const CUT = '…';

export function codeFrame(source: FrameSource, range: SourceRange, options: CodeFrameOptions = {}): string {
  const context = options.context ?? 1;
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const line = Math.min(Math.max(1, range.start.line), Math.max(1, source.lines.length));
  const first = Math.max(1, line - context);
  const last = Math.min(source.lines.length, line + context);
  const width = String(last).length;
  const length = source.lines[line - 1]?.length ?? 0;
  const from =
    length <= FRAME_WIDTH ? 0 : Math.max(0, Math.min(range.start.column - 1 - FRAME_LEAD, length - FRAME_WIDTH));
  const to = from + (length <= FRAME_WIDTH ? Number.POSITIVE_INFINITY : FRAME_WIDTH);
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    // Context lines share the window when they reach into it; a shorter one is shown from its start.
    const reaches = (source.lines[n - 1]?.length ?? 0) > from;
    const { text, column } =
      n === line
        ? source.display(n, from, to)
        : source.display(n, reaches ? from : 0, (reaches ? from : 0) + FRAME_WIDTH);
    const marker = n === line ? '>' : ' ';
    out.push(`${paint('2', `${marker} ${String(n).padStart(width)} |`)}${text === '' ? '' : ` ${text}`}`);
    if (n !== line) continue;
    const start = column(range.start.column);
    const shown = text.endsWith(CUT) && to < length ? text.length : text.length + 1;
    const end = range.end.line === range.start.line ? Math.min(column(range.end.column), shown) : shown;
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
