import type { EmittedFile } from '../targets/target.js';

/**
 * THE serializer: every generated YAML file goes through here, so quoting and layout are decided once.
 *
 * A direct writer for the plain JSON-like objects emitters return (maps, arrays, strings, finite numbers, booleans,
 * null). It replaced `yaml`'s Document writer, which cost about as much as the whole rest of compile (benchmarks:
 * cold compile 1.6× the parse+stringify floor, a one-spec watch rebuild 150–220 ms for a 50-task spec), and whose
 * block scalars mangled whitespace-only lines. Its output is checked by parsing it back with `yaml` (1.1 and 1.2
 * schemas) and js-yaml in property tests.
 *
 * - Block style only; an empty map or list is `{}` / `[]`; lists are indented under their key.
 * - A string is written plain only when every YAML 1.1 and 1.2 reader reads it back as that same string: a
 *   conservative character set, never `yes/no/on/off/y/n/~/null/true`, never anything number-, date- or
 *   sexagesimal-looking (`0755`, `1_000`, `12:30`, `1e3`, `2024-01-01`), no `: `/` #`, no edge spaces. Otherwise it is
 *   double-quoted with JSON escapes (plus escapes for characters YAML does not print or 1.1 reads as line breaks:
 *   U+0085, U+2028, U+2029, DEL, C1, BOM, lone surrogates), or single-quoted when it has `"` and nothing to escape.
 * - No anchors or aliases (an object used twice is written twice); no line folding.
 * - A multi-line string that is itself a text file (ends with one line break, no empty, blank-looking or
 *   space-led lines, no tabs, trailing spaces or characters to escape) is written as a `|` literal block, one source
 *   line per line: the Kubernetes run plan embeds each task's Job as YAML text, which must stay diffable line by line.
 * - Key order: `apiVersion`, `kind`, `metadata` first in each document (Kubernetes convention), then insertion order:
 *   emitters build objects in the order they want (sorted where there is no natural order).
 * - Header lines become `# ` comments; documents are separated by `---`; LF only; one trailing newline.
 */
const BOOL_NULL_11 = new Set(
  'y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL ~ .inf .Inf .INF -.inf -.Inf -.INF .nan .NaN .NAN'.split(
    ' ',
  ),
);
// First character a letter, digit, '/', '_' or '$' (or '-' / '.' before one of those, as in --flag, .cache); no '#' anywhere; then a conservative set (no flow/indicator/comment characters).
const PLAIN = /^(?:[A-Za-z0-9_/$]|-[A-Za-z0-9_/$-]|\.[A-Za-z_/$-])[A-Za-z0-9 _./@+,()'=:$*{}[\]"!&%~?|<>;^\\`-]*$/;
// What YAML 1.1 or 1.2 readers resolve to a number or a timestamp: ints and floats with '_' separators and
// exponents, sexagesimal (12:30), 0x/0o/0b prefixes, dates. "1.2.0" stays a string in every real reader.
const NUMERIC = [
  /^[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$/,
  /^[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
  /^0[xXoObB]/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
];

// `yaml`'s YAML 1.1 float, where every part is optional: it reads `e0` or `E5` as a number.
const LOOSE_FLOAT_11 = /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$/;

function isPlainSafe(s: string): boolean {
  if (!PLAIN.test(s)) return false;
  if (BOOL_NULL_11.has(s)) return false;
  if (s.startsWith('---') || s.startsWith('...')) return false; // document markers at the start of a line
  if (LOOSE_FLOAT_11.test(s)) return false;
  const body = s.charCodeAt(0) === 0x2d ? s.slice(1) : s; // a leading '-' (negative numbers, -.5)
  const c = body.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39 && NUMERIC.some((re) => re.test(body))) return false;
  if (s.endsWith(' ') || s.endsWith(':') || s.includes(': ') || s.includes('  ')) return false;
  return true;
}

// Characters outside YAML's printable set, and those a 1.1 reader treats as line breaks or BOM: escape them.
const NEEDS_ESCAPE =
  /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Single quotes need no escapes at all: used when a string has double quotes but nothing else that needs escaping.
const SINGLE_OK = /^[^'\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]*$/;

function quote(s: string): string {
  if (s.includes('"') && SINGLE_OK.test(s) && s.trim() === s) return `'${s}'`;
  return JSON.stringify(s).replace(NEEDS_ESCAPE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (value === Number.POSITIVE_INFINITY) return '.inf';
    if (value === Number.NEGATIVE_INFINITY) return '-.inf';
    return String(value);
  }
  if (typeof value === 'string') return isPlainSafe(value) ? value : quote(value);
  throw new Error(`serializeYaml: cannot write a ${typeof value}`);
}

// A literal block keeps every character of such text as is; anything else stays on one quoted line.
const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ufeff\\ufffe\\uffff\\ud800-\\udfff';
// First line starts with a non-space (no indentation indicator needed); every line ends with a non-space (not blank).
const BLOCK_SAFE = new RegExp(
  `^[^\\s${CONTROL}](?:[^${CONTROL}]*[^\\s${CONTROL}])?\\n(?:[^${CONTROL}]*[^\\s${CONTROL}]\\n)*$`,
);

function isBlockText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 1 && v.indexOf('\n') < v.length - 1 && BLOCK_SAFE.test(v);
}

function pushBlockText(head: string, text: string, indent: string, out: string[]): void {
  out.push(`${head} |\n`);
  for (const line of text.slice(0, -1).split('\n')) out.push(`${indent}  ${line}\n`);
}

function isCollection(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

function isEmpty(v: object): boolean {
  if (Array.isArray(v)) return v.length === 0;
  for (const k in v) if (Object.hasOwn(v, k) && (v as Record<string, unknown>)[k] !== undefined) return false;
  return true;
}

/**
 * Keys repeat across documents (`apiVersion`, `metadata`, label keys …): each key's written form is remembered instead
 * of running the plain-scalar checks again for every occurrence. Bounded (cleared when full).
 */
const KEY_MEMO_SIZE = 4096;
const keyMemo = new Map<string, string>();

function keyScalar(k: string): string {
  let written = keyMemo.get(k);
  if (written === undefined) {
    written = scalar(k);
    if (keyMemo.size >= KEY_MEMO_SIZE) keyMemo.clear();
    keyMemo.set(k, written);
  }
  return written;
}

/** Appends the block form of a non-empty collection; the first line's indent is `first`, the others `indent`. */
function block(v: object, indent: string, first: string, out: string[]): void {
  let prefix = first;
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isCollection(item) && !isEmpty(item)) {
        block(item, `${indent}  `, `${prefix}- `, out);
      } else if (isBlockText(item)) {
        pushBlockText(`${prefix}-`, item, indent, out);
      } else {
        out.push(`${prefix}- ${inline(item)}\n`);
      }
      prefix = indent;
    }
    return;
  }
  const record = v as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    const item = record[k];
    if (item === undefined) continue;
    const key = keyScalar(k);
    if (isCollection(item) && !isEmpty(item)) {
      out.push(`${prefix}${key}:\n`);
      block(item, `${indent}  `, `${indent}  `, out);
    } else if (isBlockText(item)) {
      pushBlockText(`${prefix}${key}:`, item, indent, out);
    } else {
      out.push(`${prefix}${key}: ${inline(item)}\n`);
    }
    prefix = indent;
  }
}

function inline(v: unknown): string {
  if (isCollection(v)) return Array.isArray(v) ? '[]' : '{}';
  return scalar(v);
}

function writeDocument(value: unknown): string {
  if (isCollection(value) && !isEmpty(value)) {
    const out: string[] = [];
    block(value, '', '', out);
    return out.join('');
  }
  return `${inline(value)}\n`;
}

const HOISTED = ['apiVersion', 'kind', 'metadata'];

function hoistKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  if (!HOISTED.some((k) => Object.hasOwn(record, k))) return value;
  const keys = [
    ...HOISTED.filter((k) => Object.hasOwn(record, k)),
    ...Object.keys(record).filter((k) => !HOISTED.includes(k)),
  ];
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

/** One comment line: control characters (newlines could end the comment and inject YAML) become '?'. */
function commentLine(text: string): string {
  const safe = text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, '?');
  return safe === '' ? '#' : `# ${safe}`;
}

export function serializeDocument(value: unknown): string {
  return writeDocument(hoistKeys(value));
}

/** The bytes of one generated file. Deterministic: same input objects → same text on every run and machine. */
export function serializeYaml(file: EmittedFile): string {
  if (file.documents.length === 0) throw new Error(`serializeYaml: ${file.path} has no documents`);
  const header = file.header.map((line) => `${commentLine(line)}\n`).join('');
  const body = file.documents.map(serializeDocument).join('---\n');
  return header + body;
}
