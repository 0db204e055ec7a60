import { describe, expect, it } from 'vitest';
import type { Change, PipelineReport } from '../../src/history/change.js';
import { mdCode, mdFence, mdText } from '../../src/history/markdown.js';
import { redactDeep } from '../../src/history/redact.js';
import { renderDiffJson } from '../../src/history/render-json.js';
import { MARKDOWN_LIMIT, renderDiffMarkdown } from '../../src/history/render-markdown.js';
import { renderDiffText } from '../../src/history/render-text.js';
import { buildReport, type DiffReport } from '../../src/history/report.js';
import { pipeline, side, task } from './ir.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);

function bigReport(pipelines: number, changesEach: number, valueLength = 50): DiffReport {
  const change = (i: number): Change => ({
    path: `tasks.t${i}.env.VALUE`,
    kind: 'changed',
    before: 'x'.repeat(valueLength),
    after: 'y'.repeat(valueLength),
    severity: 'patch',
    rule: 'env-changed',
  });
  const reports: PipelineReport[] = Array.from({ length: pipelines }, (_, p) => ({
    name: `p${String(p).padStart(5, '0')}`,
    status: 'modified',
    file: `pipelines/p${p}.yaml`,
    version: { before: '1.0.0', after: '1.0.1' },
    changes: Array.from({ length: changesEach }, (_, i) => change(i)),
    requiredBump: 'patch',
    policy: 'ok',
    impacts: [],
  }));
  return { base: SHA_A, head: SHA_B, pipelines: reports };
}

describe('markdown escaping', () => {
  it('keeps user text inert', () => {
    expect(mdText('<img src=x onerror=alert(1)> **b** [l](http://x) @all #1 !2 ~bug :smile: a|b `c`')).toBe(
      '&lt;img src=x onerror=alert(1)&gt; \\*\\*b\\*\\* \\[l\\](http://x) \\@all \\#1 \\!2 \\~bug \\:smile: a\\|b \\`c\\`',
    );
    expect(mdText('line1\nline2')).toBe('line1 ↵ line2');
    expect(mdText('- item')).toBe('\\- item');
    expect(mdText('1. item')).toBe('1\\. item');
    expect(mdText('1.0.0')).toBe('1.0.0');
    expect(mdCode('x'.repeat(400), 10)).toBe('<code>xxxxxxxxxx… (390 more characters)</code>');
  });

  it('fences content with a fence longer than any backtick run', () => {
    expect(mdFence('a ```` b', 'diff')).toBe('`````diff\na ```` b\n`````');
  });
});

describe('markdown size limit', () => {
  it('stays under GitLab’s 1,000,000 characters with truncation counts', () => {
    const report = bigReport(3000, 60, 40);
    const text = renderDiffMarkdown(report);
    expect(text.length).toBeLessThan(MARKDOWN_LIMIT);
    const shownBlocks = text.match(/<details>/g)?.length ?? 0;
    expect(shownBlocks).toBeGreaterThan(0);
    expect(shownBlocks).toBeLessThan(3000);
    expect(text).toContain(`${3000 - shownBlocks} pipeline detail blocks not shown`);
  });

  it('cuts long change lists per pipeline', () => {
    const text = renderDiffMarkdown(bigReport(1, 250), { maxChangesPerPipeline: 200 });
    expect(text.match(/^- 🟢 patch/gm)).toHaveLength(200);
    expect(text).toContain('- … 50 more changes not shown');
    expect(text).not.toContain('Truncated');
  });

  it('counts table rows when even the table does not fit', () => {
    const text = renderDiffMarkdown(bigReport(100, 1), { maxChars: 3000 });
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(
      /\*\*Truncated\*\* to stay under the comment size limit: \d+ table rows, 100 pipeline detail blocks not shown/,
    );
  });
});

describe('secret redaction', () => {
  it('masks flagged values in every format', () => {
    const secret = 'AKIAIOSFODNN7EXAMPLE';
    const base = pipeline('p', { tasks: [task('a', { description: 'plain' })] });
    const head = pipeline('p', { version: '1.0.1', tasks: [task('a', { description: `key ${secret} here` })] });
    const report = redactDeep(
      buildReport({ label: SHA_A, pipelines: side(base) }, { label: SHA_B, pipelines: side(head) }),
    );
    for (const text of [renderDiffText(report), renderDiffJson(report)]) {
      expect(text).not.toContain(secret);
      expect(text).toContain('key **** here');
    }
    const markdown = renderDiffMarkdown(report);
    expect(markdown).not.toContain(secret);
    expect(markdown).toContain('<code>key \\*\\*\\*\\* here</code>');
  });
});

describe('text report', () => {
  it('shows control characters escaped', () => {
    const base = pipeline('p', { tasks: [task('a', { command: ['echo', 'one'] })] });
    const head = pipeline('p', { version: '1.0.1', tasks: [task('a', { command: ['echo', 'two\n\u001b[31mred'] })] });
    const text = renderDiffText(
      buildReport({ label: SHA_A, pipelines: side(base) }, { label: 'working-tree', pipelines: side(head) }),
    );
    expect(text).not.toContain('\u001b');
    expect(text).toContain('pipewright diff aaaaaaaaaaaa → working-tree');
  });
});
