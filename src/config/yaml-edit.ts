/**
 * Editing a YAML file in place: set or delete one value at a path, rewriting only the bytes of that value (or
 * inserting one new entry), so every comment, blank line, quote style and indentation elsewhere stays byte for byte.
 * The `yaml` Document API locates the nodes (`getIn(path, true)` and their source ranges); the text is then spliced
 * rather than re-serialised (`doc.toString()` would re-indent and re-quote the whole file).
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Scalar, stringify, type YAMLMap } from 'yaml';

export type YamlValue = string | number | boolean;

export type YamlEdit = { path: readonly string[]; value: YamlValue } | { path: readonly string[]; delete: true };

/** An edit the file's layout does not allow (e.g. deleting the last entry of a block map): the caller says why. */
export class YamlEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlEditError';
  }
}

const PARSE = { version: '1.2', uniqueKeys: true } as const;

/** `value` as a YAML scalar: plain when it reads back as the same string, else double-quoted (JSON is YAML). */
export function scalarText(value: YamlValue, style?: Scalar['type']): string {
  if (typeof value !== 'string') return String(value);
  if (style === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(value);
  const plain = value !== '' && value.trim() === value && !/[:#{}[\],&*!|>'"%@`\n\t\\]/.test(value);
  if (plain && parseDocument(value, PARSE).toJS() === value) return value;
  return JSON.stringify(value);
}

/** Apply one edit to the text; the rest of the text is unchanged. */
export function applyYamlEdit(source: string, edit: YamlEdit): string {
  const doc = parseDocument(source, PARSE);
  if (doc.errors.length > 0) throw new YamlEditError(`cannot edit: ${doc.errors[0]!.message}`);
  return 'delete' in edit ? deleteAt(source, doc, edit.path) : setAt(source, doc, edit.path, edit.value);
}

function setAt(
  source: string,
  doc: ReturnType<typeof parseDocument>,
  path: readonly string[],
  value: YamlValue,
): string {
  const existing = doc.getIn(path, true);
  if (existing !== undefined) {
    if (!isScalar(existing) || !existing.range) throw new YamlEditError(`${path.join('.')} is not a single value`);
    const [start, end] = existing.range;
    const style = existing.type === 'PLAIN' ? undefined : existing.type;
    return source.slice(0, start) + scalarText(value, style) + source.slice(end);
  }
  // The deepest map on the path that exists: the new entry (with any maps it needs) goes there.
  let depth = path.length - 1;
  let parent: unknown;
  for (; depth >= 0; depth--) {
    parent = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (parent !== undefined) break;
  }
  if (!isMap(parent) || !parent.range) {
    throw new YamlEditError(`${path.slice(0, depth).join('.') || 'the document'} is not a map`);
  }
  const rest = path.slice(depth);
  if (parent.flow) return insertFlow(source, parent, rest, value);
  return insertBlock(source, parent, rest, value);
}

function flowEntry(rest: readonly string[], value: YamlValue): string {
  const [key, ...more] = rest;
  return `${keyText(key!)}: ${more.length === 0 ? scalarText(value) : `{ ${flowEntry(more, value)} }`}`;
}

function keyText(key: string): string {
  return stringify(key, { lineWidth: 0 }).trimEnd() === key ? key : JSON.stringify(key);
}

function insertFlow(source: string, map: YAMLMap, rest: readonly string[], value: YamlValue): string {
  const [start, end] = map.range!;
  const entry = flowEntry(rest, value);
  if (map.items.length === 0) return `${source.slice(0, start)}{ ${entry} }${source.slice(end)}`;
  const last = map.items[map.items.length - 1]!;
  const lastEnd = (isPair(last) && (last.value as { range?: number[] } | null)?.range?.[1]) || undefined;
  if (lastEnd === undefined) throw new YamlEditError('cannot add to this flow map');
  return `${source.slice(0, lastEnd)}, ${entry}${source.slice(lastEnd)}`;
}

function lineStart(source: string, at: number): number {
  return source.lastIndexOf('\n', at - 1) + 1;
}

function insertBlock(source: string, map: YAMLMap, rest: readonly string[], value: YamlValue): string {
  const first = map.items[0];
  const firstKey = isPair(first) ? (first.key as { range?: [number, number, number] } | null) : null;
  if (!firstKey?.range) throw new YamlEditError('cannot add to an empty block map');
  const indent = firstKey.range[0] - lineStart(source, firstKey.range[0]);
  const step = 2;
  const lines: string[] = [];
  rest.forEach((key, i) => {
    const pad = ' '.repeat(indent + i * step);
    lines.push(i === rest.length - 1 ? `${pad}${keyText(key)}: ${scalarText(value)}` : `${pad}${keyText(key)}:`);
  });
  const at = map.range![1];
  const before = source.slice(0, at);
  const newline = before.endsWith('\n') || before === '' ? '' : '\n';
  return `${before}${newline}${lines.join('\n')}\n${source.slice(at)}`;
}

function deleteAt(source: string, doc: ReturnType<typeof parseDocument>, path: readonly string[]): string {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const key = path[path.length - 1]!;
  if (!isMap(parent)) throw new YamlEditError(`${path.slice(0, -1).join('.')} is not a map`);
  const index = parent.items.findIndex((p) => isScalar(p.key) && p.key.value === key);
  if (index < 0) return source;
  if (parent.items.length === 1) {
    throw new YamlEditError(`${path.join('.')} is the only entry of its map (remove the map by hand)`);
  }
  const pair = parent.items[index]!;
  const keyRange = (pair.key as { range?: [number, number, number] }).range!;
  const valueNode = pair.value as { range?: [number, number, number] } | null;
  const valueEnd = valueNode?.range?.[1] ?? keyRange[1];
  if (parent.flow) {
    if (index < parent.items.length - 1) {
      const next = (parent.items[index + 1]!.key as { range?: number[] }).range![0];
      return source.slice(0, keyRange[0]) + source.slice(next);
    }
    const prev = parent.items[index - 1]!;
    const prevEnd =
      (prev.value as { range?: number[] } | null)?.range?.[1] ?? (prev.key as { range?: number[] }).range![1];
    return source.slice(0, prevEnd) + source.slice(valueEnd);
  }
  // Block map: the pair's lines, from the start of the key's line to the end of its content's last line.
  const from = lineStart(source, keyRange[0]);
  let to = valueEnd;
  const block = (isMap(valueNode) || isSeq(valueNode)) && !valueNode.flow;
  if (!block) {
    const eol = source.indexOf('\n', valueEnd);
    to = eol < 0 ? source.length : eol + 1;
  }
  return source.slice(0, from) + source.slice(to);
}
