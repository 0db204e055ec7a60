import type { Diagnostic, RelatedLocation } from '../../diagnostics/diagnostic.js';
import type { Rule } from './rule.js';
import { diagnostic, tasksInSourceOrder } from './support.js';

/**
 * PW202: dependency cycles. Each strongly connected component is searched for the shortest cycle through each of its
 * tasks; every distinct cycle is reported once, written from its earliest task in source order and positioned at that
 * task's `needs` entry that starts the cycle.
 */
export const cycle: Rule = {
  name: 'cycle',
  codes: ['PW202'],
  check({ doc, spec }) {
    const tasks = tasksInSourceOrder(doc, spec);
    const index = new Map(tasks.map((t, i) => [t.id, i]));
    // succ[v]: the tasks v needs (known, not itself, first occurrence), as written.
    const succ = tasks.map(({ id, task }) => {
      const out: number[] = [];
      for (const need of task.needs ?? []) {
        const w = index.get(need);
        if (w !== undefined && need !== id && !out.includes(w)) out.push(w);
      }
      return out;
    });
    const out: Diagnostic[] = [];
    const seen = new Set<string>();
    const covered = new Set<number>();
    for (const component of stronglyConnectedComponents(succ)) {
      if (component.length < 2) continue;
      const members = new Set(component);
      for (const start of [...component].sort((a, b) => a - b)) {
        if (covered.has(start)) continue; // a reported cycle already shows this task
        const found = shortestCycleThrough(start, succ, members);
        if (!found) continue;
        const cycleNodes = rotateToEarliest(found);
        const key = cycleNodes.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        for (const v of cycleNodes) covered.add(v);
        const names = cycleNodes.map((v) => tasks[v]!.id);
        const edgeRange = (from: number, to: number) => {
          const t = tasks[from]!;
          return doc.rangeOf([...t.path, 'needs', (t.task.needs ?? []).indexOf(tasks[to]!.id)]);
        };
        const related: RelatedLocation[] = [];
        for (let i = 1; i < Math.min(cycleNodes.length, MAX_RELATED + 1); i++) {
          const from = cycleNodes[i]!;
          const to = cycleNodes[(i + 1) % cycleNodes.length]!;
          related.push({
            file: doc.file,
            range: edgeRange(from, to),
            message: `'${tasks[from]!.id}' needs '${tasks[to]!.id}' here`,
          });
        }
        out.push(
          diagnostic(
            doc,
            edgeRange(cycleNodes[0]!, cycleNodes[1]!),
            'error',
            'PW202',
            `dependency cycle: ${formatCycle(names)} (each task needs the next one)`,
            related,
          ),
        );
      }
    }
    return out;
  },
};

/** Related locations shown per cycle: enough to follow it, not a wall of text for a 1000-task ring. */
const MAX_RELATED = 10;
/** Longer cycles are printed with their middle elided. */
const MAX_PRINTED = 20;

/** `a → b → c → a`; past MAX_PRINTED tasks `a → … (n more) … → a`. */
export function formatCycle(names: readonly string[]): string {
  const ring = [...names, names[0]!];
  if (names.length <= MAX_PRINTED) return ring.join(' → ');
  const head = ring.slice(0, MAX_PRINTED / 2);
  const tail = ring.slice(-MAX_PRINTED / 2);
  return `${head.join(' → ')} → … (${ring.length - head.length - tail.length} more) … → ${tail.join(' → ')}`;
}

/** Tarjan's algorithm, iterative (specs may hold long chains). */
function stronglyConnectedComponents(succ: readonly number[][]): number[][] {
  const n = succ.length;
  const indexOf = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (indexOf[root] !== -1) continue;
    const work: { v: number; next: number }[] = [{ v: root, next: 0 }];
    indexOf[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const { v } = frame;
      if (frame.next < succ[v]!.length) {
        const w = succ[v]![frame.next++]!;
        if (indexOf[w] === -1) {
          indexOf[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ v: w, next: 0 });
        } else if (onStack[w]) low[v] = Math.min(low[v]!, indexOf[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent.v] = Math.min(low[parent.v]!, low[v]!);
      if (low[v] === indexOf[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
    }
  }
  return components;
}

/** Breadth-first search from `start` back to itself inside one component: [start, …] without repeating start. */
function shortestCycleThrough(
  start: number,
  succ: readonly number[][],
  members: ReadonlySet<number>,
): number[] | undefined {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of succ[v]!) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let at = v; at !== start; ) {
          at = parent.get(at)!;
          path.push(at);
        }
        return path.reverse();
      }
      if (parent.has(w) || w === start) continue;
      parent.set(w, v);
      queue.push(w);
    }
  }
  return undefined;
}

function rotateToEarliest(nodes: number[]): number[] {
  const min = nodes.indexOf(Math.min(...nodes));
  return [...nodes.slice(min), ...nodes.slice(0, min)];
}
