/** The serializer's plain/quoted decision, fuzzed with the characters YAML gives meaning to (indicators, 1.1 booleans, number and date shapes, line breaks a 1.1 reader sees in U+0085/U+2028, NBSP). */
import fc from 'fast-check';
import { load } from 'js-yaml';
import { expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { serializeDocument } from '../../src/emit/serialize.js';

const alphabet = fc.constantFrom(
  ...'aeEyYnNoO01579._-+:#$ {}[]"\'\\\t\n\r`~!&*?|<>%@,=xXbB\u0085\u2028\u00a0é🙂'.split(''),
);
const str = fc.oneof(
  fc.string({ unit: alphabet, maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ maxLength: 6 }),
);
it('any map of YAML-special strings reads back unchanged with yaml 1.1, yaml 1.2 and js-yaml', () => {
  fc.assert(
    fc.property(
      fc.dictionary(str, fc.oneof(str, fc.array(str, { maxLength: 3 }), fc.dictionary(str, str, { maxKeys: 2 })), {
        maxKeys: 4,
      }),
      (v) => {
        const text = serializeDocument(v);
        const want = JSON.parse(JSON.stringify(v));
        for (const version of ['1.1', '1.2'] as const)
          expect(parseAllDocuments(text, { version })[0]!.toJS()).toEqual(want);
        expect(load(text)).toEqual(want);
      },
    ),
    { numRuns: 3000 },
  );
});
