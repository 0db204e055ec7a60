import semver from 'semver';
import type { Bump, Change, PipelineDiff, PolicyVerdict } from './change.js';

const RANK: Record<Bump, number> = { none: 0, patch: 1, minor: 2, major: 3 };
const BUMP_OF = { breaking: 'major', minor: 'minor', patch: 'patch' } as const;

/**
 * The smallest version bump that covers every change: any breaking change → major, any minor → minor, … Override
 * changes count only for environments with `versioned: true` (there they are like the same change in the spec).
 */
export function requiredBump(changes: readonly Change[]): Bump {
  let bump: Bump = 'none';
  for (const c of changes) {
    if (c.versioned === false) continue; // an override of an environment the policy does not cover
    const b = BUMP_OF[c.severity];
    if (RANK[b] > RANK[bump]) bump = b;
  }
  return bump;
}

/**
 * The bump actually made from `before` to `after`: the highest of major/minor/patch that increased. A change of the
 * pre-release part only (`2.0.0-rc.1` → `2.0.0-rc.2` or → `2.0.0`) counts as satisfying any bump: pre-releases promise
 * no compatibility (semver §9). Returns 'down' or 'same' when the version did not increase.
 */
export function actualBump(before: string, after: string): Bump | 'prerelease' | 'same' | 'down' {
  const b = semver.parse(before);
  const a = semver.parse(after);
  if (!b || !a) throw new Error(`internal: invalid semver ${before} / ${after} reached the policy check`);
  const order = semver.compare(a, b);
  if (order === 0) return 'same';
  if (order < 0) return 'down';
  if (a.major !== b.major) return 'major';
  if (a.minor !== b.minor) return 'minor';
  if (a.patch !== b.patch) return 'patch';
  return 'prerelease';
}

/**
 * The version policy of a modified pipeline: its version must go up by at least the required bump. A version that
 * went down is always a violation. Added pipelines are ok; removed pipelines are ok here (there is no version to
 * check) and surface through their breaking `pipeline-removed` change instead (`--fail-on breaking`).
 */
export function checkPolicy(diff: PipelineDiff, required: Bump): { policy: PolicyVerdict; reason?: string } {
  if (diff.status !== 'modified') return { policy: 'ok' };
  const before = diff.version.before!;
  const after = diff.version.after!;
  const made = actualBump(before, after);
  if (made === 'down') return { policy: 'violation', reason: `version went down (${before} → ${after})` };
  if (required === 'none') return { policy: 'ok' };
  if (made === 'same')
    return { policy: 'violation', reason: `version not bumped (still ${before}); changes require a ${required} bump` };
  if (made === 'prerelease' || RANK[made] >= RANK[required]) return { policy: 'ok' };
  return {
    policy: 'violation',
    reason: `${before} → ${after} is a ${made} bump; changes require a ${required} bump (at least ${minimumVersion(before, required)})`,
  };
}

/** The smallest version satisfying `required` from `before` (`1.4.2` + minor → `1.5.0`). */
export function minimumVersion(before: string, required: Exclude<Bump, 'none'>): string {
  const next = semver.inc(before, required);
  if (!next) throw new Error(`internal: cannot increment ${before}`);
  return next;
}
