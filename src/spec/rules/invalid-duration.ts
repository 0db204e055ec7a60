import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { formatDuration, parseDuration } from '../../model/duration.js';
import type { SpecPath } from '../document.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

const UNIT_ORDER = 'dhms';
const MAX = '366d';

/** Why a duration is invalid (the schema already checked its shape), or undefined. */
export function durationProblem(text: string): string | undefined {
  const units = [...text.matchAll(/[0-9]+([smhd])/g)].map((m) => m[1]!);
  for (let i = 1; i < units.length; i++) {
    if (UNIT_ORDER.indexOf(units[i]!) <= UNIT_ORDER.indexOf(units[i - 1]!)) {
      return `each unit may appear once, largest first (d, h, m, s), e.g. 1h30m`;
    }
  }
  if (parseDuration(text) !== undefined) return undefined;
  if (/^(?:0+[smhd])+$/.test(text)) return 'a duration must be greater than zero';
  return `a duration must be at most ${MAX}`;
}

interface Slot {
  path: SpecPath;
  label: string;
  value: string | undefined;
}

/**
 * PW207: durations (sla, retryDelay, timeout) must be positive, at most 366 days, and written with each unit once,
 * largest first. Also warns when a task would wait longer between attempts than an attempt may run (retryDelay >
 * timeout) although it has retries: usually a swapped pair.
 */
export const invalidDuration: Rule = {
  name: 'invalid-duration',
  codes: ['PW207'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const body = spec.spec;
    const defaults = body.defaults ?? {};
    const slots: Slot[] = [
      { path: ['spec', 'sla'], label: 'sla', value: body.sla },
      { path: ['spec', 'defaults', 'retryDelay'], label: 'defaults.retryDelay', value: defaults.retryDelay },
      { path: ['spec', 'defaults', 'timeout'], label: 'defaults.timeout', value: defaults.timeout },
    ];
    const tasks = tasksInSourceOrder(doc, spec);
    for (const { id, task, path } of tasks) {
      slots.push({ path: [...path, 'retryDelay'], label: `retryDelay of task ${quote(id)}`, value: task.retryDelay });
      slots.push({ path: [...path, 'timeout'], label: `timeout of task ${quote(id)}`, value: task.timeout });
    }
    for (const slot of slots) {
      if (slot.value === undefined) continue;
      const problem = durationProblem(slot.value);
      if (problem) {
        out.push(
          diagnostic(
            doc,
            doc.rangeOf(slot.path),
            'error',
            'PW207',
            `invalid ${slot.label} ${quote(slot.value)}: ${problem}`,
          ),
        );
      }
    }

    const seconds = (value: string | undefined) => (value === undefined ? undefined : parseDuration(value));
    const warnIfSwapped = (retryPath: SpecPath, retry: string, timeout: string, where: string) => {
      const r = seconds(retry);
      const t = seconds(timeout);
      if (r === undefined || t === undefined || r <= t) return;
      out.push(
        diagnostic(
          doc,
          doc.rangeOf(retryPath),
          'warning',
          'PW207',
          `${where}a retryDelay of ${formatDuration(r)} but a timeout of ${formatDuration(t)}: retries would wait longer than an attempt may run (swapped values?)`,
        ),
      );
    };
    if (defaults.retryDelay !== undefined && defaults.timeout !== undefined && (defaults.retries ?? 0) > 0) {
      warnIfSwapped(['spec', 'defaults', 'retryDelay'], defaults.retryDelay, defaults.timeout, 'defaults have ');
    }
    for (const { id, task, path } of tasks) {
      const inherited = task.retryDelay === undefined && task.timeout === undefined && task.retries === undefined;
      if (inherited || (task.retries ?? defaults.retries ?? 0) === 0) continue; // inherited: the defaults check covers it
      const retry = task.retryDelay ?? defaults.retryDelay;
      const timeout = task.timeout ?? defaults.timeout;
      if (retry === undefined || timeout === undefined) continue;
      const own = task.retryDelay !== undefined ? 'retryDelay' : task.timeout !== undefined ? 'timeout' : 'retries';
      const retryPath = [...path, own];
      warnIfSwapped(retryPath, retry, timeout, `task ${quote(id)} has `);
    }
    return out;
  },
};
