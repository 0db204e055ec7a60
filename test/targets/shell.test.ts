import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Template } from '../../src/model/ir.js';
import { quoteShellCommand, quoteShellLiteral, quoteShellWord, runtimeEnvVar } from '../../src/targets/shell.js';

/** Run `printf '%s\0' <words>` through the real /bin/sh and return the argv printf received. */
function shellArgv(words: string[], env: Record<string, string> = {}): string[] {
  const script = `printf '%s\\0' ${words.join(' ')}`;
  const out = execFileSync('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

/** Strings a shell might mangle: quotes, `$`, backticks, backslashes, globs, newlines, unicode, empty. NUL cannot be in argv. */
const hostileString = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      "'",
      '"',
      '$',
      '`',
      '\\',
      '*',
      '?',
      '[',
      ']',
      '~',
      '#',
      '!',
      ';',
      '&',
      '|',
      '\n',
      '\t',
      ' ',
      '{',
      '}',
      '(',
      ')',
      '=',
      '%',
      'é',
      '🦀',
      '\u00a0',
    ),
    fc.string({ unit: 'grapheme', maxLength: 2 }).filter((s) => !s.includes('\0')),
  ),
  maxLength: 24,
});

describe('quoteShellWord', () => {
  it('single-quotes literal text and escapes single quotes', () => {
    expect(quoteShellWord('plain')).toBe("'plain'");
    expect(quoteShellWord("it's")).toBe("'it'\\''s'");
    expect(quoteShellWord('')).toBe("''");
    expect(quoteShellLiteral('$HOME')).toBe("'$HOME'");
  });

  it('never writes a backtick: it is spelled as $(printf) so no double-quoting trace can run it', () => {
    expect(quoteShellLiteral('a `id` b')).toBe(`'a '"$(printf '\\140')"'id'"$(printf '\\140')"' b'`);
    expect(quoteShellLiteral('`')).toBe(`"$(printf '\\140')"`);
    for (const text of ['``', "'`'", "`'", "'`", 'x`', '`x']) {
      expect(quoteShellLiteral(text)).not.toContain('`');
      expect(shellArgv([quoteShellLiteral(text)])).toEqual([text]);
    }
  });

  it('turns run-time references into double-quoted variables', () => {
    const word: Template = [{ text: '--date=' }, { ref: { kind: 'builtin', name: 'ds' } }, { text: "'x" }];
    expect(quoteShellWord(word)).toBe(`'--date='"$PIPEWRIGHT_DS"''\\''x'`);
    expect(quoteShellWord([{ ref: { kind: 'param', name: 'target-region' } }])).toBe(
      '"$PIPEWRIGHT_PARAM_TARGET_REGION"',
    );
    expect(quoteShellWord([])).toBe("''");
    expect(quoteShellWord([{ text: '' }])).toBe("''");
    expect(runtimeEnvVar({ kind: 'builtin', name: 'run_id' })).toBe('PIPEWRIGHT_RUN_ID');
  });

  it('keeps hostile words intact through a real /bin/sh', () => {
    const words = ["it's", '$(id)', '`id`', '$HOME', 'a b', '', '\n', '*', 'ü 🦀', '\\', '"', "'"];
    expect(shellArgv(words.map((w) => quoteShellWord(w)))).toEqual(words);
  });

  it('expands references without splitting or globbing their values', () => {
    const word: Template = [{ text: 'pre ' }, { ref: { kind: 'builtin', name: 'ds' } }, { text: ' post' }];
    expect(shellArgv([quoteShellWord(word)], { PIPEWRIGHT_DS: ' * $(id) ' })).toEqual(['pre  * $(id)  post']);
  });

  it('property: any argv reaches the program unchanged (/bin/sh printf)', () => {
    fc.assert(
      fc.property(fc.array(hostileString, { minLength: 1, maxLength: 6 }), (argv) => {
        const words = argv.map((w) => quoteShellWord(w));
        for (const word of words) expect(word).not.toContain('`');
        expect(shellArgv(words)).toEqual(argv);
      }),
      { numRuns: 150 },
    );
  });

  it('property: templates with references expand to text + value exactly', () => {
    const segment = fc.oneof(
      hostileString.map((text) => ({ text })),
      fc.constantFrom<Template[number]>(
        { ref: { kind: 'builtin', name: 'ds' } },
        { ref: { kind: 'param', name: 'region' } },
      ),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), hostileString, hostileString, (template, ds, region) => {
        const expected = template.map((s) => ('text' in s ? s.text : s.ref.name === 'ds' ? ds : region)).join('');
        const got = shellArgv([quoteShellWord(template)], { PIPEWRIGHT_DS: ds, PIPEWRIGHT_PARAM_REGION: region });
        expect(got).toEqual([expected]);
      }),
      { numRuns: 100 },
    );
  });

  it('quotes a whole command line word by word', () => {
    expect(quoteShellCommand(['printf', '%s\n', "a'b"])).toBe("'printf' '%s\n' 'a'\\''b'");
  });
});
