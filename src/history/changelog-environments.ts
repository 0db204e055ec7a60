/**
 * Override changes in the changelog: every commit on the walked first-parent chain that changed pipewright.yaml gets,
 * per pipeline, the changes the new overrides made in each environment (src/history/environments.ts), merged into the
 * entry of that commit (or a new one when the commit did not touch the spec). An environment with `versioned: true`
 * counts for the version policy: a new prod image without a version bump is flagged like a spec change.
 * Commits that change pipewright.yaml are few; each one is compared in full (its specs and its parent's).
 */

import type { BlobReader } from './blob-reader.js';
import type { Change } from './change.js';
import type { Changelog, ChangelogEntry, ChangelogWarning } from './changelog.js';
import { checkPolicy, requiredBump } from './classify.js';
import { byText } from './diff.js';
import type { GitRepo } from './git.js';
import { releasesOf } from './releases.js';
import { readCommitSources } from './sources.js';

export async function withOverrideEntries(
  changelog: Changelog,
  repo: GitRepo,
  reader: BlobReader,
  options: { from: string | undefined; to: string; dir: string; projectDir: string; pipeline?: string },
): Promise<Changelog> {
  const configPath = options.projectDir === '' ? 'pipewright.yaml' : `${options.projectDir}/pipewright.yaml`;
  const commits = await repo.firstParentLog(options.from, options.to, configPath);
  if (commits.length === 0) return changelog;
  // loaded only when pipewright.yaml changed in the range: they bring the compiler and the spec reader
  const [{ overrideChanges, readConfigSide }, { readSpecs }] = await Promise.all([
    import('./environments.js'),
    import('./read-specs.js'),
  ]);
  const order = new Map((await repo.firstParentShas(options.from, options.to)).map((sha, i) => [sha, i]));
  const entries = new Map(changelog.pipelines.map((p) => [p.name, [...p.entries]]));
  const warnings: ChangelogWarning[] = [...changelog.warnings];
  for (const commit of commits) {
    const parent = commit.parent;
    if (parent === undefined) continue; // the first pipewright.yaml: no environment changed
    const [baseConfig, headConfig] = [
      await readConfigSide(repo, reader, parent, options.projectDir),
      await readConfigSide(repo, reader, commit.sha, options.projectDir),
    ];
    if (!baseConfig || !headConfig) continue;
    if (!headConfig.config) {
      warnings.push({
        commit: commit.sha,
        file: configPath,
        message: 'not a valid pipewright.yaml at this commit: its override changes are not shown',
      });
      continue;
    }
    const headSources = await readCommitSources(repo, reader, commit.sha, options.dir);
    const baseSources = await readCommitSources(repo, reader, parent, options.dir);
    const head = readSpecs(headSources).pipelines;
    const base = readSpecs(baseSources).pipelines;
    for (const [name, changes] of overrideChanges(headSources, baseSources, baseConfig, headConfig)) {
      if (options.pipeline !== undefined && name !== options.pipeline) continue;
      const list = entries.get(name) ?? [];
      const at = list.findIndex((e) => e.commit === commit.sha);
      const existing = at >= 0 ? list[at] : undefined;
      const after = head.get(name);
      if (!existing && !after) continue;
      const entry = merged(existing, changes, {
        version: { before: base.get(name)?.version ?? after!.version, after: existing?.version ?? after!.version },
        file: existing?.file ?? after!.file,
        commit,
      });
      if (existing) list[at] = entry;
      else {
        const index = order.get(commit.sha) ?? 0;
        const before = list.findIndex((e) => (order.get(e.commit) ?? -1) > index);
        list.splice(before < 0 ? list.length : before, 0, entry);
      }
      entries.set(name, list);
    }
  }
  return {
    ...changelog,
    pipelines: [...entries.keys()]
      .sort(byText)
      .map((name) => ({ name, entries: entries.get(name)!, releases: releasesOf(entries.get(name)!) })),
    warnings,
  };
}

function merged(
  existing: ChangelogEntry | undefined,
  changes: Change[],
  at: {
    version: { before: string; after: string };
    file: string;
    commit: { sha: string; date: string; author: string; email: string; subject: string };
  },
): ChangelogEntry {
  const all = [...(existing?.changes ?? []), ...changes];
  const bump = requiredBump(all);
  const status: ChangelogEntry['status'] =
    existing && existing.status !== 'moved'
      ? existing.status
      : at.version.before === at.version.after
        ? 'unreleased'
        : 'released';
  const verdict =
    status === 'added' || status === 'removed'
      ? { policy: 'ok' as const }
      : checkPolicy({ name: '', status: 'modified', file: at.file, version: at.version, changes: all }, bump);
  const flagReason =
    status === 'unreleased' && bump !== 'none'
      ? `changed without a version bump (requires a ${bump} bump)`
      : verdict.policy === 'violation'
        ? verdict.reason
        : undefined;
  return {
    version: existing?.version ?? at.version.after,
    status,
    commit: at.commit.sha,
    date: at.commit.date,
    author: at.commit.author,
    email: at.commit.email,
    subject: at.commit.subject,
    file: at.file,
    ...(existing?.previousFile ? { previousFile: existing.previousFile } : {}),
    changes: all,
    requiredBump: bump,
    policy: verdict.policy,
    flagged: flagReason !== undefined,
    ...(flagReason ? { flagReason } : {}),
  };
}
