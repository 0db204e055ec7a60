import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCycle, findCycles, topologicalOrder, upstreamOf } from '../../src/model/dag.js';

function graph(edges: Record<string, string[]>) {
  return { ids: Object.keys(edges), needsOf: (id: string) => edges[id] ?? [] };
}

/** Random DAGs: node i may only need nodes with a smaller index, then ids are shuffled so index order ≠ id order. */
const dagArb = fc
  .integer({ min: 1, max: 25 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => `t${String(i).padStart(2, '0')}`),
        { minLength: n, maxLength: n },
      ),
    ),
  )
  .map(([n, pairs, names]) => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < n; i++) edges[names[i]!] = [];
    for (const [a, b] of pairs) if (a > b) edges[names[a]!]!.push(names[b]!);
    return edges;
  });

describe('topologicalOrder', () => {
  it('puts every node after its needs, breaking ties by id', () => {
    const g = graph({
      load: ['transform'],
      transform: ['extract-b', 'extract-a'],
      'extract-b': [],
      'extract-a': [],
      audit: [],
    });
    expect(topologicalOrder(g.ids, g.needsOf)).toEqual(['audit', 'extract-a', 'extract-b', 'transform', 'load']);
  });

  it('prefers the smallest ready id even when it becomes ready late', () => {
    const g = graph({ z: [], b: ['z'], y: [] });
    expect(topologicalOrder(g.ids, g.needsOf)).toEqual(['y', 'z', 'b']);
  });

  it('returns undefined on a cycle', () => {
    const g = graph({ a: ['b'], b: ['a'], c: [] });
    expect(topologicalOrder(g.ids, g.needsOf)).toBeUndefined();
  });

  it('property: respects every edge, contains every node once, and ignores input order', () => {
    fc.assert(
      fc.property(dagArb, (edges) => {
        const ids = Object.keys(edges);
        const order = topologicalOrder(ids, (id) => edges[id]!)!;
        expect(order).toBeDefined();
        expect([...order].sort()).toEqual([...ids].sort());
        const position = new Map(order.map((id, i) => [id, i]));
        for (const id of ids)
          for (const need of edges[id]!) expect(position.get(need)!).toBeLessThan(position.get(id)!);
        expect(topologicalOrder([...ids].reverse(), (id) => edges[id]!)).toEqual(order);
        expect(findCycle(ids, (id) => edges[id]!)).toBeUndefined();
      }),
    );
  });
});

describe('findCycle', () => {
  it('reports the cycle starting at its earliest node, following needs', () => {
    const g = graph({ c: ['a'], a: ['b'], b: ['c'], d: ['a'] });
    expect(findCycle(g.ids, g.needsOf)).toEqual(['a', 'b', 'c']);
  });

  it('reports self-loops and one cycle per tangled group, sorted', () => {
    const g = graph({ x: ['x'], m: ['n'], n: ['m'], ok: [] });
    expect(findCycles(g.ids, g.needsOf)).toEqual([['m', 'n'], ['x']]);
  });

  it('property: adding a back edge to a DAG path always yields a cycle whose edges exist', () => {
    fc.assert(
      fc.property(dagArb, (edges) => {
        const withNeeds = Object.keys(edges).filter((id) => edges[id]!.length > 0);
        fc.pre(withNeeds.length > 0);
        const from = withNeeds.sort()[0]!;
        const to = edges[from]![0]!;
        const cyclic = { ...edges, [to]: [...edges[to]!, from] };
        const cycle = findCycle(Object.keys(cyclic), (id) => cyclic[id]!)!;
        expect(cycle).toBeDefined();
        expect(cycle[0]).toBe([...cycle].sort()[0]);
        for (const [i, id] of cycle.entries()) expect(cyclic[id]).toContain(cycle[(i + 1) % cycle.length]);
      }),
    );
  });

  it('handles a 20,000-node chain without overflowing the stack', () => {
    const n = 20_000;
    const ids = Array.from({ length: n }, (_, i) => `n${i}`);
    const needsOf = (id: string) => {
      const i = Number(id.slice(1));
      return i === 0 ? [`n${n - 1}`] : [`n${i - 1}`];
    };
    expect(findCycle(ids, needsOf)).toHaveLength(n);
  });
});

describe('upstreamOf', () => {
  it('collects transitive needs, sorted', () => {
    const g = graph({ load: ['transform'], transform: ['extract'], extract: [], other: [] });
    expect(upstreamOf('load', g.needsOf)).toEqual(['extract', 'transform']);
  });
});
