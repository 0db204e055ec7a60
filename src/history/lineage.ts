import { readersOf } from '../emit/spec-index.js';
import type { PipelineIR } from '../model/ir.js';
import { renderTemplate } from '../model/template.js';
import type { Impact, PipelineDiff } from './change.js';

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
 * Who reads what in one pipeline: dataset (rendered template text) → ids of its task instances reading it, each task
 * once per dataset. The part of the lineage graph (src/history/lineage-graph.ts) the impact analysis needs; `diff`
 * keeps it per unchanged spec (src/history/unchanged.ts), so the impact needs no parse of the specs a change leaves.
 */
export interface ReaderIndex {
  name: string;
  file: string;
  readers: [dataset: string, tasks: string[]][];
}

export function readerIndexOf(ir: PipelineIR): ReaderIndex {
  // the same function writes the committed spec index (src/emit/spec-index.ts): entries read back equal these
  return { name: ir.name, file: ir.file, readers: readersOf(ir) };
}

/**
 * Lineage impact: every task at head (in any pipeline, this one included) that reads a dataset this pipeline no longer
 * writes. Matching is exact equality of the rendered templates: `s3://lake/orders/{{ ds }}` matches only an input
 * written the same way (spacing inside braces aside), not `s3://lake/orders/2024-01-01` nor a prefix.
 */
export function lineageImpacts(removed: readonly string[], head: Iterable<ReaderIndex>): Impact[] {
  if (removed.length === 0) return [];
  const wanted = new Set(removed);
  const impacts: Impact[] = [];
  for (const pipeline of head) {
    for (const [dataset, tasks] of pipeline.readers) {
      if (!wanted.has(dataset)) continue;
      for (const task of tasks) impacts.push({ output: dataset, pipeline: pipeline.name, task, file: pipeline.file });
    }
  }
  return impacts.sort((a, b) => cmp(a.output, b.output) || cmp(a.pipeline, b.pipeline) || cmp(a.task, b.task));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
