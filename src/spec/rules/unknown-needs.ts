import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Rule } from './rule.js';
import { diagnostic, didYouMean, quote, tasksInSourceOrder } from './support.js';

/** PW201: every `needs` entry names a task of the same pipeline. */
export const unknownNeeds: Rule = {
  name: 'unknown-needs',
  codes: ['PW201'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const tasks = tasksInSourceOrder(doc, spec);
    const ids = tasks.map((t) => t.id);
    const known = new Set(ids);
    for (const { id, task, path } of tasks) {
      (task.needs ?? []).forEach((need, i) => {
        if (known.has(need)) return;
        out.push(
          diagnostic(
            doc,
            doc.rangeOf([...path, 'needs', i]),
            'error',
            'PW201',
            `task ${quote(id)} needs unknown task ${quote(need)}${didYouMean(need, ids)}`,
          ),
        );
      });
    }
    return out;
  },
};
