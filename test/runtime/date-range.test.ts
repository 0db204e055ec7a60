import { describe, expect, it } from 'vitest';
import { datesSummary, type RunJson } from '../../src/runtime/report.js';
import { dateRange, outsideDateRange } from '../../src/runtime/resolve.js';

describe('backfill dates against spec.startDate..spec.endDate', () => {
  const range = { pipeline: 'p', startDate: '2024-01-10', endDate: '2024-01-20' };

  it('accepts dates inside the range (inclusive) and pipelines without one', () => {
    expect(outsideDateRange(dateRange('2024-01-10', '2024-01-20'), range)).toBeUndefined();
    expect(outsideDateRange(['1999-01-01'], { pipeline: 'p' })).toBeUndefined();
  });

  it('says which dates are outside, why, and what would run', () => {
    expect(outsideDateRange(['2024-01-09', '2024-01-10'], range)).toBe(
      'p has no runs for 2024-01-09 is before its spec.startDate 2024-01-10; run --date 2024-01-10',
    );
    expect(outsideDateRange(dateRange('2024-01-19', '2024-01-25'), range)).toBe(
      'p has no runs for 5 dates (2024-01-21 … 2024-01-25) are after its spec.endDate 2024-01-20; run --backfill 2024-01-19..2024-01-20',
    );
    expect(outsideDateRange(['2024-01-01', '2024-02-01'], range)).toBe(
      'p has no runs for 2024-01-01 is before its spec.startDate 2024-01-10 and 2024-02-01 is after its spec.endDate 2024-01-20',
    );
  });

  it('summarises a backfill in one line', () => {
    const r = (status: 'succeeded' | 'failed', skipped = false) => ({ status, skipped }) as RunJson;
    expect(datesSummary([r('succeeded'), r('succeeded'), r('failed')], 3)).toBe('3 dates: 2 succeeded, 1 failed');
    expect(datesSummary([r('succeeded', true), r('succeeded')], 3)).toBe(
      '3 dates: 1 succeeded, 1 skipped (already done), 1 not run (interrupted)',
    );
    expect(datesSummary([r('succeeded')], 1)).toBe('1 date: 1 succeeded');
  });
});
