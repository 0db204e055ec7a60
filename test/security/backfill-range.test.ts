/**
 * Issue 11 item 4 (backfill ranges): `run --backfill 9999-12-31..9999-12-31` looped until memory ran out (the day
 * after 9999-12-31 prints as "+010000-01-01", which sorts before "9999-…"). Ranges are validated and counted
 * numerically before any list is built; a range is capped at 3660 dates, whatever its years.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dateRange, dateRangeLength } from '../../src/runtime/resolve.js';
import { assertBuilt, BUILT_CLI } from '../runtime/built.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-backfill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The built CLI in a child with a deadline: a loop shows up as a kill, not as a hung test run. */
function run(...args: string[]) {
  assertBuilt();
  return spawnSync(process.execPath, [BUILT_CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
}

describe('date ranges', () => {
  it('the last representable date is a range of one, counted without iterating', () => {
    expect(dateRangeLength('9999-12-31', '9999-12-31')).toBe(1);
    expect(dateRange('9999-12-31', '9999-12-31')).toEqual(['9999-12-31']);
    expect(dateRange('9999-12-30', '9999-12-31')).toEqual(['9999-12-30', '9999-12-31']);
    expect(dateRangeLength('1000-01-01', '9999-12-31')).toBe(3_287_182);
    expect(dateRangeLength('2024-03-01', '2024-02-28')).toBe(0);
  });

  it('run --backfill at the end of the calendar ends at once (no loop) with the next error, the pipeline', () => {
    const r = run('run', 'nope', '--backfill', '9999-12-31..9999-12-31');
    expect(r.signal).toBeNull();
    expect(r.stderr).not.toContain('--backfill');
    expect(r.status).not.toBe(0);
  });

  it('a range over the cap is refused before any date list exists, whatever its years', () => {
    for (const range of ['1000-01-01..9999-12-31', '2024-01-01..9999-12-31']) {
      const r = run('run', 'nope', '--backfill', range);
      expect(r.signal).toBeNull();
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--backfill covers [\d,]+ dates; at most 3660 at once/);
    }
  });
});
