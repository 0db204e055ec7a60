import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadSpec } from '../../src/spec/load.js';

const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((k) => k !== 'constructor' && k !== 'prototype');
const scalar = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
})).map;

describe('loadSpec properties', () => {
  it('never throws, and every diagnostic points inside the file', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.stringMatching(/^[-:?[\]{}&*!|>'"%@`#,\n \t\r]{0,40}$/)),
        (text) => {
          const doc = loadSpec('p.yaml', text);
          const lines = doc.source.split('\n').length;
          for (const d of doc.diagnostics) {
            expect(d.range.start.line).toBeGreaterThanOrEqual(1);
            expect(d.range.start.line).toBeLessThanOrEqual(lines);
            expect(d.range.start.column).toBeGreaterThanOrEqual(1);
          }
          if (doc.diagnostics.length > 0) expect(doc.value).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads back what a YAML 1.2 writer wrote (plain data round-trips)', () => {
    fc.assert(
      fc.property(value, (data) => {
        const text = stringify({ root: data }, { version: '1.2' });
        const doc = loadSpec('p.yaml', text);
        expect(doc.diagnostics).toEqual([]);
        expect(doc.value).toEqual({ root: data });
      }),
      { numRuns: 300 },
    );
  });
});
