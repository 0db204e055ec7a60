/**
 * Changelog rendering on hostile history (issue 11 item 4): a 512 KB commit subject took 18.6 s and a template output
 * of ~110 MB over 14 minutes (the secret scanner was quadratic). Scanning is linear now, and a template's output is
 * capped: past MAX_CHANGELOG_BYTES the command fails with a clear error instead of printing or scanning it.
 */
import { describe, expect, it } from 'vitest';
import type { Changelog } from '../../src/history/changelog.js';
import { HistoryError } from '../../src/history/errors.js';
import { releasesOf } from '../../src/history/releases.js';
import { MAX_CHANGELOG_BYTES, renderChangelog } from '../../src/history/render-changelog.js';

function changelog(subject: string): Changelog {
  const entries: Changelog['pipelines'][number]['entries'] = [
    {
      version: '1.0.0',
      status: 'added',
      commit: 'a'.repeat(40),
      date: '2024-01-15T00:00:00Z',
      author: 'dev',
      email: 'dev@example.invalid',
      subject,
      file: 'pipelines/p.yaml',
      changes: [],
      requiredBump: 'major',
      policy: 'ok',
      flagged: false,
    },
  ];
  return {
    from: null,
    to: 'b'.repeat(40),
    warnings: [],
    pipelines: [{ name: 'p', entries, releases: releasesOf(entries) }],
  };
}

describe('changelog rendering stays linear and bounded', () => {
  // Hang guards, not speed goals (speed lives in bench/): the quadratic version took 70 s on this subject.
  it('renders a 512 KB subject of secret-looking assignments without blowing up, redacted', () => {
    const subject = 'password: x{'.repeat(44_000);
    const started = performance.now();
    const text = renderChangelog(changelog(subject));
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(text.length).toBeGreaterThan(0);
  }, 30_000);

  it('refuses a template whose output exceeds the cap, before scanning or printing it', () => {
    const subject = 'a'.repeat(512 * 1024);
    const template = {
      name: 'big.hbs',
      source: `{{#each pipelines}}{{#each entries}}${'{{subject}}'.repeat(40)}{{/each}}{{/each}}`,
    };
    const started = performance.now();
    expect(() => renderChangelog(changelog(subject), template)).toThrow(HistoryError);
    expect(() => renderChangelog(changelog(subject), template)).toThrow(
      /^big\.hbs: the template renders 20 MiB; the limit is 16 MiB/,
    );
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(MAX_CHANGELOG_BYTES).toBe(16 * 1024 * 1024);
  }, 30_000);
});
