import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { datasetUriProblem } from '../../observe/lineage/naming.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

/** `{{ … }}` references stand for run-time text: a placeholder keeps the URI's shape for the check. */
const TEMPLATE = /\{\{[^}]*\}\}/g;

/**
 * PW220: `inputs`/`outputs` are dataset URIs (scheme://authority/path), so lineage (OpenLineage events,
 * `pipewright lineage`, diff's impact analysis) can name them. A warning: the pipeline still runs, but the dataset is
 * left out of lineage events.
 */
export const invalidDatasetUri: Rule = {
  name: 'invalid-dataset-uri',
  codes: ['PW220'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      for (const key of ['inputs', 'outputs'] as const) {
        for (const [i, uri] of (task[key] ?? []).entries()) {
          if (typeof uri !== 'string') continue;
          const problem = datasetUriProblem(uri.replace(TEMPLATE, 'x'));
          if (problem === undefined) continue;
          out.push(
            diagnostic(
              doc,
              doc.rangeOf([...path, key, i]),
              'warning',
              'PW220',
              `task ${quote(id)} ${key.slice(0, -1)} ${quote(uri)} is not a dataset URI: ${problem}; lineage leaves it out`,
            ),
          );
        }
      }
    }
    return out;
  },
};
