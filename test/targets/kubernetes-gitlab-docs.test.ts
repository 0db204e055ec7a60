/**
 * The Kubernetes and GitLab CI sections of docs/targets.md show exact outputs for the page's example spec:
 * recompile it and compare, so the page cannot rot.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSources } from '../../src/emit/compile.js';

const DOC = readFileSync('docs/targets.md', 'utf8');
const yamlBlocks = [...DOC.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
const spec = yamlBlocks[0]!;
const section = (title: string) => {
  const start = DOC.indexOf(`\n## ${title}\n`);
  const end = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, end === -1 ? undefined : end);
};
const blocksOf = (text: string) => [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

describe('docs/targets.md: Kubernetes and GitLab CI examples', () => {
  const result = compileSources([{ file: 'pipelines/daily-orders.yaml', source: spec }], {
    targets: ['k8s', 'gitlab'],
    outDir: 'generated',
  });

  it('compiles the example spec without errors', () => {
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('shows Kubernetes documents exactly as generated', () => {
    const docs = result.files.get('k8s/daily-orders.yaml')!.split('\n---\n');
    const shown = blocksOf(section('Kubernetes'));
    expect(shown.length).toBe(2);
    for (const block of shown) expect(docs.map((d) => (d.endsWith('\n') ? d : `${d}\n`))).toContain(block);
  });

  it('shows the GitLab parent and child exactly as generated', () => {
    const shown = blocksOf(section('GitLab CI'));
    expect(shown).toContain(result.files.get('gitlab/pipelines.gitlab-ci.yml'));
    expect(shown).toContain(result.files.get('gitlab/daily-orders.gitlab-ci.yml'));
  });
});
