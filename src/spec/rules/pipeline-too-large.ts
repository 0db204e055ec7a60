import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { PipelineSpec } from '../types.js';
import { matrixSize } from './matrix-too-large.js';
import type { Rule } from './rule.js';
import { diagnostic, quote } from './support.js';

/** Task instances one pipeline may expand to (each matrix is also capped at 200 by PW213). */
export const MAX_TASK_INSTANCES = 2000;
/** Instance-to-instance dependencies (a matrix task needing a matrix task depends on each of its instances). */
export const MAX_INSTANCE_DEPENDENCIES = 100_000;
/** Bytes compile may write for one pipeline, all targets together. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * Over-estimates of what each instance and dependency costs in the written files, all targets together. The
 * estimate must not be below what compile writes, so that validate rejects what compile cannot produce; measured on
 * the shipped examples and on chained 200-value matrices it is 2.5 to 12 times the real size. compile checks the real
 * size again (see compileSpec).
 */
const INSTANCE_OVERHEAD_BYTES = 2048;
const TARGETS = 3;
const DEPENDENCY_BYTES = 100;
const PIPELINE_OVERHEAD_BYTES = 64 * 1024;

export interface PipelineSize {
  instances: number;
  dependencies: number;
  /** Estimated bytes of every file compile writes for this pipeline (an upper bound in practice). */
  outputBytes: number;
}

/** The size of the expanded DAG, computed from the spec alone: no expansion, linear in the number of tasks and needs. */
export function estimatePipelineSize(spec: PipelineSpec): PipelineSize {
  const tasks = spec.spec.tasks ?? {};
  const sizeOf = new Map(Object.entries(tasks).map(([id, task]) => [id, matrixSize(task)]));
  const defaultsBytes = JSON.stringify(spec.spec.defaults ?? {}).length + JSON.stringify(spec.spec.params ?? {}).length;
  let instances = 0;
  let dependencies = 0;
  let outputBytes = PIPELINE_OVERHEAD_BYTES;
  for (const [id, task] of Object.entries(tasks)) {
    const n = sizeOf.get(id)!;
    instances += n;
    const needed = (task.needs ?? []).reduce((sum, need) => sum + (sizeOf.get(need) ?? 0), 0);
    dependencies += n * needed;
    outputBytes += n * TARGETS * (JSON.stringify(task).length + defaultsBytes + INSTANCE_OVERHEAD_BYTES);
  }
  outputBytes += dependencies * DEPENDENCY_BYTES;
  return { instances, dependencies, outputBytes };
}

/** `pipeline 'p' expands to 12000 task instances (limit 2000) and …`: every measure, the limits that were exceeded. */
export function tooLargeMessage(name: string | undefined, size: PipelineSize): string | undefined {
  const over = {
    instances: size.instances > MAX_TASK_INSTANCES,
    dependencies: size.dependencies > MAX_INSTANCE_DEPENDENCIES,
    output: size.outputBytes > MAX_OUTPUT_BYTES,
  };
  if (!over.instances && !over.dependencies && !over.output) return undefined;
  const limit = (exceeded: boolean, n: number) => (exceeded ? ` (limit ${n})` : '');
  const mib = (bytes: number) => Math.ceil(bytes / (1024 * 1024));
  return (
    `${name === undefined ? 'the pipeline' : `pipeline ${quote(name)}`} expands to ${size.instances} task instances${limit(over.instances, MAX_TASK_INSTANCES)}` +
    ` and ${size.dependencies} dependencies between them${limit(over.dependencies, MAX_INSTANCE_DEPENDENCIES)}` +
    (over.output
      ? `, and would write about ${mib(size.outputBytes)} MiB of files (limit ${mib(MAX_OUTPUT_BYTES)} MiB)`
      : '') +
    ': split it into several pipelines, or pass the matrix values as a parameter'
  );
}

/**
 * PW219: the pipeline expands to more than compile can produce (task instances, dependencies between instances, or
 * output bytes). Each matrix alone may be fine (PW213): chained matrices multiply.
 */
export const pipelineTooLarge: Rule = {
  name: 'pipeline-too-large',
  codes: ['PW219'],
  check({ doc, spec }) {
    // Rules also see partial documents (parts the schema rejected are pruned): the name may be missing.
    const message = tooLargeMessage(spec.metadata?.name, estimatePipelineSize(spec));
    if (message === undefined) return [];
    const out: Diagnostic[] = [
      diagnostic(doc, doc.rangeOf(['spec', 'tasks'], { key: true }), 'error', 'PW219', message),
    ];
    return out;
  },
};
