/**
 * GitLab Code Quality report (a subset of the Code Climate format): with `artifacts: reports: codequality:`, merge
 * requests show each finding inline. Fingerprints are stable across runs and across line moves (file, code, message
 * and the occurrence number), so GitLab tracks a finding instead of seeing it fixed and re-introduced.
 */
import { createHash } from 'node:crypto';
import { redactKnownSecrets } from '../spec/secrets.js';
import { CODES } from './codes.js';
import type { DiagnosticReport } from './format-summary.js';
import { limitDiagnostics } from './limit.js';

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number; end: number } };
}

export function toCodeQuality(report: DiagnosticReport): CodeQualityIssue[] {
  const occurrences = new Map<string, number>();
  // The same per-file limit as every format: GitLab shows each issue inline, thousands of them help nobody.
  return limitDiagnostics(report.diagnostics).shown.map((d) => {
    const description = `${redactKnownSecrets(d.message)} [${d.code}]`;
    const identity = `${d.file}\0${d.code}\0${description}`;
    const n = (occurrences.get(identity) ?? 0) + 1;
    occurrences.set(identity, n);
    return {
      description,
      check_name: `pipewright/${d.code}-${CODES[d.code]}`,
      fingerprint: createHash('sha256').update(`${identity}\0${n}`).digest('hex'),
      severity: d.severity === 'error' ? 'major' : 'minor',
      location: { path: d.file, lines: { begin: d.range.start.line, end: d.range.end.line } },
    };
  });
}

export function formatCodeQuality(report: DiagnosticReport): string {
  return `${JSON.stringify(toCodeQuality(report), null, 2)}\n`;
}
