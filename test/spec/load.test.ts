import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { loadSpec, MAX_SPEC_BYTES } from '../../src/spec/load.js';

/** `CODE@line:col` per diagnostic, in the loader's order. */
function brief(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.column}`);
}

function load(source: string) {
  return loadSpec('p.yaml', source);
}

describe('loadSpec: values', () => {
  it('reads a mapping as YAML 1.2 core: on/NO/0755/1.10/dates keep their 1.2 meaning', () => {
    const doc = load('a: on\nb: NO\nc: 0755\nd: 1.10\ne: 2024-01-01\nf: true\ng: ~\nh: "x"\n');
    expect(doc.diagnostics).toEqual([]);
    expect(doc.value).toEqual({ a: 'on', b: 'NO', c: 755, d: 1.1, e: '2024-01-01', f: true, g: null, h: 'x' });
  });

  it('keeps nested values, sequences and string keys', () => {
    const doc = load('spec:\n  tasks:\n    a: { command: [echo, "1"] }\n  1: x\n');
    expect(doc.value).toEqual({ spec: { tasks: { a: { command: ['echo', '1'] } }, '1': 'x' } });
  });

  it('drops a leading BOM so columns match the editor', () => {
    const doc = load('\uFEFFa: 1\nb: [x\n');
    expect(doc.source.startsWith('a: 1')).toBe(true);
    expect(doc.diagnostics[0]?.code).toBe('PW001');
    expect(load('\uFEFFa: 1\n').value).toEqual({ a: 1 });
  });

  it('collects comments with their ranges', () => {
    const doc = load('# head\na: 1 # tail\n');
    expect(doc.comments).toEqual([
      { text: '# head', range: { start: { line: 1, column: 1 }, end: { line: 1, column: 7 } } },
      { text: '# tail', range: { start: { line: 2, column: 6 }, end: { line: 2, column: 12 } } },
    ]);
  });
});

describe('loadSpec: rangeOf', () => {
  const doc = load('metadata:\n  name: x\nspec:\n  tasks:\n    a:\n      command: [echo, hi]\n');
  const at = (r: { start: { line: number; column: number } }) => `${r.start.line}:${r.start.column}`;

  it('maps a path to the value, or to its key', () => {
    expect(at(doc.rangeOf(['metadata', 'name']))).toBe('2:9');
    expect(at(doc.rangeOf(['metadata', 'name'], { key: true }))).toBe('2:3');
    expect(at(doc.rangeOf(['spec', 'tasks', 'a', 'command', 1]))).toBe('6:23');
    expect(doc.rangeOf(['metadata', 'name']).end).toEqual({ line: 2, column: 10 });
  });

  it('falls back to the nearest existing ancestor, then the start of the file', () => {
    expect(at(doc.rangeOf(['spec', 'tasks', 'a', 'nope', 3]))).toBe('6:7');
    expect(at(doc.rangeOf(['spec', 'tasks', 'a', 'nope'], { key: true }))).toBe('5:5');
    expect(at(doc.rangeOf([]))).toBe('1:1');
    expect(at(load('').rangeOf(['x']))).toBe('1:1');
  });
});

describe('loadSpec: hostile input', () => {
  it('PW002: duplicate keys with both positions, `1` and "1" being the same key', () => {
    const doc = load('a: 1\nb:\n  1: x\n  "1": y\na: 2\n');
    expect(brief(doc.diagnostics)).toEqual(['PW002@4:3', 'PW002@5:1']); // sorted by position
    expect(doc.diagnostics[0]?.message).toBe("duplicate key '1' (previously defined at 3:3)");
    expect(doc.diagnostics[1]?.related).toEqual([
      {
        file: 'p.yaml',
        range: { start: { line: 1, column: 1 }, end: { line: 1, column: 2 } },
        message: "'a' first defined here",
      },
    ]);
    expect(doc.value).toBeUndefined();
  });

  it('PW003: anchors and aliases, including self-reference and undefined aliases', () => {
    expect(brief(load('a: &x [*x]\n').diagnostics)).toEqual(['PW003@1:4']);
    expect(load('a: &x [*x]\n').diagnostics[0]?.message).toMatch(/^YAML anchor &x is not allowed \(used by 1 alias\)/);
    expect(brief(load('a: *nope\n').diagnostics)).toEqual(['PW003@1:4']);
  });

  it('PW003: a billion-laughs bomb is reported per anchor, never expanded', () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const doc = load(`${lines.join('\n')}\n`);
    expect(brief(doc.diagnostics)).toEqual(Array.from({ length: 10 }, (_, i) => `PW003@${i + 1}:${i === 0 ? 5 : 5}`));
    expect(doc.value).toBeUndefined();
  });

  it('PW003 + PW004: merge keys are literal under 1.2 and rejected', () => {
    const doc = load('base: &b {x: 1}\ntask:\n  <<: *b\n');
    expect(brief(doc.diagnostics)).toEqual(['PW003@1:7', 'PW004@3:3']);
    expect(doc.diagnostics[1]?.message).toMatch(/merge keys \(<<\) are not supported/);
  });

  it('PW005: %YAML and %TAG directives', () => {
    expect(brief(load('%YAML 1.1\n---\na: on\n').diagnostics)).toEqual(['PW005@1:1']);
    const tag = load('%TAG !e! tag:example.com,2000:\n---\na: 1\n');
    expect(brief(tag.diagnostics)).toEqual(['PW005@1:1']);
    expect(tag.diagnostics[0]?.message).toMatch(/^%TAG directive is not allowed/);
  });

  it('PW006: a second document', () => {
    expect(brief(load('a: 1\n---\nb: 2\n').diagnostics)).toEqual(['PW006@2:1']);
  });

  it('PW007: empty, blank, comment-only and bare `---` files', () => {
    for (const src of ['', '\n\n', '---\n']) {
      expect(load(src).diagnostics.map((d) => d.message)).toEqual([
        'file is empty: expected a Pipeline mapping (apiVersion, kind, metadata, spec)',
      ]);
    }
    expect(brief(load('# nothing\n# here\n').diagnostics)).toEqual(['PW007@1:1']);
    expect(load('# nothing\n').diagnostics[0]?.message).toMatch(/^file holds only comments/);
  });

  it('PW008: size cap, checked before parsing', () => {
    const doc = load(`a: "${'x'.repeat(MAX_SPEC_BYTES)}"\n`);
    expect(brief(doc.diagnostics)).toEqual(['PW008@1:1']);
    expect(doc.diagnostics[0]?.message).toBe('file is 1,048,582 bytes; the limit is 1,048,576 bytes (1 MiB)');
  });

  it('PW008: 5,000-deep nesting (flow and block) is rejected at the first level too deep', () => {
    const flow = load(`a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    expect(brief(flow.diagnostics)).toEqual(['PW008@1:132']);
    const compact = load(`${'- '.repeat(5000)}x\n`);
    expect(brief(compact.diagnostics)).toEqual(['PW008@1:257']);
    let indented = '';
    for (let i = 0; i < 100; i++) indented += `${' '.repeat(i)}k:\n`;
    expect(brief(load(indented).diagnostics)).toEqual(['PW008@65:65']);
  });

  it('PW009: non-core tags', () => {
    const doc = load('a: !!js/function "function(){}"\nb: !!binary aGVsbG8=\nc: !x y\nd: !!str 1\n');
    expect(brief(doc.diagnostics)).toEqual(['PW009@1:4', 'PW009@2:4', 'PW009@3:4']);
    expect(doc.diagnostics[0]?.message).toMatch(/^tag !!js\/function is not allowed/);
    expect(load('d: !!str 1\n').value).toEqual({ d: '1' });
  });

  it('PW010: __proto__, constructor and prototype keys never reach an object', () => {
    const doc = load('__proto__: {polluted: true}\na:\n  constructor: x\n  prototype: y\n');
    expect(brief(doc.diagnostics)).toEqual(['PW010@1:1', 'PW010@3:3', 'PW010@4:3']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('PW011: complex and null keys', () => {
    expect(brief(load('? [a, b]\n: c\n').diagnostics)).toEqual(['PW011@1:3']);
    expect(brief(load('a:\n  ~: x\n').diagnostics)).toEqual(['PW011@2:3']);
    expect(brief(load(': x\n').diagnostics)).toEqual(['PW011@1:1']);
  });

  it('PW001: tabs, lone CR, stray BOM, syntax errors — positioned', () => {
    expect(brief(load('a:\n\tb: 1\n').diagnostics)).toEqual(['PW001@2:1']);
    expect(load('a:\n\tb: 1\n').diagnostics[0]?.message).toBe(
      'tabs are not allowed as indentation: indent with spaces',
    );
    expect(brief(load('a: 1\rb: 2\n').diagnostics)).toEqual(['PW001@1:5']);
    expect(brief(load('a: 1\n\uFEFFb: 2\n').diagnostics)).toEqual(['PW001@2:1']);
    const control = load('a: "x\u001b[31m"\n');
    expect(brief(control.diagnostics)).toEqual(['PW001@1:6']);
    expect(control.diagnostics[0]?.message).toBe(
      'control character U+001B is not allowed in YAML (use an escape such as "\\x1B" in a double-quoted string)',
    );
    const syntax = load('a: [1, 2\nb: 3\n');
    expect(syntax.diagnostics[0]?.code).toBe('PW001');
    expect(syntax.diagnostics[0]?.message).toMatch(/^YAML syntax: /);
  });

  it('huge integers and timestamps parse without surprises (the schema decides)', () => {
    expect(load('a: 12345678901234567890\nb: 2024-01-01T00:00:00Z\n').value).toEqual({
      a: 12345678901234567000,
      b: '2024-01-01T00:00:00Z',
    });
  });
});
