import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { instanceId } from '../../model/ids.js';
import type { TaskSpec } from '../types.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

/** Instances one matrix may expand to: every instance becomes a container/Job/CI job in every target. */
export const MAX_MATRIX_INSTANCES = 200;

/** Number of instances a task expands to (1 without a matrix). */
export function matrixSize(task: TaskSpec): number {
  return Object.values(task.matrix ?? {}).reduce((n, values) => n * values.length, 1);
}

/**
 * Longest instance id: ids become Compose service keys and GitLab job names, and GitLab refuses job names over 255
 * characters (YAML readers refuse keys over 1024). Matrix values are short, but many matrix keys add up.
 */
export const MAX_INSTANCE_ID_LENGTH = 255;

/** The longest id an instance of this task gets (each key at its longest value). */
function longestInstanceId(id: string, task: TaskSpec): string {
  const longest = Object.fromEntries(
    Object.entries(task.matrix ?? {}).map(([key, values]) => [
      key,
      values.reduce((a, b) => (b.length > a.length ? b : a), ''),
    ]),
  );
  return instanceId(id, longest);
}

/**
 * PW213: a matrix must not expand to more than 200 instances (the product of its value counts), nor to instance ids
 * longer than MAX_INSTANCE_ID_LENGTH.
 */
export const matrixTooLarge: Rule = {
  name: 'matrix-too-large',
  codes: ['PW213'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      const longest = task.matrix ? longestInstanceId(id, task).length : 0;
      if (longest > MAX_INSTANCE_ID_LENGTH) {
        out.push(
          diagnostic(
            doc,
            doc.rangeOf([...path, 'matrix'], { key: true }),
            'error',
            'PW213',
            `matrix of task ${quote(id)} makes instance ids of up to ${longest} characters; the limit is ${MAX_INSTANCE_ID_LENGTH} (they name Compose services and GitLab jobs): use fewer matrix keys or shorter values`,
          ),
        );
      }
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
