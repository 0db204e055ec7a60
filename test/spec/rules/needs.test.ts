import { describe, expect, it } from 'vitest';
import { cycle } from '../../../src/spec/rules/cycle.js';
import { selfDependency } from '../../../src/spec/rules/self-dependency.js';
import { unknownNeeds } from '../../../src/spec/rules/unknown-needs.js';
import { checked, covered, pipeline, run } from './helpers.js';

const tasks = (lines: string) =>
  pipeline(`  defaults:
    image: ghcr.io/acme/etl:1.0.0
  tasks:
${lines}`);

describe('PW201 unknown needs', () => {
  it('reports each unknown entry at its position, with a suggestion', () => {
    const src = tasks(`    extract: { command: [run] }
    transform:
      needs: [extract, extrct, nothing-like-it]
      command: [run]
`);
    expect(run(unknownNeeds, src)).toEqual([
      "13:24-13:30 error PW201 task 'transform' needs unknown task 'extrct' (did you mean 'extract'?)",
      "13:32-13:47 error PW201 task 'transform' needs unknown task 'nothing-like-it'",
    ]);
  });

  it('accepts known needs and leaves self-needs to PW203', () => {
    const src = tasks(`    a: { command: [run] }
    b: { needs: [a, b], command: [run] }
`);
    expect(run(unknownNeeds, src)).toEqual([]);
  });
});

describe('PW203 self dependency', () => {
  it('points at the entry naming the task itself', () => {
    const src = tasks(`    a: { needs: [a], command: [run] }
`);
    expect(run(selfDependency, src)).toEqual([
      "11:18-11:19 error PW203 task 'a' needs itself: remove 'a' from its needs",
    ]);
  });
});

describe('PW202 cycles', () => {
  it('prints the cycle from its earliest task in source order, positioned at its first edge', () => {
    const src = tasks(`    z: { command: [run] }
    c: { needs: [b], command: [run] }
    a: { needs: [c, z], command: [run] }
    b: { needs: [a], command: [run] }
`);
    const input = checked(src);
    const [d, ...rest] = cycle.check!(input);
    expect(rest).toEqual([]);
    expect(d!.message).toBe('dependency cycle: c → b → a → c (each task needs the next one)');
    expect(d!.range.start).toEqual({ line: 12, column: 18 });
    expect(covered(src, d!)).toBe('b');
    expect(d!.related?.map((r) => [r.message, covered(src, { ...d!, range: r.range })])).toEqual([
      ["'b' needs 'a' here", 'a'],
      ["'a' needs 'c' here", 'c'],
    ]);
  });

  it('reports every distinct cycle once, and nothing for a DAG or self-loops', () => {
    const src = tasks(`    a: { needs: [b, c], command: [run] }
    b: { needs: [a], command: [run] }
    c: { needs: [a], command: [run] }
    d: { needs: [d, a], command: [run] }
`);
    expect(run(cycle, src).map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'error PW202 dependency cycle: a → b → a (each task needs the next one)',
      'error PW202 dependency cycle: a → c → a (each task needs the next one)',
    ]);
    expect(
      run(
        cycle,
        tasks(`    a: { command: [run] }
    b: { needs: [a], command: [run] }
    c: { needs: [a, b], command: [run] }
`),
      ),
    ).toEqual([]);
  });

  it('handles long chains without recursion limits', () => {
    const n = 5000;
    const lines = Array.from({ length: n }, (_, i) => `    t${i}: { needs: [t${(i + 1) % n}], command: [run] }\n`).join(
      '',
    );
    const found = run(cycle, tasks(lines));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^1[12]:\d+-\d+:\d+ error PW202 dependency cycle: t0 → t1 → t2 → t3 → t4 → t5 → t6 → t7 → t8 → t9 → … \(4981 more\) … → t4991 → t4992 → t4993 → t4994 → t4995 → t4996 → t4997 → t4998 → t4999 → t0 \(each task needs the next one\)$/,
    );
  });
});
