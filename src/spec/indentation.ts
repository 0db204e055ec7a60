/**
 * findBadIndentation: the first line whose indentation matches no open block, yamllint-style ("expected 6 spaces,
 * found 5"). yaml's own errors for a misindented line point elsewhere (often at the previous value: "Nested mappings
 * are not allowed in compact mappings") and come in cascades; the loader asks this module for the line that is off
 * when yaml reports one of its indentation-class errors.
 *
 * A line-based reading, deliberately simple: block scalars (`|`, `>`) and multi-line flow collections are skipped,
 * comment and blank lines ignored. A line may be deeper than the previous one only when that one opens a block
 * (`key:` with nothing after it, or a `- ` item); otherwise it must line up with an open block.
 */

export interface BadIndentation {
  /** 1-based line number. */
  line: number;
  expected: number;
  found: number;
}

export function findBadIndentation(text: string, untilLine = Number.POSITIVE_INFINITY): BadIndentation | undefined {
  const lines = text.split('\n');
  const open: number[] = [];
  let opensBlock = true;
  let previousColumn = -1;
  let blockScalarAt: number | undefined;
  let flowDepth = 0;
  for (let i = 0; i < lines.length && i < untilLine; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const content = raw.trimStart();
    const indent = raw.length - content.length;
    if (content === '' || content.startsWith('#')) continue;
    if (blockScalarAt !== undefined) {
      if (indent > blockScalarAt) continue;
      blockScalarAt = undefined;
    }
    if (flowDepth > 0) {
      flowDepth = Math.max(0, flowDepth + flowBalance(content));
      continue;
    }
    if (content.startsWith('---') || content.startsWith('...') || content.startsWith('%')) {
      open.length = 0;
      opensBlock = true;
      continue;
    }
    const before = [...open];
    while (open.length > 0 && open[open.length - 1]! > indent) open.pop();
    const top = open[open.length - 1];
    if (top !== indent) {
      // Deeper than every open block: only right below a line that opens one, and deeper than that line's key.
      const deeperOk = top === undefined || (opensBlock && indent > previousColumn);
      // A deeper plain-text line under `key: value` continues that value (a multi-line plain scalar).
      if (!deeperOk && top !== undefined && !looksStructural(content)) continue;
      if (!deeperOk) return { line: i + 1, expected: nearest(before, indent), found: indent };
      open.push(indent);
    }
    // A `- key: value` item opens a mapping at the key's column.
    let rest = content;
    let column = indent;
    while (/^-(\s|$)/.test(rest)) {
      const after = rest.slice(1).trimStart();
      column += rest.length - after.length;
      rest = after;
      if (keyLineValue(rest) !== undefined || /^-(\s|$)/.test(rest)) open.push(column);
    }
    previousColumn = column;
    const value = keyLineValue(rest);
    opensBlock = rest === '' || (value !== undefined && (value === '' || /^[|>][-+0-9]*$/.test(value)));
    if (value !== undefined && /^[|>][-+0-9]*$/.test(value)) blockScalarAt = column;
    if (value !== undefined && value !== '' && /^[[{]/.test(value)) flowDepth = Math.max(0, flowBalance(value));
    else if (value === undefined && /^[[{]/.test(rest)) flowDepth = Math.max(0, flowBalance(rest));
  }
  return undefined;
}

/** The value part of `key: value` (comment stripped), '' for `key:`, undefined when the line is not a key line. */
function keyLineValue(line: string): string | undefined {
  const m = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"[\]{}][^#]*?)\s*:(?:\s+(.*))?$/.exec(line);
  if (!m) return undefined;
  return (m[1] ?? '').replace(/\s+#.*$/, '').trim();
}

/** A key line or a list item: what yaml cannot read as the continuation of a plain scalar. */
function looksStructural(content: string): boolean {
  return /^-(\s|$)/.test(content) || keyLineValue(content) !== undefined;
}

/** Net opened brackets outside quotes (rough, enough to skip the lines of a multi-line flow collection). */
function flowBalance(text: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === '#') break;
  }
  return depth;
}

/** The open block closest to `found`; on a tie the deeper one (the previous line's sibling is the likelier intent). */
function nearest(open: readonly number[], found: number): number {
  let best = open[0] ?? 0;
  for (const candidate of open) {
    const d = Math.abs(candidate - found);
    const bestD = Math.abs(best - found);
    if (d < bestD || (d === bestD && candidate > best)) best = candidate;
  }
  return best;
}
