/**
 * How commands that report diagnostics print them for people, and the flags that tune it (shared by validate,
 * compile, check and watch): --quiet (errors only), --verbose (every target note, unfolded), --max-warnings N
 * (exit 1 above N warnings, like eslint).
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { foldCapabilityNotes } from '../diagnostics/fold.js';
import { summarize } from '../diagnostics/format-summary.js';
import { formatText } from '../diagnostics/format-text.js';
import { plural } from '../emit/report.js';
import { wholeNumber } from './args.js';

export const DIAGNOSTIC_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean' },
  'max-warnings': { type: 'string' },
} as const;

/** The --help lines of DIAGNOSTIC_OPTIONS (one place, so every command describes them alike). */
export const DIAGNOSTIC_OPTIONS_HELP = `  -q, --quiet           report errors only (warnings are still counted)
  --verbose             show every target capability note (PW3xx); by default they are folded into one line per
                        code, target and pipeline
  --max-warnings <n>    exit 1 when there are more than n warnings (after pipewright.yaml's levels)`;

export interface DiagnosticView {
  quiet: boolean;
  verbose: boolean;
  maxWarnings?: number;
}

export function diagnosticView(values: {
  quiet?: boolean;
  verbose?: boolean;
  'max-warnings'?: string;
}): DiagnosticView {
  const maxWarnings = wholeNumber(values['max-warnings'], '--max-warnings');
  return {
    quiet: values.quiet === true,
    verbose: values.verbose === true,
    ...(maxWarnings !== undefined ? { maxWarnings } : {}),
  };
}

/**
 * Text for people: positions, frames, folded notes and the summary line. Empty when there is nothing to show, unless
 * `summaryAlways` (validate ends with its summary line even when clean); --quiet without errors prints nothing.
 */
export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  files: number,
  sources: ReadonlyMap<string, string>,
  view: DiagnosticView,
  options: { color: boolean; summaryAlways?: boolean },
): string {
  const { color } = options;
  if (diagnostics.length === 0 && !options.summaryAlways) return '';
  const summary = summarize({ diagnostics, files });
  const visible = view.quiet ? diagnostics.filter((d) => d.severity === 'error') : diagnostics;
  if (view.quiet && visible.length === 0) return '';
  const { shown, notes } = view.verbose ? { shown: visible, notes: undefined } : foldCapabilityNotes(visible);
  return formatText({ diagnostics: shown, files, sources }, { color, summary, ...(notes ? { notes } : {}) });
}

/** The --max-warnings verdict: a message when there are more warnings than allowed. */
export function warningLimitExceeded(diagnostics: readonly Diagnostic[], view: DiagnosticView): string | undefined {
  if (view.maxWarnings === undefined) return undefined;
  const { warnings } = summarize({ diagnostics, files: 0 });
  if (warnings <= view.maxWarnings) return undefined;
  return `${plural(warnings, 'warning')}, more than --max-warnings ${view.maxWarnings} allows`;
}
