import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, `undefined` members dropped like
 * JSON.stringify does. Two values that are deep-equal as JSON produce the same text, whatever their key insertion order,
 * which is what makes the hashes below stable across runs and machines.
 */
export function canonicalJson(value: unknown): string {
  try {
    return writeCanonical(value);
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
function writeCanonical(value: unknown): string {
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
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out += item === undefined ? 'null' : writeCanonical(item);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      let indexes = 0;
      while (indexes < keys.length && isIndexKey(keys[indexes]!)) indexes++;
      const ordered = indexes === 0 ? keys.sort() : [...keys.slice(0, indexes), ...keys.slice(indexes).sort()];
      let out = '{';
      let first = true;
      for (const key of ordered) {
        const item = record[key];
        if (item === undefined) continue;
        if (typeof item === 'function' || typeof item === 'symbol') throw EXOTIC;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(key)}:${writeCanonical(item)}`;
      }
      return `${out}}`;
    }
    default:
      // undefined at the top, functions, symbols, bigints: rare, and JSON.stringify's rules for them are subtle
      throw EXOTIC;
  }
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

/** sha256 of a value's canonical JSON. */
export function hashValue(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
