/**
 * releasesOf: a pipeline's changelog entries (one per commit, oldest first) regrouped as release notes in the manner
 * of Keep a Changelog — newest release first, "Unreleased" on top, and every change listed under the release that
 * shipped it: changes committed without a version bump belong to the next release (or stay Unreleased), not to the
 * commit that made them. Pure.
 */
import type { Change } from './change.js';
import type { ChangelogEntry } from './changelog.js';
import type { Severity } from './rules.js';

export interface ReleaseCommit {
  commit: string;
  date: string;
  author: string;
  subject: string;
  status: ChangelogEntry['status'];
  flagged: boolean;
  flagReason?: string;
  /** The spec file before this commit moved it. */
  previousFile?: string;
  file: string;
}

export interface Release {
  /** The version shipped; for `unreleased`, the version the pipeline still has. */
  version: string;
  /** `unreleased` (on top, not shipped yet), `added` (first version), `released`, `removed` (the pipeline is gone). */
  status: 'unreleased' | 'added' | 'released' | 'removed';
  /** Date and commit of the release (the commit that changed the version); null for Unreleased. */
  date: string | null;
  commit: string | null;
  /** Net changes since the previous release, sorted by path. */
  changes: Change[];
  /** The commits that make up the release, oldest first. */
  commits: ReleaseCommit[];
  /** The release commit broke the version policy (e.g. a minor bump for a breaking change). */
  flagged: boolean;
  flagReason: string | null;
}

export function releasesOf(entries: readonly ChangelogEntry[]): Release[] {
  const releases: Release[] = [];
  let pendingChanges: Change[] = [];
  let pendingCommits: ReleaseCommit[] = [];
  for (const entry of entries) {
    pendingChanges.push(...entry.changes);
    pendingCommits.push(commitOf(entry));
    if (entry.status === 'unreleased' || entry.status === 'moved') continue;
    releases.push({
      version: entry.version,
      status: entry.status,
      date: entry.date,
      commit: entry.commit,
      changes: netChanges(pendingChanges),
      commits: pendingCommits,
      flagged: entry.status === 'released' && entry.flagged,
      flagReason: entry.status === 'released' && entry.flagged ? (entry.flagReason ?? null) : null,
    });
    pendingChanges = [];
    pendingCommits = [];
  }
  const out = releases.reverse();
  if (pendingCommits.length > 0) {
    const last = entries[entries.length - 1]!;
    out.unshift({
      version: last.version,
      status: 'unreleased',
      date: null,
      commit: null,
      changes: netChanges(pendingChanges),
      commits: pendingCommits,
      flagged: false,
      flagReason: null,
    });
  }
  return out;
}

function commitOf(entry: ChangelogEntry): ReleaseCommit {
  return {
    commit: entry.commit,
    date: entry.date,
    author: entry.author,
    subject: entry.subject,
    status: entry.status,
    flagged: entry.flagged,
    ...(entry.flagReason !== undefined ? { flagReason: entry.flagReason } : {}),
    ...(entry.previousFile !== undefined ? { previousFile: entry.previousFile } : {}),
    file: entry.file,
  };
}

const RANK: Record<Severity, number> = { patch: 0, minor: 1, breaking: 2 };

/**
 * Several commits changing the same value become one change from the first value to the last (the most severe
 * classification kept); a value changed back to where it was is no change at all. Additions and removals of list
 * items (outputs, needs, enum values) are kept as they are.
 */
function netChanges(changes: readonly Change[]): Change[] {
  const out: Change[] = [];
  const byPath = new Map<string, number>();
  for (const c of changes) {
    // an environment's override change is another value than the spec's at the same path
    const key = c.environment === undefined ? c.path : `${c.environment}\0${c.path}`;
    const at = c.kind === 'changed' ? byPath.get(key) : undefined;
    if (at === undefined) {
      if (c.kind === 'changed') byPath.set(key, out.length);
      out.push(c);
      continue;
    }
    const earlier = out[at]!;
    const severity = RANK[c.severity] > RANK[earlier.severity] ? c.severity : earlier.severity;
    out[at] = { ...c, before: earlier.before, severity, rule: severity === c.severity ? c.rule : earlier.rule };
  }
  return out
    .filter((c) => c.kind !== 'changed' || JSON.stringify(c.before) !== JSON.stringify(c.after))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
