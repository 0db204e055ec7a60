import type { PipelineReport } from './change.js';
import { describeChange, describeSetting, plural, sideLabel, summarize, versionText } from './describe.js';
import { mdCode, mdFence, mdText } from './markdown.js';
import type { DiffReport } from './report.js';

/** GitLab rejects notes over 1,000,000 characters; stay well below with room for the truncation notes. */
export const MARKDOWN_LIMIT = 1_000_000;

export interface MarkdownOptions {
  /** Character budget for the whole comment (default: MARKDOWN_LIMIT minus a safety margin). */
  maxChars?: number;
  /** Changes listed per pipeline before "… N more" (default 200). */
  maxChangesPerPipeline?: number;
  /** Diff lines shown per generated artifact (default 400). */
  maxDiffLines?: number;
}

const SEVERITY_ICON = { breaking: '🔴 breaking', minor: '🟡 minor', patch: '🟢 patch' } as const;

/**
 * A merge-request comment: headline, summary table, then one collapsible block per pipeline (and per generated
 * artifact). It never exceeds `maxChars`: sections that do not fit are counted in a closing note instead.
 */
export function renderDiffMarkdown(report: DiffReport, options: MarkdownOptions = {}): string {
  const budget = options.maxChars ?? MARKDOWN_LIMIT - 10_000;
  const maxChanges = options.maxChangesPerPipeline ?? 200;
  const maxDiffLines = options.maxDiffLines ?? 400;
  const s = summarize(report);
  const envs = report.environments;
  const head: string[] = envs
    ? [
        '### pipewright diff --env',
        '',
        `Comparing environment <code>${mdText(report.base)}</code> → <code>${mdText(report.head)}</code> at ` +
          `<code>${mdText(sideLabel(envs.revision))}</code>: **${plural(report.pipelines.length, 'pipeline')}** differ · ` +
          `**${plural(envs.settings.length, 'environment setting')}** differ · **${plural(s.breaking, 'breaking difference')}**`,
        '',
        ...envs.settings.map((c) => `- ${describeSetting(c, mdCode)}`),
        ...(envs.settings.length > 0 ? [''] : []),
      ]
    : [
        '### pipewright diff',
        '',
        `Comparing <code>${mdText(sideLabel(report.base))}</code> → <code>${mdText(sideLabel(report.head))}</code>: ` +
          `**${plural(report.pipelines.length, 'pipeline')}** changed · **${plural(s.breaking, 'breaking change')}** · ` +
          `**${plural(s.violations, 'policy violation')}** · **${plural(s.impacts, 'lineage impact')}**`,
        '',
      ];
  if (report.pipelines.length === 0)
    head.push(envs ? 'No pipeline differs between the environments.' : 'No pipeline changes.', '');
  else if (envs) head.push('| Pipeline | Version | Differences |', '| --- | --- | --- |');
  else {
    head.push(
      '| Pipeline | Status | Version | Required bump | Policy | Changes |',
      '| --- | --- | --- | --- | --- | --- |',
    );
  }
  const rows = report.pipelines.map((p) =>
    envs
      ? `| ${mdText(p.name)} | ${mdText(p.version.after ?? '')} | ${mdText(countBySeverity(p))} |`
      : `| ${mdText(p.name)} | ${p.status} | ${mdText(versionText(p.version))} | ${p.requiredBump} | ` +
        `${p.policy === 'ok' ? '✅ ok' : '❌ violation'} | ${mdText(countBySeverity(p))} |`,
  );
  const sections = report.pipelines.map((p) => pipelineSection(p, maxChanges, envs !== undefined));
  const artifacts = (report.generated ?? []).map((a) => {
    const lines = a.diff.split('\n');
    const shown =
      lines.length > maxDiffLines
        ? [...lines.slice(0, maxDiffLines), `… ${lines.length - maxDiffLines} more diff lines not shown`]
        : lines;
    return [
      '<details>',
      `<summary>generated/${mdText(a.path)} (${a.status})</summary>`,
      '',
      mdFence(shown.join('\n'), 'diff'),
      '',
      '</details>',
      '',
    ].join('\n');
  });

  const reserve = 600; // for the truncation note and the trailing newline
  let out = '';
  const fits = (text: string) => out.length + text.length + 1 + reserve <= budget;
  const omitted = { rows: 0, pipelines: 0, artifacts: 0 };
  for (const line of head) out += `${line}\n`;
  for (const row of rows) {
    if (fits(row)) out += `${row}\n`;
    else omitted.rows++;
  }
  out += '\n';
  for (const section of sections) {
    if (omitted.pipelines === 0 && fits(section)) out += `${section}\n`;
    else omitted.pipelines++;
  }
  if (artifacts.length > 0 && fits('#### Generated artifacts\n')) out += '#### Generated artifacts\n\n';
  for (const section of artifacts) {
    if (omitted.artifacts === 0 && omitted.pipelines === 0 && fits(section)) out += `${section}\n`;
    else omitted.artifacts++;
  }
  if (omitted.rows + omitted.pipelines + omitted.artifacts > 0) {
    const parts = [
      omitted.rows ? plural(omitted.rows, 'table row') : '',
      omitted.pipelines ? plural(omitted.pipelines, 'pipeline detail block') : '',
      omitted.artifacts ? plural(omitted.artifacts, 'generated artifact diff') : '',
    ].filter(Boolean);
    out += `> **Truncated** to stay under the comment size limit: ${parts.join(', ')} not shown. Run \`pipewright diff --format text\` for everything.\n`;
  }
  return out;
}

function pipelineSection(p: PipelineReport, maxChanges: number, environments: boolean): string {
  const what = environments
    ? `version ${mdText(p.version.after ?? '')}, ${plural(p.changes.length, 'difference')}`
    : `${p.status} ${mdText(versionText(p.version))}, ${plural(p.changes.length, 'change')}`;
  const lines = [
    '<details>',
    `<summary><b>${mdText(p.name)}</b> — ${what}` +
      `${p.policy === 'violation' ? ', ❌ policy violation' : ''}${p.impacts.length ? `, ⚠️ ${plural(p.impacts.length, 'lineage impact')}` : ''}</summary>`,
    '',
    `File: ${mdCode(p.file)}${p.previousFile ? ` (moved from ${mdCode(p.previousFile)})` : ''}`,
    '',
  ];
  if (p.policyReason) lines.push(`**Policy violation:** ${mdText(p.policyReason)}`, '');
  for (const c of p.changes.slice(0, maxChanges)) {
    lines.push(
      `- ${SEVERITY_ICON[c.severity]} ${describeChange(c, { path: (x) => mdCode(x), value: (x) => mdCode(x) })}`,
    );
  }
  if (p.changes.length > maxChanges) lines.push(`- … ${p.changes.length - maxChanges} more changes not shown`);
  if (p.impacts.length > 0) {
    lines.push('', '**Lineage impact** — datasets this pipeline no longer writes but that are still read at head:', '');
    for (const i of p.impacts)
      lines.push(
        `- ${mdCode(i.output)} is read by **${mdText(i.pipeline)}** (task ${mdCode(i.task)}, ${mdCode(i.file)})`,
      );
  }
  lines.push('', '</details>', '');
  return lines.join('\n');
}

function countBySeverity(p: PipelineReport): string {
  if (p.changes.length === 0) return p.status === 'added' ? 'new pipeline' : 'none';
  const n = (sev: string) => p.changes.filter((c) => c.severity === sev).length;
  return (['breaking', 'minor', 'patch'] as const)
    .filter((sev) => n(sev) > 0)
    .map((sev) => `${n(sev)} ${sev}`)
    .join(', ');
}
