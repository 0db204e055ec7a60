import { describeChange, plural, sideLabel, summarize, versionText } from './describe.js';
import type { DiffReport } from './report.js';
import { printable } from './revs.js';

/** Human-readable report for terminals and CI logs. */
export function renderDiffText(report: DiffReport): string {
  const lines = [`pipewright diff ${sideLabel(report.base)} → ${sideLabel(report.head)}`];
  if (report.pipelines.length === 0) lines.push('', 'No pipeline changes.');
  for (const p of report.pipelines) {
    lines.push('');
    const policy = p.policy === 'ok' ? 'policy ok' : `POLICY VIOLATION: ${p.policyReason}`;
    lines.push(
      `${p.name}: ${p.status} ${versionText(p.version)}, requires ${p.requiredBump === 'none' ? 'no bump' : `a ${p.requiredBump} bump`}, ${policy}`,
    );
    lines.push(`  file: ${clean(p.file)}${p.previousFile ? ` (moved from ${clean(p.previousFile)})` : ''}`);
    for (const c of p.changes) lines.push(`  ${`[${c.severity}]`.padEnd(10)} ${clean(describeChange(c))}`);
    for (const i of p.impacts) {
      lines.push(`  impact: ${clean(i.output)} is still read by ${i.pipeline} (task ${i.task}, ${clean(i.file)})`);
    }
  }
  for (const a of report.generated ?? []) {
    lines.push('', `generated/${clean(a.path)} (${a.status})`, ...a.diff.trimEnd().split('\n').map(clean));
  }
  const s = summarize(report);
  lines.push(
    '',
    `${plural(report.pipelines.length, 'pipeline')} changed (${s.added} added, ${s.removed} removed, ${s.modified} modified); ` +
      `${plural(s.breaking, 'breaking change')}; ${plural(s.violations, 'policy violation')}; ${plural(s.impacts, 'lineage impact')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** One line per value: control characters (newlines in commands, escape sequences) shown escaped. */
function clean(text: string): string {
  return printable(text);
}
