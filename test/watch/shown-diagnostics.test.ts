/** watch's text output prints each diagnostic once: after a save, only new or changed diagnostics of that file. */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { ShownDiagnostics } from '../../src/watch/report.js';

const at = (line: number) => ({ start: { line, column: 3 }, end: { line, column: 9 } });
const d = (file: string, line: number, code: Diagnostic['code'], message = code): Diagnostic => ({
  file,
  range: at(line),
  severity: 'warning',
  code,
  message,
});

describe('ShownDiagnostics', () => {
  it('repeats nothing already shown, even when a line was added above it; shows what is new or changed', () => {
    const shown = new ShownDiagnostics();
    const v1 = 'a: 1\ntimeout: 5m\nschedule: x\n';
    const first = [d('a.yaml', 2, 'PW302'), d('a.yaml', 3, 'PW303')];
    expect(shown.select({ fresh: first, changed: ['a.yaml'], sources: new Map([['a.yaml', v1]]) })).toEqual({
      show: first,
      repeated: 0,
    });
    // a comment line added on top: both notes moved one line down, nothing new to say
    const v2 = `# note\n${v1}`;
    const moved = [d('a.yaml', 3, 'PW302'), d('a.yaml', 4, 'PW303')];
    expect(shown.select({ fresh: moved, changed: ['a.yaml'], sources: new Map([['a.yaml', v2]]) })).toEqual({
      show: [],
      repeated: 2,
    });
    // the timeout edited: that note is new (its line changed), the schedule note is not repeated
    const v3 = v2.replace('5m', '9m');
    const edited = [d('a.yaml', 3, 'PW302'), d('a.yaml', 4, 'PW303')];
    expect(shown.select({ fresh: edited, changed: ['a.yaml'], sources: new Map([['a.yaml', v3]]) })).toEqual({
      show: [edited[0]],
      repeated: 1,
    });
    // fixed, then broken again the same way: shown again (it went away in between)
    shown.select({ fresh: [], changed: ['a.yaml'], sources: new Map() });
    expect(shown.select({ fresh: edited, changed: ['a.yaml'], sources: new Map([['a.yaml', v3]]) }).show).toEqual(
      edited,
    );
  });
});
