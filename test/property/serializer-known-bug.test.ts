/**
 * KNOWN BUG (reported to the serializer's owner): `yaml` 2.9.1, with the options src/emit/serialize.ts pins, writes
 * some strings that no YAML reader (1.1 or 1.2) reads back unchanged:
 * - block scalars whose lines are whitespace only (`"\n \n"`, `" \t\n"`), and
 * - double-quoted scalars folded at a `\r\n` followed by a space (the continuation `\ ` is written as `\\ `).
 * `toString({ doubleQuotedAsJSON: true, blockQuote: false })` writes both correctly (checked over 5,000 random strings).
 * Until serializeYaml is fixed, the argv round-trip properties skip (fc.pre) the rare inputs the serializer cannot
 * write; this test fails loudly the day it is fixed, so that skip gets removed (test/property/argv-roundtrip.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serializeDocument } from '../../src/emit/serialize.js';

/** The first is a Compose command word found by the argv property (`\u{10000}` is 𐀀). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Compose text, not a JS template
const BROKEN = ['${PIPEWRIGHT_DS}\r\n \n\u{10000}\u{10000}yes$$$$\u{10000}  ', '\n \n', ' \t\n'];

describe('serializeYaml and whitespace-only lines', () => {
  for (const s of BROKEN) {
    it.fails(`round-trips ${JSON.stringify(s)} (fails today: yaml 2.9.1 stringify bug)`, () => {
      for (const value of [{ c: [s] }, { c: s }]) {
        const text = serializeDocument(value);
        for (const version of ['1.1', '1.2'] as const) expect(parse(text, { version })).toEqual(value);
      }
    });
  }
});
