/**
 * validateSpecs: loaded documents → every diagnostic, positioned. Loader diagnostics first; then the JSON Schema
 * (ajv errors turned into messages that say what was expected, at the offending node); then, on schema-valid
 * documents only, the semantic rules of src/spec/rules/ (per document, then across all of them).
 */
import type { ErrorObject } from 'ajv';
import { type Diagnostic, type SourceRange, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { type SpecDocument, type SpecPath, valueAt } from './document.js';
import { type Foreign, recognizeForeign } from './foreign.js';
import { printable } from './load.js';
import { pruneRejected } from './prune.js';
import { RULES } from './rules/index.js';
import type { CheckedDocument, Rule } from './rules/rule.js';
import { pipelineSchema, schemaErrors } from './schema.js';
import { isSecretLikeName, redactSecrets } from './secrets.js';
import type { PipelineSpec } from './types.js';

export interface ValidationResult {
  diagnostics: Diagnostic[];
  /** Documents that passed the loader and the schema (rules may still have reported errors on them). */
  checked: CheckedDocument[];
  /**
   * What the rules saw: the checked documents plus the parts of schema-invalid ones the schema did not reject. The
   * cross-file rules get these (validating on worker threads rebuilds them from each document's name, see
   * src/emit/parallel.ts).
   */
  ruleInputs: CheckedDocument[];
}

export function validateSpecs(docs: readonly SpecDocument[], rules: readonly Rule[] = RULES): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const checked: CheckedDocument[] = [];
  /** Schema-valid documents plus the parts of the others the schema did not reject: the rules see all of them. */
  const ruleInputs: CheckedDocument[] = [];
  for (const doc of docs) {
    diagnostics.push(...doc.diagnostics);
    if (doc.value === undefined || doc.diagnostics.some((d) => d.severity === 'error')) continue;
    const foreign = recognizeForeign(doc.value);
    if (foreign) {
      diagnostics.push(notASpec(doc, foreign));
      continue;
    }
    const errors = reduceErrors(schemaErrors(doc.value));
    const misplaced = misindentedFields(doc, errors);
    diagnostics.push(...schemaDiagnosticsFor(doc, errors, misplaced));
    if (errors.length === 0) {
      const input = { doc, spec: doc.value as PipelineSpec };
      checked.push(input);
      ruleInputs.push(input);
      continue;
    }
    // A misplaced field is not what it was read as (a task named `secrets`): the rules do not see it at all.
    const partial = pruneRejected(
      doc.value,
      errors,
      parsePointer,
      misplaced.map((m) => m.path),
    );
    if (partial) ruleInputs.push({ doc, spec: partial });
  }
  for (const rule of rules) {
    if (rule.check) for (const input of ruleInputs) diagnostics.push(...rule.check(input));
    if (rule.checkAll) diagnostics.push(...rule.checkAll(ruleInputs));
  }
  return { diagnostics: sortDiagnostics(diagnostics), checked, ruleInputs };
}

/** A JSON Schema to check documents against: its validator and the schema itself (for allowed keys and hints). */
export interface DocumentSchema {
  errors(value: unknown): ErrorObject[];
  schema(): Record<string, unknown>;
}

const PIPELINE_SCHEMA: DocumentSchema = { errors: schemaErrors, schema: pipelineSchema };

/** ajv's errors for one document, as PW100 diagnostics at the offending node (the pipeline schema by default). */
export function schemaDiagnosticsOf(doc: SpecDocument, against: DocumentSchema = PIPELINE_SCHEMA): Diagnostic[] {
  const errors = reduceErrors(against.errors(doc.value));
  return schemaDiagnosticsFor(doc, errors, misindentedFields(doc, errors, against), against);
}

function schemaDiagnosticsFor(
  doc: SpecDocument,
  errors: readonly ErrorObject[],
  dedented: readonly MisindentedField[],
  against: DocumentSchema = PIPELINE_SCHEMA,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const field of dedented) out.push(field.diagnostic);
  for (const error of errors) {
    const { path, key, message } = describe(error, doc, against);
    if (dedented.some((f) => startsWith(path, f.path))) continue;
    out.push({ file: doc.file, range: doc.rangeOf(path, { key }), severity: 'error', code: 'PW100', message });
  }
  return out;
}

/** PW101: one line instead of a dozen schema errors about a file that was never meant to be a pipeline. */
function notASpec(doc: SpecDocument, foreign: Foreign): Diagnostic {
  const range = foreign.key === undefined ? doc.rangeOf([]) : doc.rangeOf([foreign.key], { key: true });
  return {
    file: doc.file,
    range: { start: range.start, end: range.start.line === range.end.line ? range.end : range.start },
    severity: 'error',
    code: 'PW101',
    message: `not a pipewright spec: this looks like ${foreign.what}; a pipewright spec starts with apiVersion: pipewright.dev/v1 and kind: Pipeline (keep other files out of the pipelines directory)`,
  };
}

interface MisindentedField {
  /** The key that was read at the wrong level (errors under it are replaced by the one diagnostic). */
  path: SpecPath;
  diagnostic: Diagnostic;
}

/**
 * A known field indented one level too little: `secrets:` under a task, written at the task's own column, becomes a
 * task named `secrets`; `retries:` at the level of `spec:` becomes an unknown property of the document. Recognised
 * when the key has schema errors, is not a field of where it landed (or lands in a map of user-named entries) and
 * is a field of the entry right above it. Reported once, at the key, with the column it needs.
 */
function misindentedFields(
  doc: SpecDocument,
  errors: readonly ErrorObject[],
  against: DocumentSchema = PIPELINE_SCHEMA,
): MisindentedField[] {
  const out: MisindentedField[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const path = parsePointer(error.instancePath);
    const candidates: SpecPath[] = [];
    if (error.keyword === 'additionalProperties') candidates.push([...path, String(error.params.additionalProperty)]);
    for (let i = path.length; i >= 1; i--) candidates.push(path.slice(0, i));
    for (const keyPath of candidates) {
      const name = keyPath[keyPath.length - 1];
      if (typeof name !== 'string') continue;
      const id = JSON.stringify(keyPath);
      if (seen.has(id)) break;
      const parentPath = keyPath.slice(0, -1);
      const parentSchema = schemaAt(parentPath, against);
      const namedEntries = parentSchema !== undefined && !Object.hasOwn(parentSchema.properties ?? {}, name);
      if (!namedEntries && !isUserNamedMap(parentSchema)) continue;
      const previous = previousSibling(doc, parentPath, name);
      if (previous === undefined) continue;
      const previousSchema = schemaAt([...parentPath, previous], against);
      if (!previousSchema?.properties || !Object.hasOwn(previousSchema.properties, name)) continue;
      // The value must have the field's shape: a task that happens to be named `image` is not a misplaced image.
      if (!sameJsonType(valueAt(doc.value, keyPath), schemaAt([...parentPath, previous, name], against)?.type))
        continue;
      seen.add(id);
      const keyRange = doc.rangeOf(keyPath, { key: true });
      const previousRange = doc.rangeOf([...parentPath, previous], { key: true });
      const childColumn = firstChildColumn(doc, [...parentPath, previous]) ?? previousRange.start.column + 2;
      const owner = ownerLabel(parentPath, previous);
      const landed = isUserNamedMap(parentSchema)
        ? `it reads as ${entryKind(parentPath)} named '${printable(name)}'`
        : `it reads as an unknown property of ${parentPath.length === 0 ? 'the document' : pathLabel(parentPath)}`;
      out.push({
        path: keyPath,
        diagnostic: {
          file: doc.file,
          range: keyRange,
          severity: 'error',
          code: 'PW100',
          message: `'${printable(name)}' is indented one level too little: ${landed}; as the '${name}' field of ${owner} it needs ${childColumn - 1} spaces, found ${keyRange.start.column - 1}`,
        },
      });
      break;
    }
  }
  return out;
}

/** A map whose keys the user names (tasks, params, env …): any key is allowed there, so a misplaced field hides. */
function isUserNamedMap(schema: SchemaNode | undefined): boolean {
  return schema !== undefined && schema.properties === undefined && typeof schema.additionalProperties === 'object';
}

function entryKind(path: SpecPath): string {
  const last = path[path.length - 1];
  const kinds: Record<string, string> = { tasks: 'a task', params: 'a param', env: 'a variable', secrets: 'a secret' };
  return (typeof last === 'string' && kinds[last]) || 'an entry';
}

function ownerLabel(parentPath: SpecPath, previous: string): string {
  const last = parentPath[parentPath.length - 1];
  if (last === 'tasks') return `task '${printable(previous)}'`;
  if (last === 'params') return `param '${printable(previous)}'`;
  return `'${pathLabel([...parentPath, previous])}'`;
}

/** The key written right before `name` in the mapping at `parentPath` (source order), if any. */
function previousSibling(doc: SpecDocument, parentPath: SpecPath, name: string): string | undefined {
  const parent = valueAt(doc.value, parentPath);
  if (parent === null || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  const at = (key: string) => doc.rangeOf([...parentPath, key], { key: true }).start;
  const mine = at(name);
  let best: { key: string; line: number; column: number } | undefined;
  for (const key of Object.keys(parent)) {
    if (key === name) continue;
    const p = at(key);
    const before = p.line < mine.line || (p.line === mine.line && p.column < mine.column);
    if (before && (!best || p.line > best.line || (p.line === best.line && p.column > best.column))) {
      best = { key, ...p };
    }
  }
  return best?.key;
}

/** The column of the first key inside the mapping at `path`, when it is a block mapping on later lines. */
function firstChildColumn(doc: SpecDocument, path: SpecPath): number | undefined {
  const value = valueAt(doc.value, path);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length === 0) return undefined;
  const parent = doc.rangeOf(path, { key: true }).start;
  const child = doc.rangeOf([...path, keys[0]!], { key: true }).start;
  return child.line > parent.line ? child.column : undefined;
}

function sameJsonType(value: unknown, type: string | undefined): boolean {
  if (type === undefined) return false;
  const actual =
    value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;
  if (type === 'integer') return actual === 'number';
  return actual === type;
}

function startsWith(path: SpecPath, prefix: SpecPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

/**
 * Drops noise: `propertyNames` repeats its inner error; the branches of a failed anyOf/oneOf are folded into the
 * anyOf error itself; identical (path, keyword, params) errors appear once.
 */
export function reduceErrors(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const error of errors) {
    if (error.keyword === 'propertyNames') continue;
    if (unions.some((u) => u !== error && error.schemaPath.startsWith(`${u.schemaPath}/`))) continue;
    const id = `${error.instancePath}\0${error.keyword}\0${JSON.stringify(error.params)}\0${error.propertyName ?? ''}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(error);
  }
  return out;
}

interface Described {
  path: SpecPath;
  /** Point at the key rather than the value. */
  key: boolean;
  message: string;
}

function describe(error: ErrorObject, doc: SpecDocument, against: DocumentSchema): Described {
  const path = parsePointer(error.instancePath);
  const label = pathLabel(path);
  const schema = schemaAt(path, against);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const allowed = Object.keys(schema?.properties ?? {}).sort();
      const suggestion = didYouMean(name, allowed);
      const where = path.length === 0 ? '' : ` in ${label}`;
      return {
        path: [...path, name],
        key: true,
        message:
          `unknown property '${printable(name)}'${where}` +
          (suggestion ? `: did you mean '${suggestion}'?` : '') +
          (allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''),
      };
    }
    case 'required': {
      const name = String(params.missingProperty);
      return {
        path,
        key: true,
        message: `missing required property '${name}'${path.length === 0 ? '' : ` in ${label}`}`,
      };
    }
    case 'pattern': {
      if (error.propertyName !== undefined) {
        const name = error.propertyName;
        const expected = schema?.propertyNames?.patternErrorMessage ?? `must match ${params.pattern}`;
        // A name that is itself a secret (a token pasted as a key) is not echoed a second time in a suggestion.
        const fixes =
          redactSecrets(name) === name ? fixesFor(name, schema?.propertyNames).filter((f) => f !== name) : [];
        const suggestion =
          fixes.length > 0 ? `: did you mean ${fixes.map((f) => JSON.stringify(f)).join(' or ')}?` : '';
        return {
          path: [...path, name],
          key: true,
          message: `${keyKind(path)} '${printable(name)}' in ${label} ${expected}${invisibleHint(name) || suggestion}`,
        };
      }
      const expected = schema?.patternErrorMessage ?? `must match ${params.pattern}`;
      return {
        path,
        key: false,
        message: `${label} ${expected}${got(doc, path)}${hintFor(path, doc) || fixHint(doc, path, schema)}`,
      };
    }
    case 'type': {
      const expected = String(params.type);
      return {
        path,
        key: false,
        message: `${label} must be ${article(expected)}${got(doc, path)}${typeHint(expected, doc, path, schema)}`,
      };
    }
    case 'const':
      return { path, key: false, message: `${label} must be '${String(params.allowedValue)}'${got(doc, path)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(', ');
      return { path, key: false, message: `${label} must be one of ${allowed}${got(doc, path)}` };
    }
    case 'minItems':
      return { path, key: false, message: `${label} must have at least ${plural(params.limit, 'item')}` };
    case 'maxItems':
      return { path, key: false, message: `${label} must have at most ${plural(params.limit, 'item')}` };
    case 'minProperties':
      return { path, key: false, message: `${label} must have at least ${plural(params.limit, 'entry', 'entries')}` };
    case 'maxProperties':
      return { path, key: false, message: `${label} must have at most ${plural(params.limit, 'entry', 'entries')}` };
    case 'minLength':
      return { path, key: false, message: `${label} must be at least ${plural(params.limit, 'character')} long` };
    case 'maxLength':
      return { path, key: false, message: `${label} must be at most ${plural(params.limit, 'character')} long` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, key: false, message: `${label} ${String(error.message)}${got(doc, path)}` };
    case 'anyOf':
    case 'oneOf': {
      const forms = scalarForms(schema?.[error.keyword]);
      const expected = forms === undefined ? 'does not match any allowed form' : `must be ${forms}`;
      return { path, key: false, message: `${label} ${expected}${got(doc, path)}` };
    }
    default:
      return { path, key: false, message: `${label} ${String(error.message)}` };
  }
}

/** ajv instancePath (RFC 6901 JSON pointer) → path segments; array indexes become numbers. */
export function parsePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment;
    });
}

/** `spec.tasks.extract.command[2]`, `spec.tasks["a b"]`, odd characters made visible; `the document` for the root. */
function pathLabel(path: SpecPath): string {
  if (path.length === 0) return 'the document';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += `${out === '' ? '' : '.'}${segment}`;
    else out += `[${JSON.stringify(printable(segment))}]`;
  }
  return out;
}

const KEY_KINDS: Record<string, string> = {
  tasks: 'task id',
  env: 'environment variable name',
  secrets: 'environment variable name',
  params: 'param name',
  matrix: 'matrix key',
  labels: 'label key',
};

function keyKind(path: SpecPath): string {
  const last = path[path.length - 1];
  return (typeof last === 'string' && KEY_KINDS[last]) || 'key';
}

interface SchemaNode {
  $ref?: string;
  type?: string;
  const?: unknown;
  minimum?: number;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  pattern?: string;
  /** Human text for a pattern mismatch ("must be a duration such as 30s, 10m, 1h30m"); also read by editors. */
  patternErrorMessage?: string;
  propertyNames?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  description?: string;
  maxLength?: number;
}

/** The (dereferenced) schema that applies at `path`, for allowed-property lists and hints. */
function schemaAt(path: SpecPath, against: DocumentSchema): SchemaNode | undefined {
  const root = against.schema() as SchemaNode & { definitions?: Record<string, SchemaNode> };
  const deref = (node: SchemaNode | undefined): SchemaNode | undefined => {
    let current = node;
    for (let hops = 0; current?.$ref && hops < 10; hops++) {
      const name = current.$ref.replace('#/definitions/', '');
      current = root.definitions?.[name];
    }
    return current;
  };
  let node = deref(root);
  for (const segment of path) {
    if (!node) return undefined;
    if (typeof segment === 'number') node = deref(node.items);
    else if (node.properties && Object.hasOwn(node.properties, segment)) node = deref(node.properties[segment]);
    else node = typeof node.additionalProperties === 'object' ? deref(node.additionalProperties) : undefined;
  }
  return node;
}

/** Whether the value at `path` may be shown: never under env/secrets or a secret-like key. */
function mayEcho(path: SpecPath): boolean {
  return !path.some((s) => typeof s === 'string' && (s === 'env' || s === 'secrets' || isSecretLikeName(s)));
}

/** ` (got number 1.10)`: the value as written in the source, when it is safe and short enough to show. */
function got(doc: SpecDocument, path: SpecPath): string {
  const value = valueAt(doc.value, path);
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (kind === 'object' || kind === 'array') return ` (got ${kind === 'array' ? 'a list' : 'a mapping'})`;
  if (!mayEcho(path)) return ` (got ${kind})`;
  const written = sourceText(doc, doc.rangeOf(path)) ?? String(value);
  const shown = written.length > 60 ? `${written.slice(0, 57)}...` : written;
  const text = printable(redactSecrets(shown));
  return kind === 'string' ? ` (got '${stripQuotes(text)}')` : ` (got ${kind} ${text})`;
}

function typeHint(expected: string, doc: SpecDocument, path: SpecPath, schema: SchemaNode | undefined): string {
  const value = valueAt(doc.value, path);
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean' || value === null)) {
    if (!mayEcho(path)) return ': quote it';
    const written = sourceText(doc, doc.rangeOf(path)) ?? String(value);
    const fixes = fixesFor(written, schema);
    if (fixes.length > 0) return `: write ${fixes.map((f) => JSON.stringify(f)).join(' or ')} (quoted)`;
    if (schema?.patternErrorMessage !== undefined) return `: quote it, and it ${schema.patternErrorMessage}`;
    return `: quote it, e.g. ${JSON.stringify(written)}`;
  }
  if (expected === 'boolean' && typeof value === 'string') return ': write true or false';
  return '';
}

/** `: did you mean "1.10.0"?` for a string that fails its pattern but is one small completion away from passing. */
function fixHint(doc: SpecDocument, path: SpecPath, schema: SchemaNode | undefined): string {
  const value = valueAt(doc.value, path);
  if (typeof value !== 'string' || !mayEcho(path)) return '';
  const fixes = fixesFor(value, schema).filter((f) => f !== value);
  return fixes.length > 0 ? `: did you mean ${fixes.map((f) => JSON.stringify(f)).join(' or ')}?` : '';
}

/**
 * Completions of what the user wrote that pass the pattern, at most two, so a fix hint never suggests a value that
 * fails in turn: a version `1.10` becomes `1.10.0`, a duration `90` becomes `90s` or `90m`.
 */
export function fixesFor(written: string, schema: SchemaNode | undefined): string[] {
  const text = written.trim();
  if (schema?.pattern === undefined || text === '' || text.length > 60) return [];
  let pattern: RegExp;
  try {
    pattern = new RegExp(schema.pattern, 'u');
  } catch {
    return [];
  }
  const candidates = [text, `${text}.0`, `${text}.0.0`, `${text}s`, `${text}m`, `${text}h`, `${text}d`];
  if (/^v\d/.test(text)) candidates.push(text.slice(1), `${text.slice(1)}.0`, `${text.slice(1)}.0.0`);
  // Written out in words: `1 minute`, `2 hours 30 minutes` → 1m, 2h30m.
  const words = text.replace(
    /(\d+)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)\b,?\s*(and\s+)?/gi,
    (_, n, unit) => `${n}${String(unit)[0]!.toLowerCase()}`,
  );
  if (words !== text) candidates.push(words.replace(/\s+/g, ''));
  // Dates with other separators or without zero padding: 2024/1/5 → 2024-01-05.
  const date = /^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$/.exec(text) ?? /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (date) candidates.push(`${date[1]}-${date[2]!.padStart(2, '0')}-${date[3]!.padStart(2, '0')}`);
  // Names with capitals, spaces or underscores where lowercase DNS names are expected: Daily Orders → daily-orders.
  const dns = text.toLowerCase().replace(/[\s_]+/g, '-');
  if (dns !== text && /^[a-z0-9-]+$/.test(dns)) candidates.push(dns);
  // Names with '-' or spaces where identifiers are expected: db-password → db_password, DB_PASSWORD.
  const ident = text.replace(/[\s-]+/g, '_');
  if (ident !== text) candidates.push(ident, ident.toUpperCase());
  // Byte units as people write them: 2GB → 2G or 2Gi.
  const bytes = /^(\d+(?:\.\d+)?)\s*([kmgt])i?b$/i.exec(text);
  if (bytes) candidates.push(`${bytes[1]}${bytes[2]!.toUpperCase()}i`, `${bytes[1]}${bytes[2]!.toUpperCase()}`);
  const fits = (c: string) => pattern.test(c) && (schema.maxLength === undefined || c.length <= schema.maxLength);
  return [...new Set(candidates)].filter(fits).slice(0, 2);
}

function hintFor(path: SpecPath, doc: SpecDocument): string {
  const value = valueAt(doc.value, path);
  return typeof value === 'string' ? invisibleHint(value) : '';
}

const INVISIBLE_NAMES: Record<string, string> = {
  '\u00a0': 'a no-break space (U+00A0)',
  '\u200b': 'a zero-width space (U+200B)',
  '\u200c': 'a zero-width non-joiner (U+200C)',
  '\u200d': 'a zero-width joiner (U+200D)',
  '\u2009': 'a thin space (U+2009)',
  '\u202f': 'a narrow no-break space (U+202F)',
  '\ufeff': 'a zero-width no-break space (U+FEFF)',
};

/** Names pasted from documents or chat carry NBSPs and zero-width characters that look like ordinary text. */
function invisibleHint(text: string): string {
  for (const ch of text) {
    const name = INVISIBLE_NAMES[ch];
    if (name) return `; it contains ${name}`;
  }
  const other = /[^\x20-\x7e]/.exec(text)?.[0];
  return other
    ? `; it contains the non-ASCII character U+${other.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
    : '';
}

/** The source text of a single-line range, or undefined. */
function sourceText(doc: SpecDocument, range: SourceRange): string | undefined {
  if (range.start.line !== range.end.line || range.end.column <= range.start.column) return undefined;
  const line = lineAt(doc.source, range.start.line);
  return line?.slice(range.start.column - 1, range.end.column - 1);
}

function lineAt(source: string, line: number): string | undefined {
  let start = 0;
  for (let i = 1; i < line; i++) {
    const next = source.indexOf('\n', start);
    if (next === -1) return undefined;
    start = next + 1;
  }
  const end = source.indexOf('\n', start);
  return source.slice(start, end === -1 ? undefined : end).replace(/\r$/, '');
}

function stripQuotes(text: string): string {
  return /^(['"]).*\1$/.test(text) ? text.slice(1, -1) : text;
}

function article(type: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'a boolean',
    object: 'a mapping',
    array: 'a list',
    null: 'null',
  };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

/**
 * `'auto' or an integer of at least 1`: the branches of a union of plain values, in words; undefined when a branch is
 * anything else (a mapping, a reference), whose own errors say more than a list of forms.
 */
const SCALAR_FORM_KEYS = new Set(['type', 'const', 'minimum', 'description']);

function scalarForms(branches: SchemaNode[] | undefined): string | undefined {
  const words: string[] = [];
  for (const b of branches ?? []) {
    const scalar = b.type === 'string' || b.type === 'integer' || b.type === 'number' || b.type === 'boolean';
    // any other keyword (a pattern, a maximum …) would be left out of the words: then no words at all
    if (!scalar || Object.keys(b).some((k) => !SCALAR_FORM_KEYS.has(k))) return undefined;
    if (b.const !== undefined) words.push(`'${String(b.const)}'`);
    else words.push(`${article(b.type!)}${b.minimum === undefined ? '' : ` of at least ${b.minimum}`}`);
  }
  return words.length === 0 ? undefined : words.join(' or ');
}

function plural(n: unknown, one: string, many = `${one}s`): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}

/** The closest allowed name within a small edit distance, or a case-insensitive match. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === name.toLowerCase()) return candidate;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** Damerau-Levenshtein (optimal string alignment): `retires` → `retries` is one transposition. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
