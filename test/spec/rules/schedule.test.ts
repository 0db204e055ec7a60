import { describe, expect, it } from 'vitest';
import { checkSchedule, invalidCron } from '../../../src/spec/rules/invalid-cron.js';
import { invalidDate } from '../../../src/spec/rules/invalid-date.js';
import { invalidTimezone, isValidTimeZone } from '../../../src/spec/rules/invalid-timezone.js';
import { checked, covered, pipeline, run } from './helpers.js';

const withSpec = (lines: string) =>
  pipeline(`${lines}
  tasks:
    a: { image: ghcr.io/acme/etl:1.0.0, command: [run] }
`);

describe('PW205 cron', () => {
  it.each([
    '0 5 * * *',
    '*/15 0-6,22-23 * * 1-5',
    '0 0 1 JAN,jul *',
    '30 4 * * SUN',
    '0 0 29 2 *',
    '@hourly',
    '@daily',
    '@weekly',
    '@monthly',
    '  0 5 * * *  ',
  ])('accepts %j', (schedule) => expect(checkSchedule(schedule)).toBeUndefined());

  it.each([
    ['60 5 * * *', "invalid minute field '60' in schedule: got value 60 expected range 0-59"],
    ['0 24 * * *', "invalid hour field '24' in schedule: got value 24 expected range 0-23"],
    ['0 0 0 * *', "invalid day-of-month field '0' in schedule: got value 0 expected range 1-31"],
    ['0 0 * 13 *', "invalid month field '13' in schedule: got value 13 expected range 1-12"],
    ['0 0 * * 8', "invalid day-of-week field '8' in schedule: got value 8 expected range 0-7"],
    ['5-1 * * * *', "invalid minute field '5-1' in schedule: invalid range: 5-1, min(5) > max(1)"],
    ['*/0 * * * *', "invalid minute field '*/0' in schedule: cannot repeat at every 0 time."],
    [
      '0 0 * FOO *',
      "invalid month field 'FOO' in schedule: 'FOO' is not a month name (use JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, NOV, DEC or numbers)",
    ],
    [
      '0 0 * * MON#2',
      "invalid day-of-week field 'MON#2' in schedule: '#' is not supported: use numbers, names, '*', ',', '-' and '/' (extensions such as L, W, #, ? and H are not portable across targets)",
    ],
    [
      '0 0 L * *',
      "invalid day-of-month field 'L' in schedule: 'L' is not supported: use numbers, '*', ',', '-' and '/' (extensions such as L, W, #, ? and H are not portable across targets)",
    ],
    [
      'H * * * *',
      "invalid minute field 'H' in schedule: 'H' is not supported: use numbers, '*', ',', '-' and '/' (extensions such as L, W, #, ? and H are not portable across targets)",
    ],
    ['0 0 30 2 *', "schedule never runs: day-of-month '30' does not occur in month '2'"],
    ['0 5 * *', 'invalid cron schedule: expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
    [
      '0 0 5 * * *',
      'invalid cron schedule: expected 5 fields (minute hour day-of-month month day-of-week), got 6 (a seconds field is not supported)',
    ],
    [
      '@yearly',
      "unsupported schedule '@yearly': use one of @hourly, @daily, @weekly, @monthly or a 5-field cron expression",
    ],
    [
      '@dialy',
      "unsupported schedule '@dialy': use one of @hourly, @daily, @weekly, @monthly or a 5-field cron expression (did you mean '@daily'?)",
    ],
    ['   ', 'empty schedule: write a 5-field cron expression or omit `schedule`'],
  ])('rejects %j', (schedule, message) => expect(checkSchedule(schedule)?.message).toBe(message));

  it('positions the error on the wrong field inside the scalar', () => {
    const src = withSpec('  schedule: "0 24 * * *"');
    const input = checked(src);
    const [d] = invalidCron.check!(input);
    expect(d!.range).toEqual({ start: { line: 8, column: 16 }, end: { line: 8, column: 18 } });
    expect(covered(src, d!)).toBe('24');
    const plain = withSpec('  schedule: 0 0 * * MON#2 # weekly');
    expect(covered(plain, invalidCron.check!(checked(plain))[0]!)).toBe('MON#2');
  });

  it('falls back to the whole scalar when it spans lines', () => {
    const src = withSpec('  schedule: >-\n    0 0 * * 9');
    expect(run(invalidCron, src)).toEqual([
      "8:13-10:1 error PW205 invalid day-of-week field '9' in schedule: got value 9 expected range 0-7",
    ]);
  });
});

describe('PW206 time zone', () => {
  it.each([
    'UTC',
    'Europe/Berlin',
    'America/Argentina/Buenos_Aires',
    'Asia/Kolkata',
    'Asia/Calcutta',
    'US/Eastern',
    'Etc/GMT+1',
    'Etc/UTC',
  ])('accepts %s', (tz) => expect(isValidTimeZone(tz)).toBe(true));
  it.each(['europe/berlin', 'Europe/Berln', 'EST', 'CET', '+01:00', 'Mars/Olympus_Mons', 'Local', ''])(
    'rejects %j',
    (tz) => expect(isValidTimeZone(tz)).toBe(false),
  );

  it('suggests the closest zone', () => {
    expect(run(invalidTimezone, withSpec('  timezone: Europe/Berln'))).toEqual([
      "8:13-8:25 error PW206 time zone 'Europe/Berln' is unknown: use an IANA name such as Europe/Berlin or UTC (did you mean 'Europe/Berlin'?)",
    ]);
    expect(run(invalidTimezone, withSpec('  timezone: europe/berlin'))[0]).toContain("(did you mean 'Europe/Berlin'?)");
    expect(run(invalidTimezone, withSpec('  timezone: Moon/Tranquility'))).toEqual([
      "8:13-8:29 error PW206 time zone 'Moon/Tranquility' is unknown: use an IANA name such as Europe/Berlin or UTC",
    ]);
  });
});

describe('PW216 dates', () => {
  it('rejects impossible calendar dates', () => {
    expect(run(invalidDate, withSpec('  startDate: "2023-02-29"\n  endDate: "2024-13-01"'))).toEqual([
      "8:14-8:26 error PW216 startDate '2023-02-29' is not a calendar date: February 2023 has 28 days",
      "9:12-9:24 error PW216 endDate '2024-13-01' is not a calendar date: month 13 does not exist",
    ]);
    expect(run(invalidDate, withSpec('  startDate: "2024-02-29"\n  endDate: "2024-04-30"'))).toEqual([]);
  });

  it('rejects an end before the start', () => {
    expect(run(invalidDate, withSpec('  startDate: "2024-03-01"\n  endDate: "2024-02-01"'))).toEqual([
      '9:12-9:24 error PW216 endDate 2024-02-01 is before startDate 2024-03-01: the pipeline would never run',
    ]);
  });

  it('warns when catchup has no start date', () => {
    expect(run(invalidDate, withSpec('  catchup: true'))).toEqual([
      '8:12-8:16 warning PW216 catchup: true has no effect without startDate: set the first logical date to backfill from',
    ]);
    expect(run(invalidDate, withSpec('  catchup: true\n  startDate: "2024-01-01"'))).toEqual([]);
  });
});
