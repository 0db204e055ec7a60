import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { toJsonReport } from '../diagnostics/format-json.js';
import type { RebuildEvent } from './session.js';

/** `HH:MM:SS` of the local clock: the status line is for the person watching the terminal. */
export function clockTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** At most `max` names, then `+N more`: a 200-file checkout must not print a 200-name line. */
function names(list: readonly string[], max = 3): string {
  if (list.length <= max) return list.join(', ');
  return `${list.slice(0, max).join(', ')} +${list.length - max} more`;
}

function countErrors(diagnostics: readonly Diagnostic[]): number {
  return diagnostics.filter((d) => d.severity === 'error').length;
}

/**
 * One line per rebuild, e.g.
 * `[12:00:01] rebuilt daily-orders (1 changed): 3 written, 0 removed in 14 ms`
 * `[12:00:05] deleted users-sync (1 changed): 1 written, 3 removed in 6 ms`
 * `[12:00:09] no pipeline rebuilt (1 changed): 0 written, 0 removed in 3 ms; 2 errors in pipelines/a.yaml (last good output kept)`
 */
export function statusLine(event: RebuildEvent, now: Date): string {
  const parts: string[] = [];
  if (event.rebuilt.length > 0) parts.push(`rebuilt ${names(event.rebuilt)}`);
  if (event.deleted.length > 0) parts.push(`deleted ${names(event.deleted)}`);
  const what = event.initial
    ? `compiled ${plural(event.rebuilt.length, 'pipeline')}`
    : parts.length > 0
      ? parts.join(', ')
      : 'no pipeline rebuilt';
  let line = `[${clockTime(now)}] ${what} (${event.changed.length} ${event.initial ? 'specs' : 'changed'}): ${event.written.length} written, ${event.removed.length} removed in ${event.ms} ms`;
  if (event.failing.length > 0) {
    const errors = countErrors(event.diagnostics);
    line += `; ${plural(errors, 'error')} in ${names(event.failing)} (last good output kept)`;
  }
  return line;
}

/**
 * The `--format json` line for editor integrations: one object per rebuild, with every current diagnostic of the
 * project (the same fields as `validate --format json`), so an editor can replace its whole problem list.
 */
export function jsonEvent(event: RebuildEvent): string {
  return JSON.stringify({
    event: 'rebuild',
    initial: event.initial,
    changed: event.changed,
    rebuilt: event.rebuilt,
    deleted: event.deleted,
    written: event.written,
    removed: event.removed,
    failing: event.failing,
    diagnostics: toJsonReport({ diagnostics: event.diagnostics, files: 0 }).diagnostics,
    ms: event.ms,
  });
}

/** Non-rebuild events of `--format json`: `{"event":"warning"|"error","message":…}`. */
export function jsonMessage(event: 'warning' | 'error', message: string): string {
  return JSON.stringify({ event, message });
}
