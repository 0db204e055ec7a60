/**
 * Per-run values: the PIPEWRIGHT_* variables of a run (built-ins and params) and each task's argv and environment,
 * interpolated from the Compose artifact's notation exactly as Compose would (interpolateCompose).
 */
import { BUILTIN_ENV } from '../model/ir.js';
import { interpolateCompose } from '../targets/compose/interpolate.js';
import type { RunPlan, RunTask } from './plan.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isLogicalDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

const DAY_MS = 86_400_000;

/** Midnight UTC of a YYYY-MM-DD date in milliseconds (years 0–99 are not remapped to 19xx). */
function dayMs(date: string): number {
  const m = DATE.exec(date);
  if (!m) throw new Error(`not a logical date: ${JSON.stringify(date)}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getTime();
}

/**
 * How many dates FROM..TO holds (inclusive; 0 when TO is before FROM), by arithmetic on day numbers: no list is built
 * and no date is formatted, so any range is counted at once (comparing formatted dates fails past 9999-12-31, whose
 * next day prints as "+010000-01-01").
 */
export function dateRangeLength(from: string, to: string): number {
  return Math.max(0, Math.round((dayMs(to) - dayMs(from)) / DAY_MS) + 1);
}

/** Inclusive list of dates FROM..TO, in order; bounded by the numeric day count (check dateRangeLength first). */
export function dateRange(from: string, to: string): string[] {
  const start = dayMs(from);
  return Array.from({ length: dateRangeLength(from, to) }, (_, i) =>
    new Date(start + i * DAY_MS).toISOString().slice(0, 10),
  );
}

/**
 * Values of every declared param: given on the command line, else the default. Returns the problems (unknown names,
 * missing required params, values outside enum) instead of throwing.
 */
export function resolveParams(
  plan: Pick<RunPlan, 'params'>,
  given: Readonly<Record<string, string>>,
): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  const declared = new Set(plan.params.map((p) => p.name));
  for (const name of Object.keys(given).sort()) {
    if (!declared.has(name)) {
      problems.push(`unknown parameter '${name}' (declared: ${plan.params.map((p) => p.name).join(', ') || 'none'})`);
    }
  }
  for (const param of plan.params) {
    const value = Object.hasOwn(given, param.name) ? given[param.name] : param.default;
    if (value === undefined) {
      problems.push(`parameter '${param.name}' has no default: pass --param ${param.name}=VALUE`);
      continue;
    }
    if (param.enum && !param.enum.includes(value)) {
      problems.push(`parameter '${param.name}' must be one of ${param.enum.join(', ')} (got '${value}')`);
      continue;
    }
    values[param.name] = value;
  }
  return { values, problems };
}

/** Every PIPEWRIGHT_* variable of a run: built-ins and one per param (always passed explicitly). */
export function runVariables(
  plan: Pick<RunPlan, 'params'>,
  run: { logicalDate: string; runId: string; params: Readonly<Record<string, string>>; ts?: string },
): Record<string, string> {
  const vars: Record<string, string> = {
    [BUILTIN_ENV.ds]: run.logicalDate,
    [BUILTIN_ENV.ds_nodash]: run.logicalDate.replaceAll('-', ''),
    [BUILTIN_ENV.ts]: run.ts ?? `${run.logicalDate}T00:00:00Z`,
    [BUILTIN_ENV.run_id]: run.runId,
  };
  for (const param of plan.params) {
    const value = run.params[param.name];
    if (value === undefined) throw new Error(`runVariables: no value for param ${param.name} (resolveParams first)`);
    vars[param.env] = value;
  }
  return vars;
}

export interface ResolvedTask {
  argv: string[];
  /** Run variables + the task's environment (secrets are added by the executor, never stored). */
  env: Record<string, string>;
}

/** The argv and environment a task sees in this run. Throws ComposeInterpolationError on malformed Compose text. */
export function resolveTask(task: RunTask, vars: Readonly<Record<string, string>>): ResolvedTask {
  const env: Record<string, string> = { ...vars };
  for (const [name, value] of Object.entries(task.environment)) env[name] = interpolateCompose(value, vars);
  return { argv: task.command.map((word) => interpolateCompose(word, vars)), env };
}

/**
 * Why some of the requested dates are outside the pipeline's spec.startDate..spec.endDate (a pipeline has no runs
 * before it starts or after it ends), with the range that would be accepted; undefined when all are inside.
 */
export function outsideDateRange(
  dates: readonly string[],
  range: { pipeline: string; startDate?: string; endDate?: string },
): string | undefined {
  const before = range.startDate === undefined ? [] : dates.filter((d) => d < range.startDate!);
  const after = range.endDate === undefined ? [] : dates.filter((d) => d > range.endDate!);
  if (before.length === 0 && after.length === 0) return undefined;
  const list = (ds: string[]) => (ds.length <= 3 ? ds.join(', ') : `${ds[0]} … ${ds[ds.length - 1]}`);
  const reasons: string[] = [];
  if (before.length > 0)
    reasons.push(
      `${before.length === 1 ? `${before[0]} is` : `${before.length} dates (${list(before)}) are`} before its spec.startDate ${range.startDate}`,
    );
  if (after.length > 0)
    reasons.push(
      `${after.length === 1 ? `${after[0]} is` : `${after.length} dates (${list(after)}) are`} after its spec.endDate ${range.endDate}`,
    );
  const inside = dates.filter((d) => !before.includes(d) && !after.includes(d));
  const hint =
    inside.length === 0
      ? ''
      : inside.length === 1
        ? `; run --date ${inside[0]}`
        : `; run --backfill ${inside[0]}..${inside[inside.length - 1]}`;
  return `${range.pipeline} has no runs for ${reasons.join(' and ')}${hint}`;
}
