import { describe, expect, it } from 'vitest';
import { checkFollowRef, checkSource, resolveSource } from '../../src/loop/follow.js';
import { humanLine } from '../../src/loop/log.js';

describe('follow: what may reach git', () => {
  it('accepts branch and tag names and full commit ids', () => {
    for (const ref of ['main', 'release/1.2', 'refs/heads/main', 'v1.0.0', 'a'.repeat(40)])
      expect(checkFollowRef(ref)).toBeUndefined();
  });
  it('refuses options, ranges, refspecs and odd names', () => {
    expect(checkFollowRef('--upload-pack=touch /tmp/x')).toMatch(/looks like an option/);
    expect(checkFollowRef('main..dev')).toMatch(/range/);
    expect(checkFollowRef('main:refs/heads/x')).toMatch(/not a branch or tag name/);
    expect(checkFollowRef('+main')).toMatch(/not a branch or tag name/);
    expect(checkFollowRef('HEAD@{1}')).toMatch(/not a branch or tag name/);
    expect(checkFollowRef('')).toMatch(/empty/);
  });
  it('refuses sources that are options or remote helpers', () => {
    expect(checkSource('--upload-pack=evil')).toMatch(/looks like an option/);
    expect(checkSource('ext::sh -c touch% /tmp/pwned')).toMatch(/remote helpers/);
    expect(checkSource('fd::17')).toMatch(/remote helpers/);
    expect(checkSource('ftp://example.invalid/x.git')).toMatch(/unsupported URL scheme ftp/);
    expect(checkSource('https://example.invalid/x.git')).toBeUndefined();
    expect(checkSource('../repo')).toBeUndefined();
  });
  it('resolves local paths against the working directory, leaves URLs alone', () => {
    expect(resolveSource('repo', '/work/p')).toBe('/work/p/repo');
    expect(resolveSource('https://h.invalid/r.git', '/work/p')).toBe('https://h.invalid/r.git');
    expect(resolveSource('git@h.invalid:r.git', '/work/p')).toBe('git@h.invalid:r.git');
  });
});

describe('human log lines', () => {
  it('time, level, message, fields; control characters escaped', () => {
    const line = humanLine(
      JSON.stringify({
        level: 40,
        time: Date.parse('2026-01-01T12:34:56.789Z'),
        msg: 'SLA missed\u001b[2J',
        pipeline: 'daily',
      }),
    );
    expect(line).toBe('12:34:56.789 WARN  SLA missed\\x1b[2J pipeline=daily\n');
  });
});
