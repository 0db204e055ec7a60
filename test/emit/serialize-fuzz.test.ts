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
  // Multi-line text ending in a line break: what may be written as a `|` literal block (embedded run-plan YAML).
  fc
    .array(fc.string({ unit: alphabet, maxLength: 6 }), { minLength: 2, maxLength: 4 })
    .map((lines) => `${lines.join('\n')}\n`),
);
it('any map of YAML-special strings reads back unchanged with yaml 1.1, yaml 1.2 and js-yaml', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        str,
        fc.oneof(
          str,
          fc.array(fc.oneof(str, fc.array(str, { maxLength: 2 })), { maxLength: 3 }),
          fc.dictionary(str, str, { maxKeys: 2 }),
        ),
        {
          maxKeys: 4,
        },
      ),
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

it('writes embedded YAML text as a literal block, one line per line, and reads it back exactly', () => {
  const embedded = 'kind: Job\nspec:\n  template:\n    containers:\n      - name: "x: y"\n';
  const text = serializeDocument({ data: { 'task.a.yaml': embedded, other: ['one\ntwo\n'] } });
  expect(text).toBe(
    'data:\n  task.a.yaml: |\n    kind: Job\n    spec:\n      template:\n        containers:\n          - name: "x: y"\n  other:\n    - |\n      one\n      two\n',
  );
  expect(load(text)).toEqual({ data: { 'task.a.yaml': embedded, other: ['one\ntwo\n'] } });
  // Not text-file shaped (blank line, trailing space, leading space, no final break): one quoted line as before.
  for (const s of ['a\n\nb\n', 'a \nb\n', ' a\nb\n', 'a\nb', 'a\tb\nc\n'])
    expect(serializeDocument({ k: s })).toBe(`k: ${JSON.stringify(s)}\n`);
});
