import type { DiffReport } from './report.js';

/**
 * The machine format (documented in docs/versioning.md). Missing values are `null` so every key is always present;
 * `rule`, `previousFile`, `policyReason` and `generated` are additions to the shape the issue fixes.
 */
export function renderDiffJson(report: DiffReport): string {
  const out = {
    base: report.base,
    head: report.head,
    pipelines: report.pipelines.map((p) => ({
      name: p.name,
      status: p.status,
      file: p.file,
      previousFile: p.previousFile ?? null,
      version: { before: p.version.before ?? null, after: p.version.after ?? null },
      requiredBump: p.requiredBump,
      policy: p.policy,
      policyReason: p.policyReason ?? null,
      changes: p.changes.map((c) => ({
        path: c.path,
        kind: c.kind,
        before: c.before ?? null,
        after: c.after ?? null,
        severity: c.severity,
        rule: c.rule,
      })),
      impacts: p.impacts.map((i) => ({ output: i.output, pipeline: i.pipeline, task: i.task, file: i.file })),
    })),
    ...(report.generated ? { generated: report.generated } : {}),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
