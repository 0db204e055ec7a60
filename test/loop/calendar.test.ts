import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CalendarError,
  dueIntervals,
  fireTimes,
  type Interval,
  localDate,
  type ScheduleSpec,
  slaState,
  zonedMidnight,
} from '../../src/loop/calendar.js';

const iso = (d: Date) => d.toISOString();
const at = (s: string) => new Date(s);
const berlin: ScheduleSpec = { cron: '30 2 * * *', timezone: 'Europe/Berlin', catchup: true, startDate: '2026-03-27' };

describe('calendar: Europe/Berlin 02:30 across DST (documented in docs/reconcile.md)', () => {
  it('spring forward (2026-03-29): 02:30 does not exist, the run fires once at 03:30 CEST', () => {
    const fires = fireTimes(berlin, at('2026-03-27T00:00:00Z'), at('2026-04-01T00:00:00Z'), 10).map(iso);
    expect(fires).toEqual([
      '2026-03-27T01:30:00.000Z', // 02:30 CET
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z', // 03:30 CEST: the gap 02:00-03:00 pushes 02:30 forward
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
    const { due } = dueIntervals(berlin, { now: at('2026-03-31T00:30:00Z'), limit: 10 });
    expect(
      due.map((i) => [localDate(i.start, 'Europe/Berlin'), (i.end.getTime() - i.start.getTime()) / 3_600_000]),
    ).toEqual([
      ['2026-03-27', 24],
      ['2026-03-28', 24],
      ['2026-03-29', 23],
      ['2026-03-30', 24],
    ]);
  });

  it('fall back (2026-10-25): 02:30 happens twice, the run fires once, at the first (CEST)', () => {
    const fires = fireTimes(berlin, at('2026-10-23T00:00:00Z'), at('2026-10-28T00:00:00Z'), 10).map(iso);
    expect(fires).toEqual([
      '2026-10-23T00:30:00.000Z',
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); the second (01:30Z, CET) does not fire
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('startDate is local midnight in the time zone; endDate is the last logical date, inclusive', () => {
    expect(iso(zonedMidnight('2026-03-29', 'Europe/Berlin'))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(zonedMidnight('2026-03-30', 'Europe/Berlin'))).toBe('2026-03-29T22:00:00.000Z');
    expect(iso(zonedMidnight('2026-01-01', 'UTC'))).toBe('2026-01-01T00:00:00.000Z');
    const spec: ScheduleSpec = { ...berlin, startDate: '2026-03-27', endDate: '2026-03-28' };
    const { due, nextDue } = dueIntervals(spec, { now: at('2026-04-10T00:00:00Z'), limit: 100 });
    expect(due.map((i) => localDate(i.start, 'Europe/Berlin'))).toEqual(['2026-03-27', '2026-03-28']);
    expect(nextDue).toBeUndefined();
  });
});

describe('calendar: catchup', () => {
  const daily: ScheduleSpec = { cron: '0 5 * * *', timezone: 'UTC', catchup: true, startDate: '2026-01-01' };

  it('catchup true: every missed interval since startDate, oldest first, bounded per call', () => {
    const now = at('2026-01-06T06:00:00Z');
    const first = dueIntervals(daily, { now, limit: 3 });
    expect(first.due.map((i) => iso(i.start))).toEqual([
      '2026-01-01T05:00:00.000Z',
      '2026-01-02T05:00:00.000Z',
      '2026-01-03T05:00:00.000Z',
    ]);
    expect(first.truncated).toBe(true);
    expect(first.nextDue).toEqual(now);
    const second = dueIntervals(daily, { now, after: first.due.at(-1)!.start, limit: 3 });
    expect(second.due.map((i) => iso(i.start))).toEqual(['2026-01-04T05:00:00.000Z', '2026-01-05T05:00:00.000Z']);
    expect(second.truncated).toBe(false);
    expect(second.nextDue).toEqual(at('2026-01-07T05:00:00Z'));
  });

  it('catchup false: only the latest interval, once', () => {
    const spec = { ...daily, catchup: false };
    const now = at('2026-01-06T06:00:00Z');
    const { due } = dueIntervals(spec, { now, limit: 100 });
    expect(due).toEqual([{ start: at('2026-01-05T05:00:00Z'), end: at('2026-01-06T05:00:00Z') }]);
    expect(dueIntervals(spec, { now, after: due[0]!.start, limit: 100 }).due).toEqual([]);
  });

  it('before startDate nothing is due; the first due time is the end of the first interval', () => {
    const spec = { ...daily, startDate: '2026-02-01' };
    const r = dueIntervals(spec, { now: at('2026-01-06T06:00:00Z'), limit: 100 });
    expect(r.due).toEqual([]);
    expect(r.nextDue).toEqual(at('2026-02-02T05:00:00Z'));
  });

  it('a cron that never fires is a CalendarError, not a hang', () => {
    expect(() =>
      dueIntervals(
        { cron: '0 0 31 2 *', timezone: 'UTC', catchup: true, startDate: '2026-01-01' },
        { now: at('2027-01-01T00:00:00Z'), limit: 10 },
      ),
    ).toThrow(CalendarError);
  });

  it('SLA: measured from the scheduled time (end of the interval)', () => {
    const i: Interval = { start: at('2026-01-01T05:00:00Z'), end: at('2026-01-02T05:00:00Z') };
    expect(slaState(i, 3600, at('2026-01-02T05:59:59Z'), at('2026-01-03T00:00:00Z'))).toBe('met');
    expect(slaState(i, 3600, at('2026-01-02T06:00:01Z'), at('2026-01-03T00:00:00Z'))).toBe('missed');
    expect(slaState(i, 3600, undefined, at('2026-01-02T05:30:00Z'))).toBe('pending');
    expect(slaState(i, 3600, undefined, at('2026-01-02T06:00:01Z'))).toBe('missed');
  });
});

describe('calendar properties (fast-check, a clock advanced in random steps)', () => {
  const crons = ['*/15 * * * *', '0 * * * *', '30 2 * * *', '0 5 * * 1-5', '0 0 1 * *', '45 1,2,3 * * *'];
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
  const base = Date.parse('2026-01-01T00:00:00Z');

  it('no interval twice, none skipped with catchup, oldest first', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...crons),
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 300 }), // start offset in days
        fc.array(fc.integer({ min: 0, max: 1.5 * 86_400_000 }), { minLength: 1, maxLength: 12 }), // clock steps
        fc.integer({ min: 1, max: 40 }), // catch-up bound
        (cron, timezone, startDay, steps, limit) => {
          const startDate = new Date(base + startDay * 86_400_000).toISOString().slice(0, 10);
          const spec: ScheduleSpec = { cron, timezone, catchup: true, startDate };
          let now = zonedMidnight(startDate, timezone).getTime();
          let after: Date | undefined;
          const seen: Interval[] = [];
          for (const step of steps) {
            now += step;
            // the daemon calls again while truncated: the bound delays, never drops
            for (let guard = 0; guard < 10_000; guard++) {
              const r = dueIntervals(spec, { now: new Date(now), ...(after ? { after } : {}), limit });
              for (const i of r.due) {
                expect(i.end.getTime()).toBeLessThanOrEqual(now);
                expect(i.start.getTime()).toBeLessThan(i.end.getTime());
              }
              seen.push(...r.due);
              if (r.due.length > 0) after = r.due.at(-1)!.start;
              if (!r.truncated) break;
            }
          }
          const starts = seen.map((i) => i.start.getTime());
          // oldest first, never twice
          for (let k = 1; k < starts.length; k++) expect(starts[k]!).toBeGreaterThan(starts[k - 1]!);
          // none skipped: exactly the fire times from startDate whose interval ended by now
          const lower = zonedMidnight(startDate, timezone);
          const fires = fireTimes(spec, new Date(lower.getTime() - 1), new Date(now), 100_000);
          const expected = fires.slice(0, -1).map((f) => f.getTime());
          expect(starts).toEqual(expected);
          // contiguous: each interval ends where the next begins
          for (let k = 1; k < seen.length; k++) expect(seen[k]!.start.getTime()).toBe(seen[k - 1]!.end.getTime());
        },
      ),
      { numRuns: 30 },
    );
  });

  it('catchup false: never twice, ascending, only intervals that ended', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...crons),
        fc.constantFrom(...zones),
        fc.array(fc.integer({ min: 0, max: 5 * 86_400_000 }), { minLength: 1, maxLength: 15 }),
        (cron, timezone, steps) => {
          const spec: ScheduleSpec = { cron, timezone, catchup: false };
          let now = base;
          let after: Date | undefined;
          const starts: number[] = [];
          for (const step of steps) {
            now += step;
            const r = dueIntervals(spec, { now: new Date(now), ...(after ? { after } : {}), limit: 50 });
            expect(r.due.length).toBeLessThanOrEqual(1);
            for (const i of r.due) {
              expect(i.end.getTime()).toBeLessThanOrEqual(now);
              if (r.nextDue) expect(r.nextDue.getTime()).toBeGreaterThan(now);
              starts.push(i.start.getTime());
              after = i.start;
            }
          }
          for (let k = 1; k < starts.length; k++) expect(starts[k]!).toBeGreaterThan(starts[k - 1]!);
        },
      ),
      { numRuns: 40 },
    );
  });
});
