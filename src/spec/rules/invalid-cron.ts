import { CronExpressionParser } from 'cron-parser';
import type { Rule } from './rule.js';
import { diagnostic, didYouMean, quote, substringRange } from './support.js';

/** The macros every target can express (Kubernetes CronJob, GitLab pipeline schedules, the local scheduler). */
export const SCHEDULE_MACROS = ['@hourly', '@daily', '@weekly', '@monthly'] as const;

interface Field {
  name: string;
  /** Three-letter names allowed in this field. */
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'minute' },
  { name: 'hour' },
  { name: 'day-of-month' },
  { name: 'month', names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const PATH = ['spec', 'schedule'] as const;

/**
 * PW205: `spec.schedule` is a 5-field cron expression or one of the portable macros. Ranges and syntax are checked
 * with cron-parser field by field, so the message can say which field is wrong; extensions that only some schedulers
 * understand (L, W, #, ?, H, seconds) are rejected because every target must run the same schedule.
 */
export const invalidCron: Rule = {
  name: 'invalid-cron',
  codes: ['PW205'],
  check({ doc, spec }) {
    const schedule = spec.spec.schedule;
    if (schedule === undefined) return [];
    const problem = checkSchedule(schedule);
    if (!problem) return [];
    const range = problem.at ? substringRange(doc, PATH, schedule, problem.at[0], problem.at[1]) : doc.rangeOf(PATH);
    return [diagnostic(doc, range, 'error', 'PW205', problem.message)];
  },
};

interface Problem {
  message: string;
  /** Offsets of the offending part inside the schedule string. */
  at?: [number, number];
}

/** checkSchedule's answers by schedule text (pure): a history walk validates the same schedule thousands of times. */
const answers = new Map<string, Problem | null>();
const MAX_ANSWERS = 1024;

/** Why a schedule is invalid, or undefined when it is fine. Exported for unit tests and other stages. */
export function checkSchedule(schedule: string): Problem | undefined {
  const known = answers.get(schedule);
  if (known !== undefined) return known ?? undefined;
  const problem = scheduleProblem(schedule);
  if (answers.size >= MAX_ANSWERS) answers.clear();
  answers.set(schedule, problem ?? null);
  return problem;
}

function scheduleProblem(schedule: string): Problem | undefined {
  const words = [...schedule.matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
  if (words.length === 0) return { message: 'empty schedule: write a 5-field cron expression or omit `schedule`' };
  const first = words[0]!;
  if (first.text.startsWith('@')) {
    if (words.length === 1 && (SCHEDULE_MACROS as readonly string[]).includes(first.text)) return undefined;
    return {
      message: `unsupported schedule ${quote(schedule.trim())}: use one of ${SCHEDULE_MACROS.join(', ')} or a 5-field cron expression${didYouMean(first.text, SCHEDULE_MACROS)}`,
      at: [first.start, words.at(-1)!.end],
    };
  }
  if (words.length !== FIELDS.length) {
    const hint = words.length === 6 ? ' (a seconds field is not supported)' : '';
    return {
      message: `invalid cron schedule: expected 5 fields (minute hour day-of-month month day-of-week), got ${words.length}${hint}`,
      at: [first.start, words.at(-1)!.end],
    };
  }
  for (const [i, field] of FIELDS.entries()) {
    const word = words[i]!;
    const detail = checkField(word.text, i, field);
    if (detail)
      return {
        message: `invalid ${field.name} field ${quote(word.text)} in schedule: ${detail}`,
        at: [word.start, word.end],
      };
  }
  try {
    CronExpressionParser.parse(words.map((w) => w.text).join(' '));
  } catch (error) {
    const detail = parserMessage(error);
    if (/day of month/i.test(detail)) {
      return {
        message: `schedule never runs: day-of-month '${words[2]!.text}' does not occur in month '${words[3]!.text}'`,
        at: [words[2]!.start, words[3]!.end],
      };
    }
    return { message: `invalid cron schedule: ${detail}`, at: [first.start, words.at(-1)!.end] };
  }
  return undefined;
}

function checkField(text: string, position: number, field: Field): string | undefined {
  for (const m of text.matchAll(/[A-Za-z]+|[^0-9A-Za-z*,/-]/g)) {
    const token = m[0];
    if (/^[A-Za-z]+$/.test(token) && field.names?.includes(token.toLowerCase())) continue;
    if (/^[A-Za-z]+$/.test(token) && field.names) {
      return `${quote(token)} is not a ${field.name} name (use ${field.names.map((n) => n.toUpperCase()).join(', ')} or numbers)`;
    }
    return `${quote(token)} is not supported: use numbers${field.names ? ', names' : ''}, '*', ',', '-' and '/' (extensions such as L, W, #, ? and H are not portable across targets)`;
  }
  const probe = FIELDS.map((_, i) => (i === position ? text : '*')).join(' ');
  try {
    CronExpressionParser.parse(probe);
  } catch (error) {
    return parserMessage(error);
  }
  return undefined;
}

/** cron-parser's message without its category prefix, e.g. "got value 60 expected range 0-59". */
function parserMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const stripped = text.replace(/^(?:Constraint|Validation) error,\s*/i, '');
  return stripped.charAt(0).toLowerCase() + stripped.slice(1);
}
