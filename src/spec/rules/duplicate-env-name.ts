import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SpecPath } from '../document.js';
import { reservedEnvOwner } from './reserved-env-name.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

/**
 * PW218: one name given both a value (the task's or the defaults' env) and a secret. The task would see only one of
 * them, and the Kubernetes container would list the name twice. (Reserved names are PW217's.)
 */
export const duplicateEnvName: Rule = {
  name: 'duplicate-env-name',
  codes: ['PW218'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const defaultsEnv = spec.spec.defaults?.env ?? {};
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      for (const name of Object.keys(task.secrets ?? {})) {
        if (reservedEnvOwner(name) !== undefined) continue;
        const valuePath: SpecPath | undefined =
          task.env && Object.hasOwn(task.env, name)
            ? [...path, 'env', name]
            : Object.hasOwn(defaultsEnv, name)
              ? ['spec', 'defaults', 'env', name]
              : undefined;
        if (valuePath === undefined) continue;
        const at = doc.rangeOf(valuePath, { key: true }).start;
        const where = valuePath[1] === 'defaults' ? 'defaults.env' : 'env';
        out.push(
          diagnostic(
            doc,
            doc.rangeOf([...path, 'secrets', name], { key: true }),
            'error',
            'PW218',
            `secret ${quote(name)} of task ${quote(id)} is also set in ${where} (${at.line}:${at.column}): the task would see only one of them and Kubernetes would list the name twice; remove one`,
          ),
        );
      }
    }
    return out;
  },
};
