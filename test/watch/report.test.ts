import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { clockTime, jsonEvent, statusLine } from '../../src/watch/report.js';
import type { RebuildEvent } from '../../src/watch/session.js';

const at = new Date(2026, 0, 2, 12, 0, 1);

function event(overrides: Partial<RebuildEvent>): RebuildEvent {
  return {
    event: 'rebuild',
    initial: false,
    changed: [],
    rebuilt: [],
    deleted: [],
    written: [],
    removed: [],
    failing: [],
    diagnostics: [],
    fresh: [],
    sources: new Map(),
    ms: 14,
    ...overrides,
  };
}

const error: Diagnostic = {
  file: 'pipelines/a.yaml',
  range: { start: { line: 3, column: 5 }, end: { line: 3, column: 9 } },
  severity: 'error',
  code: 'PW100',
  message: 'boom',
};

describe('status line', () => {
  it('says what was rebuilt, how many files changed, were written and removed, and how long it took', () => {
    const line = statusLine(
      event({ changed: ['pipelines/daily-orders.yaml'], rebuilt: ['daily-orders'], written: ['a', 'b', 'c'] }),
      at,
    );
    expect(line).toBe('[12:00:01] rebuilt daily-orders (1 changed): 3 written, 0 removed in 14 ms');
  });

  it('caps long name lists and reports failing specs with their error count', () => {
    const line = statusLine(
      event({
        changed: ['a', 'b', 'c', 'd', 'e'],
        rebuilt: ['p1', 'p2', 'p3', 'p4'],
        failing: ['pipelines/a.yaml'],
        diagnostics: [error, { ...error, severity: 'warning' }],
      }),
      at,
    );
    expect(line).toBe(
      '[12:00:01] rebuilt p1, p2, p3 +1 more (5 changed): 0 written, 0 removed in 14 ms; 1 error in pipelines/a.yaml (last good output kept)',
    );
  });

  it('describes the initial build and a rebuild that only failed', () => {
    expect(statusLine(event({ initial: true, changed: ['x', 'y'], rebuilt: ['x'], written: ['1'] }), at)).toBe(
      '[12:00:01] compiled 1 pipeline (2 specs): 1 written, 0 removed in 14 ms',
    );
    expect(
      statusLine(
        event({ changed: ['pipelines/a.yaml'], failing: ['pipelines/a.yaml'], diagnostics: [error, error] }),
        at,
      ),
    ).toBe(
      '[12:00:01] no pipeline rebuilt (1 changed): 0 written, 0 removed in 14 ms; 2 errors in pipelines/a.yaml (last good output kept)',
    );
  });

  it('names deleted pipelines', () => {
    expect(
      statusLine(
        event({ changed: ['pipelines/u.yaml'], deleted: ['users-sync'], written: ['x'], removed: ['a', 'b'] }),
        at,
      ),
    ).toBe('[12:00:01] deleted users-sync (1 changed): 1 written, 2 removed in 14 ms');
    expect(statusLine(event({ changed: ['p/a.yaml', 'p/b.yaml'], rebuilt: ['b'], deleted: ['a'] }), at)).toBe(
      '[12:00:01] rebuilt b, deleted a (2 changed): 0 written, 0 removed in 14 ms',
    );
  });

  it('pads the clock', () => {
    expect(clockTime(new Date(2026, 0, 1, 7, 5, 9))).toBe('07:05:09');
  });
});

describe('json event', () => {
  it('is one JSON object with the documented fields, without sources', () => {
    const line = jsonEvent(event({ changed: ['a.yaml'], written: ['compose/a.compose.yaml'], diagnostics: [error] }));
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      event: 'rebuild',
      initial: false,
      changed: ['a.yaml'],
      rebuilt: [],
      deleted: [],
      written: ['compose/a.compose.yaml'],
      removed: [],
      failing: [],
      diagnostics: [
        {
          file: 'pipelines/a.yaml',
          line: 3,
          column: 5,
          endLine: 3,
          endColumn: 9,
          severity: 'error',
          code: 'PW100',
          message: 'boom',
        },
      ],
      ms: 14,
    });
  });
});
