import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serializeDocument } from '../../src/emit/serialize.js';

/** Strings yaml 2.9.1's block/folded writers mangled (found by the argv property test); `\u{10000}` is 𐀀. */
const TRICKY = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose text, not a JS template
  '${PIPEWRIGHT_DS}\r\n \n\u{10000}\u{10000}yes$$$$\u{10000}  ',
  '\n \n',
  ' \t\n',
  'a\nb',
  '  lead',
  'trail  \n',
];

describe('serializeYaml and whitespace-only lines', () => {
  for (const s of TRICKY) {
    it(`round-trips ${JSON.stringify(s)} under YAML 1.1 and 1.2`, () => {
      for (const value of [{ c: [s] }, { c: s }]) {
        const text = serializeDocument(value);
        for (const version of ['1.1', '1.2'] as const) expect(parse(text, { version })).toEqual(value);
      }
    });
  }
});
