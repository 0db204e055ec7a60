import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/history/change.js';
import type { ChangelogEntry } from '../../src/history/changelog.js';
import { codeSpan } from '../../src/history/markdown.js';
import { releasesOf } from '../../src/history/releases.js';

let n = 0;
function entry(version: string, status: ChangelogEntry['status'], changes: Change[] = []): ChangelogEntry {
  n++;
  return {
    version,
    status,
    commit: String(n).repeat(40).slice(0, 40),
    date: `2024-01-0${n}T00:00:00Z`,
    author: 'dev',
    email: 'dev@example.invalid',
    subject: `commit ${n}`,
    file: 'pipelines/p.yaml',
    changes,
    requiredBump: 'patch',
    policy: 'ok',
    flagged: status === 'unreleased',
    ...(status === 'unreleased' ? { flagReason: 'spec changed without a version bump' } : {}),
  };
}

const retries = (before: number, after: number): Change => ({
  path: 'tasks.a.retries',
  kind: 'changed',
  before,
  after,
  severity: 'patch',
  rule: 'retries-changed',
});

describe('releasesOf (Keep a Changelog)', () => {
  it('lists each change under the release that shipped it, newest first, Unreleased on top', () => {
    n = 0;
    const releases = releasesOf([
      entry('1.0.0', 'added'),
      entry('1.0.0', 'unreleased', [retries(1, 2)]),
      entry('1.1.0', 'released', [{ ...retries(2, 2), path: 'tasks.a.timeout', before: '1m', after: '2m' }]),
      entry('1.1.0', 'unreleased', [retries(2, 3)]),
    ]);
    expect(releases.map((r) => [r.status, r.version, r.commits.length])).toEqual([
      ['unreleased', '1.1.0', 1],
      ['released', '1.1.0', 2],
      ['added', '1.0.0', 1],
    ]);
    expect(releases[1]!.changes.map((c) => c.path)).toEqual(['tasks.a.retries', 'tasks.a.timeout']);
    expect(releases[0]).toMatchObject({ date: null, commit: null, changes: [retries(2, 3)] });
  });

  it('folds repeated changes of one value into first → last, and drops a value changed back', () => {
    n = 0;
    const [release] = releasesOf([
      entry('1.0.0', 'unreleased', [retries(1, 2)]),
      entry('1.0.0', 'unreleased', [retries(2, 5)]),
      entry('1.0.0', 'unreleased', [{ ...retries(0, 0), path: 'tasks.a.pool', before: 'a', after: 'b' }]),
      entry('1.0.0', 'unreleased', [{ ...retries(0, 0), path: 'tasks.a.pool', before: 'b', after: 'a' }]),
    ]);
    expect(release!.changes).toEqual([retries(1, 5)]);
  });

  it('code spans never need HTML', () => {
    expect(codeSpan('a')).toBe('`a`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(codeSpan('line\nbreak')).toBe('`line ↵ break`');
  });
});
