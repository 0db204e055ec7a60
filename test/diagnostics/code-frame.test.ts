import { describe, expect, it } from 'vitest';
import { codeFrame, FrameSource, sanitizeForTerminal } from '../../src/diagnostics/code-frame.js';
import type { SourceRange } from '../../src/diagnostics/diagnostic.js';

const r = (line: number, column: number, endLine: number, endColumn: number): SourceRange => ({
  start: { line, column },
  end: { line: endLine, column: endColumn },
});

describe('codeFrame', () => {
  const source = new FrameSource('a: 1\nversion: 1.10\nc: 3\nd: 4\n');

  it('shows the line with a gutter, a caret under the range and one line of context', () => {
    expect(codeFrame(source, r(2, 10, 2, 14))).toBe(
      ['  1 | a: 1', '> 2 | version: 1.10', '    |          ^^^^', '  3 | c: 3', ''].join('\n'),
    );
  });

  it('pads the gutter for wider line numbers and underlines to the end of line for multi-line ranges', () => {
    const long = new FrameSource(`${Array.from({ length: 9 }, (_, i) => `k${i + 1}: v`).join('\n')}\nmap:\n  x: 1\n`);
    expect(codeFrame(long, r(10, 1, 11, 7))).toBe(
      ['   9 | k9: v', '> 10 | map:', '     | ^^^^', '  11 |   x: 1', ''].join('\n'),
    );
  });

  it('puts at least one caret for an empty range and keeps tabs aligned', () => {
    const tabs = new FrameSource('a:\tb: x\n');
    expect(codeFrame(tabs, r(1, 4, 1, 4), { context: 0 })).toBe(['> 1 | a:\tb: x', '    |   \t^', ''].join('\n'));
  });

  it('masks known secret formats anywhere in the shown lines, keeping the caret aligned', () => {
    const src = new FrameSource('# key AKIAIOSFODNN7EXAMPLE here\nname: 1\n');
    const frame = codeFrame(src, r(1, 28, 1, 32), { context: 0 });
    expect(frame).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(frame).toBe(['> 1 | # key **** here', `    | ${' '.repeat(11)}^^^^`, ''].join('\n'));
  });

  it('masks a multi-line private key block and caller-named ranges (PW210 values)', () => {
    const text =
      'k: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEsecretsecret\n  -----END RSA PRIVATE KEY-----\npw: hunter2hunter2\n';
    const src = new FrameSource(text, [r(5, 5, 5, 19)]);
    const frame = codeFrame(src, r(3, 3, 3, 19), { context: 2 });
    expect(frame).not.toContain('MIIEsecretsecret');
    expect(frame).not.toContain('BEGIN RSA');
    expect(frame).not.toContain('hunter2');
    expect(frame).toContain('  5 | pw: ****');
  });

  it('neutralises terminal control characters', () => {
    const src = new FrameSource('a: "\u001b[31mred"\n');
    expect(codeFrame(src, r(1, 1, 1, 2), { context: 0 })).not.toContain('\u001b');
    expect(sanitizeForTerminal('x\u001b]0;title\u0007y')).toBe('x\ufffd]0;title\ufffdy');
  });

  it('colours only when asked', () => {
    expect(codeFrame(source, r(1, 1, 1, 2), { color: true })).toContain('\u001b[31m^\u001b[0m');
    expect(codeFrame(source, r(1, 1, 1, 2))).not.toContain('\u001b');
  });
});
