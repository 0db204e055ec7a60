import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { TaskSpec } from '../types.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

/** Instances one matrix may expand to: every instance becomes a container/Job/CI job in every target. */
export const MAX_MATRIX_INSTANCES = 200;

/** Number of instances a task expands to (1 without a matrix). */
export function matrixSize(task: TaskSpec): number {
  return Object.values(task.matrix ?? {}).reduce((n, values) => n * values.length, 1);
}

/** PW213: a matrix must not expand to more than 200 instances (the product of its value counts). */
export const matrixTooLarge: Rule = {
  name: 'matrix-too-large',
  codes: ['PW213'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      const size = matrixSize(task);
      if (size <= MAX_MATRIX_INSTANCES) continue;
      const matrix = Object.entries(task.matrix ?? {});
      const factors = `${matrix.map(([, values]) => values.length).join(' × ')} values of ${matrix.map(([key]) => key).join(' × ')}`;
      out.push(
        diagnostic(
          doc,
          doc.rangeOf([...path, 'matrix'], { key: true }),
          'error',
          'PW213',
          `matrix of task ${quote(id)} expands to ${size} instances (${factors}); the limit is ${MAX_MATRIX_INSTANCES}: split the task or pass the values as a parameter`,
        ),
      );
    }
    return out;
  },
};
