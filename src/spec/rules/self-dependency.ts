import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

/** PW203: a task that needs itself could never start. */
export const selfDependency: Rule = {
  name: 'self-dependency',
  codes: ['PW203'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      (task.needs ?? []).forEach((need, i) => {
        if (need !== id) return;
        out.push(
          diagnostic(
            doc,
            doc.rangeOf([...path, 'needs', i]),
            'error',
            'PW203',
            `task ${quote(id)} needs itself: remove ${quote(id)} from its needs`,
          ),
        );
      });
    }
    return out;
  },
};
