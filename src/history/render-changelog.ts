import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { redactSecrets } from '../spec/secrets.js';
import type { Change, ChangeValue } from './change.js';
import type { Changelog } from './changelog.js';
import { describeChange, valueText } from './describe.js';
import { HistoryError } from './errors.js';
import { codeSpan, mdCode, mdText } from './markdown.js';
import { redactDeep } from './redact.js';
import { renderChangelogJson } from './render-json.js';

/** Helpers available to changelog templates: the only ones (knownHelpersOnly), documented in docs/versioning.md. */
const HELPERS: Record<string, (...args: unknown[]) => unknown> = {
  /** First 12 characters of a commit SHA. */
  short: (sha) => String(sha ?? '').slice(0, 12),
  /** Markdown-inert text. */
  md: (text) => mdText(String(text ?? '')),
  /** Inline code look for any text. */
  code: (text) => mdCode(String(text ?? '')),
  /** YYYY-MM-DD of an ISO date. */
  day: (date) => String(date ?? '').slice(0, 10),
  /** A change as one markdown line: `path`: before → after. */
  change: (c) => {
    // The template data is the json shape (absent values are null).
    const { before, after, ...rest } = c as Change & { before: string | null; after: string | null };
    const change = { ...rest, ...(before !== null ? { before } : {}), ...(after !== null ? { after } : {}) } as Change;
    return describeChange(change, { path: (p) => mdCode(p), value: (v) => mdCode(v) });
  },
  /** Inline code as a markdown code span (no HTML): the fence is longer than any backtick run inside. */
  tick: (text) => codeSpan(valueText((text ?? '') as ChangeValue)),
  /**
   * A change as a release-note line without HTML, for the Added / Changed / Removed sections (which say the kind):
   * `path`: `before` → `after`, `path`: `value`, or `path`; plus the tasks a default reaches.
   */
  item: (c) => {
    const { path, kind, before, after, tasks, environment } = c as Change & {
      before: ChangeValue | null;
      after: ChangeValue | null;
      tasks?: string[];
    };
    const value = (v: ChangeValue) => codeSpan(valueText(v));
    const reach = tasks
      ? ` (${tasks.length === 1 ? 'task' : 'tasks'} ${tasks.map((t) => codeSpan(t)).join(', ')})`
      : '';
    const shown = kind === 'changed' ? before : kind === 'added' ? after : before;
    // an environment's override change: `prod: tasks.load.image` (docs/environments.md)
    const where = environment === undefined ? codeSpan(path) : `${mdText(environment)}: ${codeSpan(path)}`;
    if (kind === 'changed' && before !== null && after !== null)
      return `${where}: ${value(before)} → ${value(after)}${reach}`;
    return `${where}${shown !== null && shown !== undefined ? `: ${value(shown)}` : ''}${reach}`;
  },
  /** The changes of one kind, for Added / Changed / Removed sections: `{{#with (only changes "added")}}`. */
  only: (changes, kind) => (Array.isArray(changes) ? changes.filter((c) => c?.kind === kind) : []),
  /** Equality, for `{{#if (eq status "unreleased")}}`. */
  eq: (a, b) => a === b,
  /** JSON of a value, for templates that emit machine-readable blocks. */
  json: (value) => JSON.stringify(value),
};

const DEFAULT_TEMPLATE = fileURLToPath(new URL('./templates/changelog.md.hbs', import.meta.url));

export function defaultChangelogTemplate(): string {
  return readFileSync(DEFAULT_TEMPLATE, 'utf8');
}

/**
 * Render the changelog through a Handlebars template, locked down: a private environment (`Handlebars.create()`),
 * strict mode (unknown fields are errors, not empty strings), known helpers only (ours, plus `if`/`unless`/`each`/
 * `with`; `lookup` and `log` are disabled), Handlebars' default prototype-access denial left on, no HTML escaping
 * (the output is markdown; user text goes through the `md`/`code` helpers). The data is plain JSON with secrets
 * redacted. Template errors become HistoryErrors positioned `file:line:col`.
 */
export function renderChangelog(
  changelog: Changelog,
  template: { name: string; source: string } = { name: 'changelog.md.hbs', source: defaultChangelogTemplate() },
): string {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(HELPERS))
    hb.registerHelper(name, (...args: unknown[]) => fn(...args.slice(0, -1)));
  hb.unregisterHelper('lookup');
  hb.unregisterHelper('log');
  const knownHelpers = Object.fromEntries([
    ...Object.keys(HELPERS).map((k) => [k, true]),
    ['lookup', false],
    ['log', false],
  ]);
  // Exactly the json format as plain data: every key present, so strict mode only fails on real typos.
  const data = JSON.parse(renderChangelogJson(redactDeep(changelog))) as unknown;
  let text: string;
  try {
    const render = hb.compile(template.source, { strict: true, knownHelpersOnly: true, knownHelpers, noEscape: true });
    text = render(data);
  } catch (error) {
    throw new HistoryError(templateError(template.name, error));
  }
  if (text.length > MAX_CHANGELOG_BYTES) {
    const mib = (n: number) => Math.ceil(n / (1024 * 1024));
    throw new HistoryError(
      `${template.name}: the template renders ${mib(text.length)} MiB; the limit is ${mib(MAX_CHANGELOG_BYTES)} MiB (does it repeat long fields or nest loops over the same list?)`,
    );
  }
  return redactSecrets(text);
}

/** Largest rendered changelog: a template that multiplies its data fails here instead of flooding the output. */
export const MAX_CHANGELOG_BYTES = 16 * 1024 * 1024;

function templateError(name: string, error: unknown): string {
  const e = error as { message?: string; lineNumber?: number; column?: number };
  const message = String(e.message ?? error);
  const parse = /^Parse error on line (\d+):\n([\s\S]*)$/.exec(message);
  if (parse) return `${name}:${parse[1]}: template syntax error:\n${parse[2]}`;
  const text = message.replace(/ - \d+:\d+$/, '');
  const where = typeof e.lineNumber === 'number' ? `${e.lineNumber}:${(e.column ?? 0) + 1}` : '1';
  const hint = /not defined in/.test(text)
    ? ' (the changelog data has no such field; fields are listed in docs/versioning.md)'
    : '';
  return `${name}:${where}: ${text}${hint}`;
}
