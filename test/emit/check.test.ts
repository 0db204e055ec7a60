import { describe, expect, it } from 'vitest';
import { compareOutputs, renderDiff } from '../../src/emit/check.js';

const map = (o: Record<string, string>) => new Map(Object.entries(o));

describe('compareOutputs', () => {
  it('finds stale, missing and extra (owned, no longer produced) files; foreign files do not count', () => {
    const input = {
      expected: map({ 'a.yaml': 'a\n', 'b.yaml': 'b\n', 'c.yaml': 'c\n' }),
      actual: map({ 'a.yaml': 'a\n', 'b.yaml': 'B\n', 'old.yaml': 'o\n' }),
      owned: ['a.yaml', 'b.yaml', 'old.yaml', 'deleted-already.yaml'],
    };
    expect(compareOutputs(input)).toEqual({ ok: false, stale: ['b.yaml'], missing: ['c.yaml'], extra: ['old.yaml'] });
    expect(compareOutputs({ expected: map({ 'a.yaml': 'a' }), actual: map({ 'a.yaml': 'a' }), owned: [] })).toEqual({
      ok: true,
      stale: [],
      missing: [],
      extra: [],
    });
  });
});

describe('renderDiff', () => {
  it('is a unified diff from disk to what compile would write', () => {
    const input = {
      expected: map({ 'k8s/a.yaml': 'x: 1\ny: 2\n', 'new.yaml': 'n\n' }),
      actual: map({ 'k8s/a.yaml': 'x: 1\ny: 3\n', 'gone.yaml': 'g\n' }),
      owned: ['gone.yaml'],
    };
    const diff = renderDiff(compareOutputs(input), input, { outDir: 'generated' });
    expect(diff.text).toBe(
      [
        '--- a/generated/gone.yaml',
        '+++ /dev/null',
        '@@ -1,1 +0,0 @@',
        '-g',
        '--- a/generated/k8s/a.yaml',
        '+++ b/generated/k8s/a.yaml',
        '@@ -1,2 +1,2 @@',
        ' x: 1',
        '-y: 3',
        '+y: 2',
        '--- /dev/null',
        '+++ b/generated/new.yaml',
        '@@ -0,0 +1,1 @@',
        '+n',
        '',
      ].join('\n'),
    );
    expect(diff.omittedLines).toBe(0);
  });

  it('truncates past the limit and says how much was left out', () => {
    const big = (n: number, v: string) => Array.from({ length: n }, (_, i) => `line${i}: ${v}`).join('\n') + '\n';
    const input = {
      expected: map({ 'a.yaml': big(50, 'new'), 'b.yaml': big(10, 'new') }),
      actual: map({ 'a.yaml': big(50, 'old'), 'b.yaml': big(10, 'old') }),
      owned: [],
    };
    const diff = renderDiff(compareOutputs(input), input, { outDir: 'generated', maxLines: 20 });
    const lines = diff.text.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(diff.omittedLines).toBe(103 - 20 + 23);
    expect(diff.omittedFiles).toBe(2);
    expect(lines.at(-1)).toBe(
      `… diff truncated: ${diff.omittedLines} more lines in 2 files (run \`pipewright compile\` to update)`,
    );
  });

  it('redacts secret-looking values a hand edit put into a generated file', () => {
    const input = {
      expected: map({ 'a.yaml': 'k: v\n' }),
      actual: map({ 'a.yaml': 'k: v\naws: AKIAIOSFODNN7EXAMPLE\n' }),
      owned: ['a.yaml'],
    };
    const diff = renderDiff(compareOutputs(input), input, { outDir: 'generated' });
    expect(diff.text).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(diff.text).toContain('****');
  });
});
