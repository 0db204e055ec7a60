import type { Change } from './change.js';
import type { Changelog } from './changelog.js';
import type { DiffReport } from './report.js';

/** One change in the json formats of both diff and changelog: every key present, `null` when absent. */
export function changeJson(c: Change) {
  return {
    path: c.path,
    kind: c.kind,
    before: c.before ?? null,
    after: c.after ?? null,
    severity: c.severity,
    rule: c.rule,
    ...(c.tasks !== undefined ? { tasks: c.tasks } : {}),
    ...(c.environment !== undefined ? { environment: c.environment, versioned: c.versioned === true } : {}),
  };
}

/** The changelog as json (shape in docs/versioning.md): every key present (`null` when absent), changes as in diff. */
export function renderChangelogJson(changelog: Changelog): string {
  const out = {
    ...changelog,
    pipelines: changelog.pipelines.map((p) => ({
      name: p.name,
      entries: p.entries.map((e) => ({
        version: e.version,
        status: e.status,
        commit: e.commit,
        date: e.date,
        author: e.author,
        email: e.email,
        subject: e.subject,
        file: e.file,
        previousFile: e.previousFile ?? null,
        changes: e.changes.map(changeJson),
        requiredBump: e.requiredBump,
        policy: e.policy,
        flagged: e.flagged,
        flagReason: e.flagReason ?? null,
      })),
      releases: p.releases.map((r) => ({
        version: r.version,
        status: r.status,
        date: r.date,
        commit: r.commit,
        changes: r.changes.map(changeJson),
        commits: r.commits.map((c) => ({
          commit: c.commit,
          date: c.date,
          author: c.author,
          subject: c.subject,
          status: c.status,
          flagged: c.flagged,
          flagReason: c.flagReason ?? null,
          file: c.file,
          previousFile: c.previousFile ?? null,
        })),
        flagged: r.flagged,
        flagReason: r.flagReason,
      })),
    })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

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
      changes: p.changes.map(changeJson),
      impacts: p.impacts.map((i) => ({ output: i.output, pipeline: i.pipeline, task: i.task, file: i.file })),
    })),
    ...(report.generated ? { generated: report.generated } : {}),
    ...(report.environments
      ? {
          environments: {
            revision: report.environments.revision,
            settings: report.environments.settings.map((c) => ({
              setting: c.setting,
              before: c.before ?? null,
              after: c.after ?? null,
            })),
          },
        }
      : {}),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
