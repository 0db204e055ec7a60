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

/** What identifies a diagnostic across edits: code, message and the text of its line (not the line number, which
 * shifts when a line is added above it). */
function identity(d: Diagnostic, sources: ReadonlyMap<string, string>): string {
  const line = sources.get(d.file)?.split('\n')[d.range.start.line - 1]?.trim() ?? '';
  return `${d.code}\0${d.severity}\0${d.message}\0${line}`;
}

/**
 * watch's text output prints only diagnostics that changed: after the first build, a saved file's diagnostics that
 * were already shown (same code, message and line text) are not repeated. Fixed ones simply stop appearing; the
 * status line says when a spec is still failing.
 */
export class ShownDiagnostics {
  readonly #shown = new Map<string, Set<string>>();

  /** The diagnostics of `fresh` not shown before (`repeated` counts the others); remembers what `event` now reports for every changed file. */
  select(event: Pick<RebuildEvent, 'fresh' | 'changed' | 'sources'>): { show: Diagnostic[]; repeated: number } {
    const show: Diagnostic[] = [];
    let repeated = 0;
    const now = new Map<string, Set<string>>();
    for (const d of event.fresh) {
      const id = identity(d, event.sources);
      const before = this.#shown.get(d.file);
      if (before?.has(id)) repeated++;
      else show.push(d);
      const ids = now.get(d.file) ?? new Set<string>();
      ids.add(id);
      now.set(d.file, ids);
    }
    for (const file of event.changed) this.#shown.delete(file);
    for (const [file, ids] of now) this.#shown.set(file, new Set([...(this.#shown.get(file) ?? []), ...ids]));
    return { show, repeated };
  }
}
