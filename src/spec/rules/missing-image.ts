import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

/** PW215: every task needs an image, its own or `spec.defaults.image`. */
export const missingImage: Rule = {
  name: 'missing-image',
  codes: ['PW215'],
  check({ doc, spec }) {
    if (spec.spec.defaults?.image !== undefined) return [];
    const out: Diagnostic[] = [];
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      if (task.image !== undefined) continue;
      out.push(
        diagnostic(
          doc,
          doc.rangeOf(path, { key: true }),
          'error',
          'PW215',
          `task ${quote(id)} has no image: set its image or spec.defaults.image`,
        ),
      );
    }
    return out;
  },
};
