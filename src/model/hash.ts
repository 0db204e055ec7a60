import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, `undefined` members dropped like
 * JSON.stringify does. Two values that are deep-equal as JSON produce the same text, whatever their key insertion order,
 * which is what makes the hashes below stable across runs and machines.
 */
export function canonicalJson(value: unknown, known?: ReadonlyMap<object, string>): string {
  try {
    return writeCanonical(value, known);
  } catch (error) {
    if (error !== EXOTIC) throw error;
    return JSON.stringify(sortKeys(value));
  }
}

/** Thrown by writeCanonical for values only the reference path handles (functions, symbols, bigints, own toJSON). */
const EXOTIC = new Error('exotic value');

/** An own key that enumerates before every other key, in numeric order (ECMAScript array index). */
function isIndexKey(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/**
 * One pass producing exactly `JSON.stringify(sortKeys(value))` for JSON-like data, without building sorted copies.
 * Key order matches the reference too: `Object.fromEntries` puts array-index keys first in numeric order (as
 * `Object.keys` already lists them), then the other keys in the sorted order.
 */
function writeCanonical(value: unknown, known?: ReadonlyMap<object, string>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`cannot hash non-finite number ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      const text = known?.get(value);
      if (text !== undefined) return text;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out += item === undefined ? 'null' : writeCanonical(item, known);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const key of orderedKeys(record)) {
        const item = record[key];
        if (item === undefined) continue;
        if (typeof item === 'function' || typeof item === 'symbol') throw EXOTIC;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(key)}:${writeCanonical(item, known)}`;
      }
      return `${out}}`;
    }
    default:
      // undefined at the top, functions, symbols, bigints: rare, and JSON.stringify's rules for them are subtle
      throw EXOTIC;
  }
}

/** An object's own keys in canonical order: array-index keys first (numeric order), then the others sorted. */
function orderedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  let indexes = 0;
  while (indexes < keys.length && isIndexKey(keys[indexes]!)) indexes++;
  return indexes === 0 ? keys.sort() : [...keys.slice(0, indexes), ...keys.slice(indexes).sort()];
}

/**
 * `record` with its hash added under `key`: `{ ...record, [key]: hashValue(record) }`, plus that object's canonical
 * JSON, each member's text written once for both (normalize hashes every task, then the pipeline that holds the
 * hashed tasks: passing the texts to `hashValue` as `known` writes no task twice). Same results as hashValue and
 * canonicalJson; `known` is undefined when the record holds a value only the reference path handles.
 */
export function withOwnHash<T extends object, K extends string>(
  record: T,
  key: K,
): { value: T & Record<K, string>; known: string | undefined } {
  const members = new Map<string, string>();
  try {
    for (const k of orderedKeys(record as Record<string, unknown>)) {
      const item = (record as Record<string, unknown>)[k];
      if (item === undefined) continue;
      if (typeof item === 'function' || typeof item === 'symbol') throw EXOTIC;
      members.set(k, `${JSON.stringify(k)}:${writeCanonical(item)}`);
    }
  } catch (error) {
    if (error !== EXOTIC) throw error;
    return { value: { ...record, [key]: hashValue(record) } as T & Record<K, string>, known: undefined };
  }
  const hash = sha256Hex(`{${[...members.values()].join(',')}}`);
  const value = { ...record, [key]: hash } as T & Record<K, string>;
  members.set(key, `${JSON.stringify(key)}:${JSON.stringify(hash)}`);
  const text = orderedKeys(value as Record<string, unknown>)
    .filter((k) => members.has(k))
    .map((k) => members.get(k)!)
    .join(',');
  return { value, known: `{${text}}` };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a `__proto__` key stays data, never a prototype
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot hash non-finite number ${value}`);
  return value;
}

/** sha256 of UTF-8 text (or bytes) as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a value's canonical JSON; `known`: canonical texts already written for some of its objects. */
export function hashValue(value: unknown, known?: ReadonlyMap<object, string>): string {
  return sha256Hex(canonicalJson(value, known));
}
