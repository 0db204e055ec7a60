import { describe, expect, it } from 'vitest';
import { type CompileOptions, compileSpec } from '../../src/emit/compile.js';
import { sameLinkInputs } from '../../src/emit/link-delta.js';
import { spec } from '../watch/specs.js';

const options: CompileOptions = { targets: ['compose', 'k8s', 'gitlab'], outDir: 'generated' };
const unit = (source: string, file = 'pipelines/a.yaml', opts = options) => compileSpec(file, source, opts);
const scheduled = (source: string) => source.replace('spec:\n', 'spec:\n  schedule: "0 5 * * *"\n');

describe('sameLinkInputs: when a rebuild may reuse the previous link result', () => {
  it('a task-only edit keeps the link inputs', () => {
    expect(sameLinkInputs(unit(spec('a', '1.0.0')), unit(spec('a', '2.0.0')), options)).toBe(true);
  });

  it('a change of what the GitLab parent lists does not', () => {
    const before = unit(spec('a'));
    expect(sameLinkInputs(before, unit(scheduled(spec('a'))), options)).toBe(false);
    expect(sameLinkInputs(before, unit(spec('a').replace('spec:\n', 'spec:\n  enabled: false\n')), options)).toBe(
      false,
    );
    expect(sameLinkInputs(before, unit(spec('a').replace('spec:\n', 'spec:\n  concurrency: 2\n')), options)).toBe(
      false,
    );
  });

  it('a renamed pipeline, another file, or errors do not', () => {
    const before = unit(spec('a'));
    expect(sameLinkInputs(before, unit(spec('b')), options)).toBe(false);
    expect(sameLinkInputs(before, unit(spec('a'), 'pipelines/b.yaml'), options)).toBe(false);
    const broken = unit(spec('a').replace('needs: [extract]', 'needs: [nope]'));
    expect(broken.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    expect(sameLinkInputs(before, broken, options)).toBe(false);
    expect(sameLinkInputs(broken, before, options)).toBe(false);
  });

  it('without a target that builds project files, only the name and file matter', () => {
    const k8s: CompileOptions = { targets: ['k8s'], outDir: 'generated' };
    expect(sameLinkInputs(unit(spec('a'), undefined, k8s), unit(scheduled(spec('a')), undefined, k8s), k8s)).toBe(true);
  });
});
