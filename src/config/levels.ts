/**
 * Per-code diagnostic levels from the project configuration (`diagnostics:` and `pipelines.<name>.diagnostics:`),
 * applied to warnings after every stage has reported: `off` drops them, `error` makes them errors, `warn` keeps them.
 * Errors are never lowered: a spec with an error cannot be compiled, whatever a setting says.
 */
import type { DiagnosticCode } from '../diagnostics/codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { AdjustableCode, DiagnosticLevel, ProjectConfig } from './types.js';

/** The codes that are reported as warnings (test/config/ checks this list against AdjustableCode and the docs). */
export const ADJUSTABLE_CODES: readonly AdjustableCode[] = [
  'PW102',
  'PW207',
  'PW209',
  'PW216',
  'PW220',
  'PW301',
  'PW302',
  'PW303',
  'PW304',
  'PW305',
];

export function isAdjustable(code: string): code is AdjustableCode {
  return (ADJUSTABLE_CODES as readonly string[]).includes(code);
}

/** The level of `code` in `pipeline` (its own setting first, then the project's); undefined when not configured. */
export function levelOf(
  config: ProjectConfig | undefined,
  code: DiagnosticCode,
  pipeline: string | undefined,
): DiagnosticLevel | undefined {
  if (!config || !isAdjustable(code)) return undefined;
  const own =
    pipeline !== undefined && config.pipelines && Object.hasOwn(config.pipelines, pipeline)
      ? config.pipelines[pipeline]?.diagnostics?.[code]
      : undefined;
  return own ?? config.diagnostics?.[code];
}

/** Whether any level is configured (callers skip the pass otherwise). */
export function hasLevels(config: ProjectConfig | undefined): boolean {
  if (!config) return false;
  if (config.diagnostics && Object.keys(config.diagnostics).length > 0) return true;
  return Object.values(config.pipelines ?? {}).some((p) => p.diagnostics && Object.keys(p.diagnostics).length > 0);
}

/**
 * Apply the configured levels to warnings. `pipelineOf(file)` names the pipeline a file defines (undefined when it
 * could not be read): per-pipeline settings apply to that file's diagnostics. Returns the same array when nothing is
 * configured.
 */
export function applyLevels(
  diagnostics: Diagnostic[],
  config: ProjectConfig | undefined,
  pipelineOf: (file: string) => string | undefined,
): Diagnostic[] {
  if (!hasLevels(config)) return diagnostics;
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.severity !== 'warning') {
      out.push(d);
      continue;
    }
    const level = levelOf(config, d.code, pipelineOf(d.file));
    if (level === 'off') continue;
    out.push(level === 'error' ? { ...d, severity: 'error' } : d);
  }
  return out;
}
