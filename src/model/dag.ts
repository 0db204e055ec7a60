/**
 * Graph helpers over string node ids, shared by normalize (order), validation (cycle reports) and the runtime
 * (scheduling). Edges point from a node to the nodes it needs: `needs.get('load') = ['extract']`.
 * Everything is deterministic: ties are broken by id (UTF-16 order), never by insertion order.
 */

export type NeedsOf = (id: string) => readonly string[];

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Binary-search insert into a sorted array (the ready set stays sorted without re-sorting). */
function insertSorted(sorted: string[], id: string): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, id);
}

/**
 * Kahn's algorithm with a sorted ready set: every node comes after all of its needs, and among nodes that are ready at
 * the same time the smallest id goes first. Needs naming unknown nodes are ignored (validation reports them).
 * Returns undefined when the graph has a cycle (use findCycle to report it).
 */
export function topologicalOrder(ids: readonly string[], needsOf: NeedsOf): string[] | undefined {
  const known = new Set(ids);
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of known) {
    indegree.set(id, 0);
    dependents.set(id, []);
  }
  for (const id of known) {
    for (const need of new Set(needsOf(id))) {
      if (!known.has(need)) continue;
      indegree.set(id, indegree.get(id)! + 1);
      dependents.get(need)!.push(id);
    }
  }
  const ready = [...known].filter((id) => indegree.get(id) === 0).sort(byId);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const next of dependents.get(id)!) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) insertSorted(ready, next);
    }
  }
  return order.length === known.size ? order : undefined;
}

/**
 * One cycle, as the list of nodes along it, starting at its smallest id and following needs edges
 * (`['a', 'b']` means a needs b and b needs a). Undefined when the graph is acyclic. Deterministic: nodes and
 * needs are visited in id order, and the reported cycle is rotated to start at its earliest node.
 */
export function findCycle(ids: readonly string[], needsOf: NeedsOf): string[] | undefined {
  const cycles = findCycles(ids, needsOf, 1);
  return cycles[0];
}

/**
 * Up to `limit` distinct cycles, each rotated to start at its smallest id, sorted. One per strongly connected
 * component (plus self-loops), which is what a validator wants to report: one diagnostic per tangled group.
 */
export function findCycles(ids: readonly string[], needsOf: NeedsOf, limit = Number.POSITIVE_INFINITY): string[][] {
  const known = new Set(ids);
  const sortedIds = [...known].sort(byId);
  const edges = (id: string) => [...new Set(needsOf(id))].filter((n) => known.has(n)).sort(byId);
  const cycles: string[][] = [];
  for (const component of stronglyConnected(sortedIds, edges)) {
    const start = component[0]!;
    const members = new Set(component);
    if (component.length === 1 && !edges(start).includes(start)) continue;
    const path = shortestCycleFrom(start, members, edges);
    cycles.push(path);
  }
  cycles.sort((a, b) => byId(a[0]!, b[0]!));
  return cycles.slice(0, limit);
}

/** Breadth-first search for the shortest way back to `start` inside its component (so the report is short). */
function shortestCycleFrom(start: string, members: ReadonlySet<string>, edges: (id: string) => string[]): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const next of edges(id)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [id];
        let cur = id;
        while (cur !== start) {
          cur = parent.get(cur)!;
          path.push(cur);
        }
        return path.reverse();
      }
      if (!parent.has(next) && next !== start) {
        parent.set(next, id);
        queue.push(next);
      }
    }
  }
  throw new Error(`no cycle through ${start} inside its strongly connected component`);
}

/** Tarjan's algorithm, iterative (deep chains must not overflow the stack); each component sorted by id. */
function stronglyConnected(ids: readonly string[], edges: (id: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; next: number; succ: string[] }[] = [];
    const visit = (id: string) => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      work.push({ id, next: 0, succ: edges(id) });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.succ.length) {
        const w = frame.succ[frame.next++]!;
        if (!index.has(w)) visit(w);
        else if (onStack.has(w)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.id);
        out.push(component.sort(byId));
      }
    }
  }
  return out;
}

/** Every node reachable by following needs from `id` (its transitive upstream), sorted. */
export function upstreamOf(id: string, needsOf: NeedsOf): string[] {
  const seen = new Set<string>();
  const queue = [...needsOf(id)];
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...needsOf(next));
  }
  return [...seen].sort(byId);
}
