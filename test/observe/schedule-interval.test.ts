import { describe, expect, it } from 'vitest';
import { expectedIntervalSeconds } from '../../src/observe/schedule-interval.js';

const FROM = new Date('2024-03-01T00:00:00Z');

describe('expectedIntervalSeconds', () => {
  it.each([
    ['0 5 * * *', 'UTC', 86_400],
    ['@hourly', undefined, 3_600],
    ['0 3 * * 1', 'America/New_York', 7 * 86_400 + 3_600], // the DST change in the year makes one week an hour longer
    ['0 6 * * 1-5', 'UTC', 3 * 86_400], // Friday → Monday
  ])('%s (%s) → %d s', (schedule, tz, seconds) => {
    expect(expectedIntervalSeconds(schedule, tz, FROM)).toBe(seconds);
  });

  it('is undefined for a schedule that does not parse', () => {
    expect(expectedIntervalSeconds('not cron', 'UTC', FROM)).toBeUndefined();
  });
});
