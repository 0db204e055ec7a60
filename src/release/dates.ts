/** Which logical dates a scheduled release covers (pure; the clock is passed in). */
import { CronExpressionParser } from 'cron-parser';
import type { RunPlanPipeline } from '../targets/kubernetes/run-plan.js';

/** The calendar date of an instant in a time zone (YYYY-MM-DD). */
export function dateIn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    instant,
  );
}

export interface Due {
  date: string;
  /** The schedule tick the date belongs to (for SLA). */
  tick: Date;
}

/**
 * The due dates: the latest tick at or before `now` (its date in the pipeline's time zone is the logical date), and
 * with catchup every earlier tick back to `since` (startDate, bounded by the caller). Ticks outside
 * startDate..endDate are left out. Oldest first.
 */
export function dueDates(
  facts: Pick<RunPlanPipeline, 'schedule' | 'timezone' | 'catchup' | 'startDate' | 'endDate'>,
  now: Date,
  since: string,
): Due[] {
  if (!facts.schedule) return [];
  const expr = CronExpressionParser.parse(facts.schedule, {
    currentDate: new Date(now.getTime() + 1000),
    tz: facts.timezone,
  });
  const out: Due[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    let tick: Date;
    try {
      tick = expr.prev().toDate();
    } catch {
      break;
    }
    const date = dateIn(tick, facts.timezone);
    if (date < since || (facts.startDate && date < facts.startDate)) break;
    if (!seen.has(date) && !(facts.endDate && date > facts.endDate)) {
      seen.add(date);
      out.push({ date, tick });
    }
    if (!facts.catchup) break;
  }
  return out.reverse();
}
