import type { PipelineIR } from '../model/ir.js';
import { renderTemplate } from '../model/template.js';
import type { Impact, PipelineDiff } from './change.js';
import { lineageGraph } from './lineage-graph.js';

/**
 * Datasets a pipeline stops writing: outputs of the base version that no task writes at head (all of them when the
 * pipeline was removed). Compared as rendered template text, so `{{ds}}` and `{{ ds }}` are the same dataset.
 */
export function removedOutputs(
  diff: PipelineDiff,
  base: ReadonlyMap<string, PipelineIR>,
  head: ReadonlyMap<string, PipelineIR>,
): string[] {
  const b = base.get(diff.name);
  if (!b || diff.status === 'added') return [];
  const written = (ir: PipelineIR | undefined) =>
    new Set((ir?.tasks ?? []).flatMap((t) => t.outputs.map(renderTemplate)));
  const before = written(b);
  const after = written(head.get(diff.name));
  return [...before].filter((d) => !after.has(d)).sort();
}

/**
 * Lineage impact: every task at head (in any pipeline, this one included) that reads a dataset this pipeline no longer
 * writes. Matching is exact equality of the rendered templates: `s3://lake/orders/{{ ds }}` matches only an input
 * written the same way (spacing inside braces aside), not `s3://lake/orders/2024-01-01` nor a prefix.
 */
export function lineageImpacts(removed: readonly string[], head: ReadonlyMap<string, PipelineIR>): Impact[] {
  if (removed.length === 0) return [];
  const graph = lineageGraph(head.values());
  const impacts: Impact[] = [];
  for (const dataset of new Set(removed)) {
    for (const key of graph.readers.get(dataset) ?? []) {
      const task = graph.tasks.get(key)!;
      impacts.push({ output: dataset, pipeline: task.pipeline, task: task.task, file: task.file });
    }
  }
  return impacts.sort((a, b) => cmp(a.output, b.output) || cmp(a.pipeline, b.pipeline) || cmp(a.task, b.task));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
