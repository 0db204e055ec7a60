/**
 * The scheduler's calendar: pure (the clock is an argument), over cron-parser's time-zone-aware iteration.
 *
 * Airflow's model: consecutive cron fire times t0 < t1 < t2 … cut time into data intervals [t_i, t_i+1). An interval
 * is due once it has ended (now >= t_i+1); its logical date is its start t_i; its scheduled time is its end t_i+1,
 * from which the SLA is measured. `ds` is the calendar date of the logical date in the pipeline's time zone.
 *
 * Daylight saving time (cron-parser 5, documented and tested in test/loop/calendar.test.ts), e.g. `30 2 * * *` in
 * Europe/Berlin:
 *   - spring forward (last Sunday of March, 02:00 → 03:00): 02:30 does not exist that day; the run fires at 03:30
 *     CEST (01:30 UTC), the first wall-clock time after the gap that matches the shifted time; one run that day.
 *   - fall back (last Sunday of October, 03:00 → 02:00): 02:30 happens twice; the run fires once, at the first
 *     02:30 (CEST, 00:30 UTC).
 * Intervals are therefore 23 or 25 hours long around those days, never empty and never overlapping.
 *
 * Catch-up: the daemon remembers the start of the last interval it created a run for (`after`). With catchup every
 * due interval after it (or from startDate) is returned, oldest first, at most `limit` per call (the rest follow in
 * the next cycles, still oldest first); without catchup only the latest due interval, when it is newer than `after`.
 */
import { CronExpressionParser } from 'cron-parser';

export interface ScheduleSpec {
  /** 5-field cron expression or @hourly/@daily/@weekly/@monthly. */
  cron: string;
  /** IANA time zone. */
  timezone: string;
  catchup: boolean;
  /** First logical date YYYY-MM-DD (local midnight in `timezone`). */
  startDate?: string;
  /** Last logical date YYYY-MM-DD, inclusive. */
  endDate?: string;
}

export interface Interval {
  /** Logical date (start of the data interval). */
  start: Date;
  /** Scheduled time: when the interval ends and the run becomes due. */
  end: Date;
}

export class CalendarError extends Error {
  override name = 'CalendarError';
}

/**
 * One step of a cron-parser iterator, or undefined at the end of its time span (or its loop limit). Not
 * hasNext()/hasPrev() + next()/prev(): those compute every step twice (a profile of the daemon showed it).
 */
function step(move: () => { toDate(): Date }): Date | undefined {
  try {
    return move().toDate();
  } catch {
    return undefined;
  }
}

/** Fire times strictly after `from`, up to `to` inclusive (at most `max`). Throws CalendarError for a cron that never fires. */
export function fireTimes(spec: Pick<ScheduleSpec, 'cron' | 'timezone'>, from: Date, to: Date, max: number): Date[] {
  if (to.getTime() <= from.getTime() || max <= 0) return [];
  let iterator: ReturnType<typeof CronExpressionParser.parse>;
  try {
    iterator = CronExpressionParser.parse(spec.cron, {
      tz: spec.timezone,
      currentDate: from,
      endDate: to,
    });
  } catch (error) {
    throw new CalendarError(`schedule '${spec.cron}' (${spec.timezone}) never fires: ${(error as Error).message}`);
  }
  const out: Date[] = [];
  while (out.length < max) {
    const next = step(() => iterator.next());
    if (!next) break;
    if (next.getTime() <= from.getTime()) continue;
    if (next.getTime() > to.getTime()) break;
    out.push(next);
  }
  return out;
}

/** The first fire time strictly after `from`, or undefined when there is none within `horizonDays`. */
export function nextFire(
  spec: Pick<ScheduleSpec, 'cron' | 'timezone'>,
  from: Date,
  horizonDays = 366 * 5,
): Date | undefined {
  return fireTimes(spec, from, new Date(from.getTime() + horizonDays * 86_400_000), 1)[0];
}

/** The last fire time at or before `at` (searching back up to `horizonDays`), or undefined. */
export function previousFire(
  spec: Pick<ScheduleSpec, 'cron' | 'timezone'>,
  at: Date,
  horizonDays = 366 * 5,
): Date | undefined {
  let iterator: ReturnType<typeof CronExpressionParser.parse>;
  try {
    iterator = CronExpressionParser.parse(spec.cron, {
      tz: spec.timezone,
      currentDate: new Date(at.getTime() + 1),
      startDate: new Date(at.getTime() - horizonDays * 86_400_000),
    });
  } catch (error) {
    throw new CalendarError(`schedule '${spec.cron}' (${spec.timezone}) never fires: ${(error as Error).message}`);
  }
  const prev = step(() => iterator.prev());
  return prev && prev.getTime() <= at.getTime() ? prev : undefined;
}

/** UTC offset of `timezone` at instant `t`, in ms (local wall time − UTC). */
function offsetMs(timezone: string, t: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant local midnight starts `date` (YYYY-MM-DD) in `timezone` (the first instant of that day when midnight is skipped). */
export function zonedMidnight(date: string, timezone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetMs(timezone, wall);
  t = wall - offsetMs(timezone, t);
  // Midnight skipped by a DST jump: the wall clock at t is on the previous day; the day starts at the jump.
  if (localDate(new Date(t), timezone) < date) t += offsetMs(timezone, t + 6 * 3_600_000) - offsetMs(timezone, t);
  return new Date(t);
}

/** Calendar date YYYY-MM-DD of an instant in a time zone (the `ds` of a logical date). */
export function localDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** Logical dates must be >= lower (inclusive) and < upper (exclusive). */
export function bounds(spec: ScheduleSpec): { lower?: Date; upper?: Date } {
  return {
    ...(spec.startDate ? { lower: zonedMidnight(spec.startDate, spec.timezone) } : {}),
    ...(spec.endDate ? { upper: zonedMidnight(addDays(spec.endDate, 1), spec.timezone) } : {}),
  };
}

export interface DueQuery {
  now: Date;
  /** Start of the last interval a run was created for (the watermark), if any. */
  after?: Date;
  /** At most this many intervals per call (catch-up is bounded). */
  limit: number;
}

export interface DueResult {
  /** Oldest first. */
  due: Interval[];
  /** When the next interval after the returned ones becomes due (undefined: never, e.g. past endDate). */
  nextDue?: Date;
  /** True when more intervals are due than `limit` allowed (they come in the next call). */
  truncated: boolean;
}

/**
 * Intervals due at `now` that have no run yet. Throws CalendarError for a schedule that never fires.
 * Invariants (property-tested): intervals are returned at most once across calls that advance `after` to the last
 * returned start; with catchup none is skipped; each result is in ascending order.
 */
export function dueIntervals(spec: ScheduleSpec, query: DueQuery): DueResult {
  const { lower, upper } = bounds(spec);
  const { now, after } = query;
  const limit = Math.max(1, query.limit);
  const inBounds = (start: Date) =>
    (!upper || start.getTime() < upper.getTime()) &&
    (!lower || start.getTime() >= lower.getTime()) &&
    (!after || start.getTime() > after.getTime());

  const due: Interval[] = [];
  let truncated = false;
  if (spec.catchup && (after || lower)) {
    // Every interval from the first start after the watermark (or at startDate), oldest first.
    const from = after ?? new Date(lower!.getTime() - 1);
    const fires = fireTimes(spec, from, now, limit + 2);
    for (let i = 0; i + 1 < fires.length && due.length < limit; i++) {
      if (!inBounds(fires[i]!)) break;
      due.push({ start: fires[i]!, end: fires[i + 1]! });
    }
    truncated = due.length === limit && fires.length >= limit + 2 && inBounds(fires[limit]!);
  } else if (lower && lower.getTime() > now.getTime()) {
    // Before startDate nothing has ended inside the bounds; no backward search (the slow direction of cron-parser).
    return { due, ...optional(nextDueTime(spec, now, lower, upper)), truncated };
  } else {
    // Only the latest interval that has ended (inside the bounds).
    const latest = previousFire(spec, now);
    let end = latest;
    let start = end ? previousFire(spec, new Date(end.getTime() - 1)) : undefined;
    if (start && upper && start.getTime() >= upper.getTime()) {
      start = previousFire(spec, new Date(upper.getTime() - 1));
      end = start ? nextFire(spec, start) : undefined;
    }
    if (start && end && end.getTime() <= now.getTime() && inBounds(start)) due.push({ start, end });
    return { due, ...optional(nextDueTime(spec, now, lower, upper, latest ?? null)), truncated };
  }
  return {
    due,
    ...(truncated ? { nextDue: now } : optional(nextDueTime(spec, now, lower, upper))),
    truncated,
  };
}

function optional(nextDue: Date | undefined): { nextDue?: Date } {
  return nextDue ? { nextDue } : {};
}

/** When the interval in progress at `now` (or the first one inside the bounds) ends; undefined past endDate. */
export function nextDueTime(
  spec: Pick<ScheduleSpec, 'cron' | 'timezone'>,
  now: Date,
  lower?: Date,
  upper?: Date,
  /** previousFire(spec, now) when the caller has it (null: there is none). */
  latest?: Date | null,
): Date | undefined {
  // Before startDate the last fire before now is irrelevant (it is before lower): skip the backward search.
  const beforeStart = lower !== undefined && lower.getTime() > now.getTime();
  let start = beforeStart ? undefined : latest === undefined ? previousFire(spec, now) : (latest ?? undefined);
  if (!start || (lower && start.getTime() < lower.getTime())) {
    start = nextFire(spec, lower && lower.getTime() > now.getTime() ? new Date(lower.getTime() - 1) : now);
  }
  if (!start || (upper && start.getTime() >= upper.getTime())) return undefined;
  return nextFire(spec, start);
}

/** The longest gap between consecutive fire times over the coming year (sampled: at most 400 fires). */
export function longestGapSeconds(spec: Pick<ScheduleSpec, 'cron' | 'timezone'>, from: Date): number | undefined {
  const fires = fireTimes(spec, from, new Date(from.getTime() + 366 * 86_400_000), 400);
  let gap: number | undefined;
  for (let i = 1; i < fires.length; i++)
    gap = Math.max(gap ?? 0, (fires[i]!.getTime() - fires[i - 1]!.getTime()) / 1000);
  return gap;
}

/** SLA of one interval's run: met, missed, or pending (not succeeded yet, deadline ahead). */
export type SlaState = 'met' | 'missed' | 'pending';

export function slaState(interval: Interval, slaSeconds: number, succeededAt: Date | undefined, now: Date): SlaState {
  const deadline = interval.end.getTime() + slaSeconds * 1000;
  if (succeededAt) return succeededAt.getTime() <= deadline ? 'met' : 'missed';
  return now.getTime() > deadline ? 'missed' : 'pending';
}
