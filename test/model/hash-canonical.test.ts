import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashValue, sha256Hex, withOwnHash } from '../../src/model/hash.js';

/** The previous implementation, kept here as the reference: hashes in ledgers and labels must not change. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
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
const reference = (value: unknown) => JSON.stringify(sortKeys(value));

// keys that exercise the ordering rules: array indexes (enumerated first, numerically), near-indexes, __proto__
const key = fc.oneof(
  fc.string(),
  fc.constantFrom('0', '1', '2', '9', '10', '01', '-1', '1.5', '4294967294', '4294967295', '__proto__', 'toJSON'),
  fc.nat().map(String),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object')),
  leaf: fc.oneof(
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(-0),
  ),
  array: fc.array(tie('tree'), { maxLength: 5 }),
  object: fc.array(fc.tuple(key, tie('tree')), { maxLength: 6 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries)
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
}));

describe('canonicalJson (single pass) equals the sort-then-stringify reference', () => {
  it('on random JSON-like values, including index-like keys, __proto__, undefined, -0', () => {
    fc.assert(
      fc.property(tree, (value) => {
        if (value === undefined) return;
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders array-index keys first, numerically, as Object.fromEntries does', () => {
    const value = { b: 1, 10: 'ten', 9: 'nine', '01': 'x', a: [undefined, 1] };
    expect(canonicalJson(value)).toBe('{"9":"nine","10":"ten","01":"x","a":[null,1],"b":1}');
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it('falls back to the reference for functions, symbols and an own toJSON', () => {
    const value = { a: () => 1, b: [Symbol('s'), 2], toJSON: () => 'x', c: new Date(0) };
    expect(canonicalJson(value)).toBe(reference(value));
    expect(canonicalJson({ n: [1, () => 2] })).toBe('{"n":[1,null]}');
  });

  it('still refuses non-finite numbers', () => {
    expect(() => canonicalJson([1, Number.POSITIVE_INFINITY])).toThrow(/non-finite/);
    expect(() => canonicalJson({ a: { b: Number.NaN } })).toThrow(/non-finite/);
  });
});

describe('withOwnHash and hashValue with known texts (normalize writes each task once)', () => {
  const object = fc.array(fc.tuple(key, tree), { maxLength: 6 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries)
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  });

  it('gives { ...record, hash: hashValue(record) } and that object’s canonical JSON', () => {
    fc.assert(
      fc.property(object, fc.constantFrom('hash', 'a', '0', '__proto__'), (record, name) => {
        if (Object.hasOwn(record, name)) return;
        const { value, known } = withOwnHash(record, name);
        const expected = { ...record };
        Object.defineProperty(expected, name, {
          value: sha256Hex(reference(record)),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        expect(reference(value)).toBe(reference(expected));
        expect(known).toBe(reference(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('hashes a value holding hashed records exactly as without the known texts', () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 4 }), tree, (records, rest) => {
        const known = new Map<object, string>();
        const hashed = records.map((r) => {
          const { value, known: text } = withOwnHash(r, 'hash');
          if (text !== undefined) known.set(value, text);
          return value;
        });
        const whole = { tasks: hashed, rest };
        expect(hashValue(whole, known)).toBe(hashValue(whole));
        expect(hashValue(whole)).toBe(sha256Hex(reference(whole)));
      }),
      { numRuns: 1000 },
    );
  });
});
