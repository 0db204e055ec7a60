import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { checkTemplateExpr, parseTemplate } from '../../model/template.js';
import type { SpecPath } from '../document.js';
import type { Rule } from './rule.js';
import { describePath as describe, diagnostic, substringRange, tasksInSourceOrder } from './support.js';

/**
 * PW212: `{{ … }}` references in templated fields (command, env, inputs, outputs, workingDir) must resolve: built-ins,
 * declared params, and matrix keys of the task itself. Unbalanced braces are reported at the stray brace.
 */
export const unknownTemplateReference: Rule = {
  name: 'unknown-template-reference',
  codes: ['PW212'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const params = new Set(Object.keys(spec.spec.params ?? {}));
    const checkText = (path: SpecPath, text: string, matrixKeys: ReadonlySet<string> | undefined) => {
      const parsed = parseTemplate(text);
      for (const error of parsed.errors) {
        const range = substringRange(doc, path, text, error.start, error.end);
        out.push(diagnostic(doc, range, 'error', 'PW212', `in ${describe(path)}, ${error.message}`));
      }
      for (const part of parsed.parts) {
        if (!('expr' in part)) continue;
        const problem =
          matrixKeys === undefined && part.expr.startsWith('matrix.')
            ? `matrix reference '{{ ${part.expr} }}' is not allowed in defaults: defaults apply to every task, set it in the task's own env`
            : checkTemplateExpr(part.expr, params, matrixKeys ?? new Set());
        if (!problem) continue;
        const range = substringRange(doc, path, text, part.start, part.end);
        out.push(diagnostic(doc, range, 'error', 'PW212', `in ${describe(path)}, ${problem}`));
      }
    };
    for (const [name, value] of Object.entries(spec.spec.defaults?.env ?? {})) {
      checkText(['spec', 'defaults', 'env', name], value, undefined);
    }
    for (const { task, path } of tasksInSourceOrder(doc, spec)) {
      const keys = new Set(Object.keys(task.matrix ?? {}));
      for (const field of ['command', 'inputs', 'outputs'] as const) {
        for (const [i, text] of (task[field] ?? []).entries()) checkText([...path, field, i], text, keys);
      }
      for (const [name, value] of Object.entries(task.env ?? {})) checkText([...path, 'env', name], value, keys);
      if (task.workingDir !== undefined) checkText([...path, 'workingDir'], task.workingDir, keys);
    }
    return out;
  },
};
