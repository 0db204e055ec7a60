import type { Diagnostic, SourceRange } from '../../diagnostics/diagnostic.js';
import { instanceId, normalizeName } from '../../model/ids.js';
import { MAX_MATRIX_INSTANCES, matrixSize } from './matrix-too-large.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

interface Instance {
  taskId: string;
  /** Matrix values by key, in the order written ({} without a matrix). */
  matrix: Record<string, string>;
  /** Index of each value in its key's list (to point at the value). */
  indexes: Record<string, number>;
  range: SourceRange;
}

function label(instance: Instance): string {
  const entries = Object.entries(instance.matrix);
  if (entries.length === 0) return `task ${quote(instance.taskId)}`;
  // Values only (in key order as written): `key=value` pairs would read like assignments to secret redaction.
  return `instance [${entries.map(([, v]) => v).join(', ')}] of task ${quote(instance.taskId)}`;
}

/** Every combination of matrix values, first key outermost, values in written order. */
function* combinations(
  matrix: Record<string, string[]>,
): Generator<{ values: Record<string, string>; indexes: Record<string, number> }> {
  const keys = Object.keys(matrix);
  const at = keys.map(() => 0);
  if (keys.some((k) => matrix[k]!.length === 0)) return;
  while (true) {
    const values: Record<string, string> = {};
    const indexes: Record<string, number> = {};
    keys.forEach((k, i) => {
      values[k] = matrix[k]![at[i]!]!;
      indexes[k] = at[i]!;
    });
    yield { values, indexes };
    let i = keys.length - 1;
    while (i >= 0 && ++at[i]! === matrix[keys[i]!]!.length) at[i--] = 0;
    if (i < 0) return;
  }
}

/**
 * PW214: task ids must stay distinct after name normalisation (`load_orders` vs `load-orders`) and matrix expansion
 * (`a` with matrix x: [b] vs task `a-b`; matrix values `eu` and `EU`), because every target names resources by the
 * normalised instance id. The later definition is reported, with the earlier one as related location.
 */
export const idCollision: Rule = {
  name: 'id-collision',
  codes: ['PW214'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const byId = new Map<string, Instance>();
    const reportedPairs = new Set<string>();
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      const keyRange = doc.rangeOf(path, { key: true });
      if (normalizeName(id) === '') {
        out.push(
          diagnostic(
            doc,
            keyRange,
            'error',
            'PW214',
            `task id ${quote(id)} has no letters or digits: it cannot name a container, Job or CI job`,
          ),
        );
        continue;
      }
      if (matrixSize(task) > MAX_MATRIX_INSTANCES) continue; // PW213 reports it; expanding it helps nobody
      for (const combo of combinations(task.matrix ?? {})) {
        const instance: Instance = { taskId: id, matrix: combo.values, indexes: combo.indexes, range: keyRange };
        const iid = instanceId(id, combo.values);
        const earlier = byId.get(iid);
        if (!earlier) {
          byId.set(iid, instance);
          continue;
        }
        const pair = `${earlier.taskId}\0${id}`;
        if (earlier.taskId !== id && reportedPairs.has(pair)) continue;
        reportedPairs.add(pair);
        let range = keyRange;
        let earlierRange = earlier.range;
        if (earlier.taskId === id) {
          // Same task: two combinations normalise alike; point at the first value that differs, in both.
          const key = Object.keys(combo.values).find((k) => combo.indexes[k] !== earlier.indexes[k]);
          if (key !== undefined) {
            range = doc.rangeOf([...path, 'matrix', key, combo.indexes[key]!]);
            earlierRange = doc.rangeOf([...path, 'matrix', key, earlier.indexes[key]!]);
          }
        }
        out.push(
          diagnostic(
            doc,
            range,
            'error',
            'PW214',
            `${label(instance)} and ${label(earlier)} both get the id '${iid}' (previously defined at ${earlierRange.start.line}:${earlierRange.start.column}): ids must stay distinct after name normalisation and matrix expansion`,
            [{ file: doc.file, range: earlierRange, message: `${label(earlier)} defined here` }],
          ),
        );
      }
    }
    return out;
  },
};
