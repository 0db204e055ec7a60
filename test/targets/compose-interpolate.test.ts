// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose `${VAR}` syntax is what these tests are about
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ComposeInterpolationError, escapeCompose, interpolateCompose } from '../../src/targets/compose/interpolate.js';

describe('interpolateCompose', () => {
  const vars = { DS: '2024-01-02', EMPTY: '', R: 'eu' };

  it.each([
    ['plain', 'plain'],
    ['$$', '$'],
    ['a$$b$$$$', 'a$b$$'],
    ['$DS', '2024-01-02'],
    ['${DS}', '2024-01-02'],
    ['x${DS}y$R.z', 'x2024-01-02yeu.z'],
    ['${MISSING}', ''],
    ['$MISSING-x', '-x'],
    ['${MISSING:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${MISSING-dflt}', 'dflt'],
    ['${R-dflt}', 'eu'],
    ['${MISSING:-${R}}', 'eu'],
    ['${MISSING:-a$$b}', 'a$b'],
    ['${R:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${MISSING+set}', ''],
    ['${R:?needed}', 'eu'],
  ])('%s → %s', (text, expected) => {
    expect(interpolateCompose(text, vars)).toBe(expected);
  });

  it.each([
    ['${MISSING:?region is required}', /required variable MISSING is unset: region is required/],
    ['${EMPTY:?x}', /EMPTY is empty/],
    ['${MISSING?}', /MISSING is unset/],
    ['a $ b', /invalid '\$' at offset 2/],
    ['trailing $', /invalid '\$'/],
    ['${DS', /unterminated/],
    ['${1X}', /invalid variable reference/],
    ['${DS/x}', /invalid variable reference/],
  ])('%s is an error', (text, message) => {
    expect(() => interpolateCompose(text, vars)).toThrow(ComposeInterpolationError);
    expect(() => interpolateCompose(text, vars)).toThrow(message);
  });

  it('does not read inherited properties as variables', () => {
    expect(interpolateCompose('${constructor}${toString}', {})).toBe('');
  });

  it('property: any string escaped with escapeCompose interpolates back unchanged, whatever the variables', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,4}$/), fc.string()),
        (text, env) => {
          expect(interpolateCompose(escapeCompose(text), env)).toBe(text);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('$', '{', '}', '$$', '${X}', 'a', ':-', '\n')).map((a) => a.join('')),
        (text) => {
          expect(interpolateCompose(escapeCompose(text), { X: 'v' })).toBe(text);
        },
      ),
    );
  });
});
