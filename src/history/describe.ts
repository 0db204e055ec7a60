import type { Change, ChangeValue } from './change.js';
import type { SettingChange } from './environments.js';
import type { DiffReport } from './report.js';

/**
 * `tasks.extract.retries: 2 → 3`, `tasks.load.outputs: removed warehouse://x`, `tasks.publish: added <image>`; a change
 * an environment's override made starts with the environment: `prod: tasks.load.image: …:1.2 → …:1.3`.
 */
export function describeChange(
  c: Change,
  show: { path: (p: string) => string; value: (v: string) => string } = PLAIN,
): string {
  const path = `${c.environment === undefined ? '' : `${show.value(c.environment)}: `}${show.path(c.path)}`;
  const value = (v: ChangeValue) => show.value(valueText(v));
  const reach = c.tasks === undefined ? '' : ` (${plural(c.tasks.length, 'task')}: ${c.tasks.join(', ')})`;
  if (c.kind === 'changed') return `${path}: ${value(c.before ?? '')} → ${value(c.after ?? '')}${reach}`;
  if (c.kind === 'added')
    return `${c.after === undefined ? `${path}: added` : `${path}: added ${value(c.after)}`}${reach}`;
  return `${c.before === undefined ? `${path}: removed` : `${path}: removed ${value(c.before)}`}${reach}`;
}

/** A value as text: strings as they are, numbers and booleans as YAML writes them, lists as JSON. */
export function valueText(v: ChangeValue): string {
  return typeof v === 'string' ? v : Array.isArray(v) ? JSON.stringify(v) : String(v);
}

const PLAIN = { path: (p: string) => p, value: (v: string) => v };

export function versionText(v: { before?: string; after?: string }): string {
  if (v.before === undefined) return v.after ?? '';
  if (v.after === undefined) return v.before;
  if (v.before === v.after) return `${v.before} (unchanged)`;
  return `${v.before} → ${v.after}`;
}

export interface DiffSummary {
  added: number;
  removed: number;
  modified: number;
  breaking: number;
  violations: number;
  impacts: number;
}

export function summarize(report: DiffReport): DiffSummary {
  const count = (s: string) => report.pipelines.filter((p) => p.status === s).length;
  return {
    added: count('added'),
    removed: count('removed'),
    modified: count('modified'),
    breaking: report.pipelines.reduce((n, p) => n + p.changes.filter((c) => c.severity === 'breaking').length, 0),
    violations: report.pipelines.filter((p) => p.policy === 'violation').length,
    impacts: report.pipelines.reduce((n, p) => n + p.impacts.length, 0),
  };
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Label of a side: a short SHA, or the working tree. */
export function sideLabel(side: string): string {
  return /^[0-9a-f]{40,64}$/.test(side) ? side.slice(0, 12) : side;
}

/** `namespace: pipelines-staging → pipelines-prod` (an environment setting of `diff --env`). */
export function describeSetting(c: SettingChange, show: (v: string) => string = (v) => v): string {
  if (c.before === undefined) return `${c.setting}: added ${show(c.after ?? '')}`;
  if (c.after === undefined) return `${c.setting}: removed ${show(c.before)}`;
  return `${c.setting}: ${show(c.before)} → ${show(c.after)}`;
}
