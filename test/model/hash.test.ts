import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashValue, sha256Hex } from '../../src/model/hash.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined, x: 'é' }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"x":"é","z":1}]},"b":1}',
    );
  });

  it('is independent of key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
        expect(JSON.parse(canonicalJson(record))).toEqual(JSON.parse(JSON.stringify(record)));
      }),
    );
  });

  it('keeps a __proto__ key as data', () => {
    const value = JSON.parse('{"b":1,"__proto__":{"x":1}}');
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"b":1}');
  });

  it('refuses non-finite numbers instead of hashing them as null', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });
});

describe('sha256Hex', () => {
  it('matches the published sha256 test vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashValue({ b: 2, a: 1 })).toBe(sha256Hex('{"a":1,"b":2}'));
  });
});
