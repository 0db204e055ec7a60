/**
 * Folding target-capability notes (PW3xx) for people: compile reports one note per use of a feature a target cannot
 * express, so a project with ten timeouts gets ten identical PW302 notes. Text output shows the first note of each
 * (file, code, target) with its frame and one line for the rest; `--verbose` shows every one. JSON and Code Quality
 * output are never folded.
 */
import type { Diagnostic } from './diagnostic.js';

export interface Folded {
  /** The diagnostics to print, in their original order. */
  shown: Diagnostic[];
  /** Shown diagnostic → the line that stands for the ones folded into it. */
  notes: Map<Diagnostic, string>;
}

const TARGET_TITLES: Record<string, string> = { compose: 'Docker Compose', k8s: 'Kubernetes', gitlab: 'GitLab CI' };

export function isCapabilityNote(d: Diagnostic): boolean {
  return d.severity === 'warning' && d.code.startsWith('PW3');
}

export function foldCapabilityNotes(diagnostics: readonly Diagnostic[]): Folded {
  const groups = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (!isCapabilityNote(d)) continue;
    const key = `${d.file}\0${d.code}\0${d.target ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const folded = new Set<Diagnostic>();
  const notes = new Map<Diagnostic, string>();
  for (const [first, ...rest] of groups.values()) {
    if (!first || rest.length === 0) continue;
    for (const d of rest) folded.add(d);
    const target = first.target ? ` for ${TARGET_TITLES[first.target] ?? first.target}` : '';
    const lines = rest.map((d) => d.range.start.line).join(', ');
    notes.set(
      first,
      `  …and ${rest.length} more ${first.code} note${rest.length === 1 ? '' : 's'}${target} in ${first.file} (line${rest.length === 1 ? '' : 's'} ${lines}; --verbose shows each)`,
    );
  }
  return { shown: diagnostics.filter((d) => !folded.has(d)), notes };
}
