/**
 * The lineage graph of a set of pipelines (pure): datasets (task `inputs`/`outputs` as rendered template text, so
 * `{{ds}}` and `{{ ds }}` are one dataset) and task instances, with edges dataset → reading task → written dataset.
 * Used by `pipewright lineage` (upstream/downstream of a dataset or pipeline); `diff`'s impact analysis (who reads a
 * dataset a pipeline stops writing) needs only the readers, per pipeline (src/history/lineage.ts: ReaderIndex).
 */
import type { PipelineIR } from '../model/ir.js';
import { renderTemplate } from '../model/template.js';

export interface LineageTask {
  /** `<pipeline>.<task instance id>`. */
  key: string;
  pipeline: string;
  task: string;
  file: string;
  inputs: string[];
  outputs: string[];
}

export interface LineageGraph {
  tasks: Map<string, LineageTask>;
  /** Dataset → keys of the tasks that read / write it (sorted). */
  readers: Map<string, string[]>;
  writers: Map<string, string[]>;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function lineageGraph(pipelines: Iterable<PipelineIR>): LineageGraph {
  const tasks = new Map<string, LineageTask>();
  const readers = new Map<string, string[]>();
  const writers = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, dataset: string, key: string) => {
    const list = map.get(dataset) ?? [];
    list.push(key);
    map.set(dataset, list);
  };
  for (const ir of [...pipelines].sort((a, b) => cmp(a.name, b.name))) {
    for (const t of [...ir.tasks].sort((a, b) => cmp(a.id, b.id))) {
      const key = `${ir.name}.${t.id}`;
      const inputs = [...new Set(t.inputs.map(renderTemplate))].sort();
      const outputs = [...new Set(t.outputs.map(renderTemplate))].sort();
      tasks.set(key, { key, pipeline: ir.name, task: t.id, file: ir.file, inputs, outputs });
      for (const d of inputs) add(readers, d, key);
      for (const d of outputs) add(writers, d, key);
    }
  }
  for (const map of [readers, writers]) for (const list of map.values()) list.sort(cmp);
  return { tasks, readers, writers };
}

export type Direction = 'upstream' | 'downstream';

export interface LineageEdge {
  from: string;
  to: string;
  kind: 'reads' | 'writes';
}

export interface Reach {
  datasets: string[];
  tasks: string[];
  /** dataset → task (the task reads it) and task → dataset (the task writes it), in the direction of data flow. */
  edges: LineageEdge[];
}

/**
 * Everything reachable from the start nodes against (upstream) or along (downstream) the data flow. Start datasets
 * and tasks are included. Cycles (a task that reads what another writes and vice versa) terminate.
 */
export function reach(
  graph: LineageGraph,
  start: { datasets?: readonly string[]; tasks?: readonly string[] },
  direction: Direction,
): Reach {
  const datasets = new Set<string>();
  const tasks = new Set<string>();
  const edges = new Map<string, LineageEdge>();
  const edge = (e: LineageEdge) => edges.set(`${e.from}\0${e.to}`, e);
  const queue: ({ dataset: string } | { task: string })[] = [
    ...(start.datasets ?? []).map((dataset) => ({ dataset })),
    ...(start.tasks ?? []).map((task) => ({ task })),
  ];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if ('dataset' in next) {
      if (datasets.has(next.dataset)) continue;
      datasets.add(next.dataset);
      const neighbours = (direction === 'downstream' ? graph.readers : graph.writers).get(next.dataset) ?? [];
      for (const t of neighbours) {
        edge(
          direction === 'downstream'
            ? { from: next.dataset, to: t, kind: 'reads' }
            : { from: t, to: next.dataset, kind: 'writes' },
        );
        queue.push({ task: t });
      }
    } else {
      if (tasks.has(next.task)) continue;
      tasks.add(next.task);
      const task = graph.tasks.get(next.task);
      if (!task) continue;
      for (const d of direction === 'downstream' ? task.outputs : task.inputs) {
        edge(
          direction === 'downstream'
            ? { from: next.task, to: d, kind: 'writes' }
            : { from: d, to: next.task, kind: 'reads' },
        );
        queue.push({ dataset: d });
      }
    }
  }
  return {
    datasets: [...datasets].sort(cmp),
    tasks: [...tasks].sort(cmp),
    edges: [...edges.values()].sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to)),
  };
}
