/**
 * Text output for people: `path:line:col: error: message [PWnnn]`, a code frame with the range underlined (secrets
 * masked), and a summary line. Colours only when asked (the CLI asks when stdout is a TTY and NO_COLOR is unset).
 */
import { redactKnownSecrets } from '../spec/secrets.js';
import { codeFrame, FrameSource, sanitizeForTerminal } from './code-frame.js';
import type { Diagnostic, SourceRange } from './diagnostic.js';
import { type DiagnosticReport, type Summary, summarize, summaryLine } from './format-summary.js';
import { limitDiagnostics, omittedLine } from './limit.js';

export interface TextFormatOptions {
  color?: boolean;
  /** Context lines around the range (default 1). */
  context?: number;
  /** A line printed after a diagnostic's frame (e.g. how many similar notes were folded into it, see fold.ts). */
  notes?: ReadonlyMap<Diagnostic, string>;
  /** Counts for the summary line when the report shows only some diagnostics (--quiet, folding). */
  summary?: Summary;
}

/** Codes whose range IS a secret value: the range is masked in every frame of that file, whatever it contains. */
const SECRET_CODES = new Set(['PW210', 'PW211']);

export function formatText(report: DiagnosticReport, options: TextFormatOptions = {}): string {
  const color = options.color ?? false;
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const frames = new Map<string, FrameSource | undefined>();
  const frameSource = (file: string): FrameSource | undefined => {
    if (!frames.has(file)) {
      const source = report.sources?.get(file);
      const mask: SourceRange[] = report.diagnostics
        .filter((d) => d.file === file && SECRET_CODES.has(d.code))
        .map((d) => d.range);
      frames.set(file, source === undefined ? undefined : new FrameSource(source, mask));
    }
    return frames.get(file);
  };
  let out = '';
  const { shown, omitted } = limitDiagnostics(report.diagnostics);
  shown.forEach((d, i) => {
    out += `${paint('1', location(d))}: ${paint(d.severity === 'error' ? '1;31' : '1;33', d.severity)}: ${message(d)} ${paint('2', `[${d.code}]`)}\n`;
    const source = frameSource(d.file);
    if (source) out += codeFrame(source, d.range, { color, context: options.context ?? 1 });
    const note = options.notes?.get(d);
    if (note !== undefined) out += `${paint('2', note)}\n`;
    const more = omitted.get(d.file);
    if (more !== undefined && shown[i + 1]?.file !== d.file)
      out += `${omittedLine(sanitizeForTerminal(d.file), more)}\n`;
  });
  const summary = options.summary ?? summarize(report);
  const line = summaryLine(summary);
  out += `${out === '' ? '' : '\n'}${summary.errors > 0 ? paint('1;31', line) : paint('1', line)}\n`;
  return out;
}

function location(d: Diagnostic): string {
  return `${sanitizeForTerminal(d.file)}:${d.range.start.line}:${d.range.start.column}`;
}

/** Messages are built to be secret-free; redacting again costs nothing and guards against a careless rule. */
function message(d: Diagnostic): string {
  return sanitizeForTerminal(redactKnownSecrets(d.message));
}
