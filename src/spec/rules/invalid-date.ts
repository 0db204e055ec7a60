import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Rule } from './rule.js';
import { diagnostic } from './support.js';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Why a YYYY-MM-DD string (shape checked by the schema) is not a calendar date, or undefined. */
export function dateProblem(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return 'expected YYYY-MM-DD';
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return `month ${m[2]} does not exist`;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) return `${MONTHS[month - 1]} ${year} has ${days} days`;
  return undefined;
}

/**
 * PW216: startDate/endDate are calendar dates, endDate is not before startDate; warns when `catchup: true` has no
 * startDate to catch up from.
 */
export const invalidDate: Rule = {
  name: 'invalid-date',
  codes: ['PW216'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const { startDate, endDate, catchup } = spec.spec;
    let valid = true;
    for (const [field, value] of [
      ['startDate', startDate],
      ['endDate', endDate],
    ] as const) {
      if (value === undefined) continue;
      const problem = dateProblem(value);
      if (!problem) continue;
      valid = false;
      out.push(
        diagnostic(
          doc,
          doc.rangeOf(['spec', field]),
          'error',
          'PW216',
          `${field} '${value}' is not a calendar date: ${problem}`,
        ),
      );
    }
    if (valid && startDate !== undefined && endDate !== undefined && endDate < startDate) {
      out.push(
        diagnostic(
          doc,
          doc.rangeOf(['spec', 'endDate']),
          'error',
          'PW216',
          `endDate ${endDate} is before startDate ${startDate}: the pipeline would never run`,
        ),
      );
    }
    if (catchup === true && startDate === undefined) {
      out.push(
        diagnostic(
          doc,
          doc.rangeOf(['spec', 'catchup']),
          'warning',
          'PW216',
          'catchup: true has no effect without startDate: set the first logical date to backfill from',
        ),
      );
    }
    return out;
  },
};
