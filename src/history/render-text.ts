import { describeChange, describeSetting, plural, sideLabel, summarize, versionText } from './describe.js';
import type { DiffReport } from './report.js';
import { printable } from './revs.js';

/** ANSI SGR codes: breaking red, minor yellow, patch green, headings bold. */
const PAINT = { breaking: '31', minor: '33', patch: '32', bold: '1' } as const;

/** Human-readable report for terminals and CI logs; coloured when `color` (a TTY without NO_COLOR, or FORCE_COLOR). */
export function renderDiffText(report: DiffReport, options: { color?: boolean } = {}): string {
  const paint = (code: keyof typeof PAINT, text: string) =>
    options.color ? `\u001b[${PAINT[code]}m${text}\u001b[0m` : text;
  const envs = report.environments;
  const title = envs
    ? `pipewright diff --env ${clean(report.base)} --env ${clean(report.head)} at ${sideLabel(envs.revision)}`
    : `pipewright diff ${sideLabel(report.base)} → ${sideLabel(report.head)}`;
  const lines = [paint('bold', title)];
  if (envs && envs.settings.length > 0) {
    lines.push('', 'environment settings:');
    for (const c of envs.settings) lines.push(`  ${clean(describeSetting(c))}`);
  }
  if (report.pipelines.length === 0)
    lines.push('', envs ? 'No pipeline differs between the environments.' : 'No pipeline changes.');
  for (const p of report.pipelines) {
    lines.push('');
    const policy = p.policy === 'ok' ? 'policy ok' : paint('breaking', `POLICY VIOLATION: ${p.policyReason}`);
    lines.push(
      envs
        ? `${paint('bold', p.name)}: ${plural(p.changes.length, 'difference')} (version ${p.version.after})`
        : `${paint('bold', p.name)}: ${p.status} ${versionText(p.version)}, requires ${p.requiredBump === 'none' ? 'no bump' : `a ${p.requiredBump} bump`}, ${policy}`,
    );
    lines.push(`  file: ${clean(p.file)}${p.previousFile ? ` (moved from ${clean(p.previousFile)})` : ''}`);
    for (const c of p.changes) {
      const tag = paint(c.severity, `[${c.severity}]`.padEnd(10));
      lines.push(`  ${tag} ${clean(describeChange(c))}`);
    }
    for (const i of p.impacts) {
      lines.push(`  impact: ${clean(i.output)} is still read by ${i.pipeline} (task ${i.task}, ${clean(i.file)})`);
    }
  }
  for (const a of report.generated ?? []) {
    lines.push('', `generated/${clean(a.path)} (${a.status})`, ...a.diff.trimEnd().split('\n').map(clean));
  }
  const s = summarize(report);
  if (envs) {
    lines.push(
      '',
      `${plural(report.pipelines.length, 'pipeline')} differ${report.pipelines.length === 1 ? 's' : ''}; ${plural(envs.settings.length, 'environment setting')} differ${envs.settings.length === 1 ? 's' : ''}; ${plural(s.breaking, 'breaking difference')}`,
    );
    return `${lines.join('\n')}\n`;
  }
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
