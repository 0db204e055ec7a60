/**
 * renovate.json is applied the way Renovate applies it: each customManagers regex runs with the 'g' flag over the
 * whole file text, and its named groups depName / currentValue / currentDigest become the dependency.
 * (Renovate runs the pattern with RE2; the pattern avoids everything RE2 lacks, checked below.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../src/spec/load.js';
import { parseImageReference } from '../src/spec/rules/unpinned-image.js';
import type { PipelineSpec } from '../src/spec/types.js';

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate: string;
}
const config = JSON.parse(readFileSync('renovate.json', 'utf8')) as {
  extends: string[];
  customManagers: CustomManager[];
  packageRules: { matchManagers?: string[] }[];
};
const manager = config.customManagers.find((m) => m.customType === 'regex' && m.datasourceTemplate === 'docker')!;

interface Dep {
  depName: string;
  currentValue?: string;
  currentDigest?: string;
}

function extract(content: string): Dep[] {
  return manager.matchStrings.flatMap((pattern) =>
    [...content.matchAll(new RegExp(pattern, 'g'))].map((m) => {
      const g = m.groups!;
      const dep: Dep = { depName: g.depName! };
      if (g.currentValue !== undefined) dep.currentValue = g.currentValue;
      if (g.currentDigest !== undefined) dep.currentDigest = g.currentDigest;
      return dep;
    }),
  );
}

/** managerFilePatterns entries: `/regex/` or a glob. */
function fileMatches(file: string): boolean {
  return manager.managerFilePatterns.some((p) =>
    p.startsWith('/') && p.endsWith('/') ? new RegExp(p.slice(1, -1)).test(file) : new RegExp(`^${p}$`).test(file),
  );
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
    )
    .sort();
}

/** The images a spec declares, in source order, from the real loader (not from text). */
function declaredImages(spec: PipelineSpec): Dep[] {
  const images = [spec.spec.defaults?.image, ...Object.values(spec.spec.tasks).map((t) => t.image)];
  return images
    .filter((i): i is string => i !== undefined)
    .map((image) => {
      const ref = parseImageReference(image)!;
      const dep: Dep = { depName: ref.name };
      if (ref.tag !== undefined) dep.currentValue = ref.tag;
      if (ref.digest !== undefined) dep.currentDigest = ref.digest;
      return dep;
    });
}

describe('renovate.json', () => {
  it('keeps npm dependencies updated and has a docker regex manager for pipeline images', () => {
    expect(config.extends).toContain('config:recommended');
    expect(manager).toBeDefined();
    expect(config.packageRules.some((r) => r.matchManagers?.includes('npm'))).toBe(true);
  });

  it('uses only regex features RE2 supports (no lookaround, no backreferences)', () => {
    for (const pattern of manager.matchStrings) {
      expect(pattern).not.toMatch(/\(\?<?[=!]|\\[1-9]|\\k</);
      expect(pattern).toMatch(/\(\?<depName>/);
      expect(pattern).toMatch(/\(\?<currentValue>/);
    }
  });

  it('applies to every spec under pipelines/ and nothing else', () => {
    const files = yamlFiles('pipelines');
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) expect(fileMatches(file)).toBe(true);
    expect(fileMatches('pipewright.yaml')).toBe(true);
    for (const other of [
      'src/pipelines/x.yaml',
      'generated/compose/retail-sales.compose.yaml',
      'pipelines.yaml',
      'test/fixtures/rules/renovate-images.yaml',
      'sub/pipewright.yaml',
    ]) {
      expect(fileMatches(other)).toBe(false);
    }
  });

  it.each(yamlFiles('pipelines'))('finds exactly the images of %s', (file) => {
    const source = readFileSync(file, 'utf8');
    const doc = loadSpec(file, source);
    expect(doc.diagnostics).toEqual([]);
    const declared = declaredImages(doc.value as PipelineSpec);
    expect(declared.length).toBeGreaterThan(0);
    expect(extract(source)).toEqual(declared);
  });

  it('reads registries with ports, digests, quotes, flow maps and comments exactly', () => {
    const source = readFileSync('test/fixtures/rules/renovate-images.yaml', 'utf8');
    const d1 = '0123456789abcdef'.repeat(4);
    const d2 = 'fedcba9876543210'.repeat(4);
    expect(extract(source)).toEqual([
      { depName: 'registry.example.com:5000/team/etl', currentValue: '2024.01.05-3' },
      { depName: 'ghcr.io/acme/dbt', currentValue: '1.8.2', currentDigest: `sha256:${d1}` },
      { depName: 'python', currentDigest: `sha256:${d2}` },
      { depName: 'python', currentValue: '3.12-slim' },
      { depName: 'busybox', currentValue: '1.36.1' },
      { depName: 'ghcr.io/acme/churn-ml-gpu', currentValue: '0.9.4-cuda12.4' },
    ]);
  });

  it("finds the images of environment overrides in pipewright.yaml: whole images, and tags under a '# renovate: image=' comment", () => {
    const source = `apiVersion: pipewright.dev/v1
kind: Project
kubernetes:
  runnerImage: localhost/pipewright:0.1.0
environments:
  staging:
    runnerImage: ghcr.io/acme/pipewright:0.1.0
    pipelines:
      orders:
        overrides:
          # renovate: image=ghcr.io/acme/orders-etl
          imageTag: "1.3.0" # the candidate
        tasks:
          load:
            image: ghcr.io/acme/loader:2.1.0
  prod:
    pipelines:
      orders:
        overrides:
          imageTag: "1.2.4"
`;
    expect(extract(source)).toEqual([
      { depName: 'ghcr.io/acme/loader', currentValue: '2.1.0' },
      { depName: 'ghcr.io/acme/orders-etl', currentValue: '1.3.0' },
    ]);
    // the committed three-environment example stays loadable (no stray comment turns into a dependency)
    const fixture = readFileSync('test/fixtures/environments/three/pipewright.yaml', 'utf8');
    expect(extract(fixture)).toEqual([]);
  });
});
