/**
 * Every Kubernetes manifest pipewright emits — the golden fixtures' expected k8s output and the example pipelines'
 * generated/k8s — is accepted by a real API server: server-side apply into a fresh namespace succeeds with no warning,
 * and applying it again changes nothing (no object gets a new resourceVersion or generation).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIELD_MANAGER, type KubeObject, manifestObjects, testCluster } from './support.js';

const cluster = await testCluster();
const root = join(import.meta.dirname, '..', '..');

function k8sFiles(): string[] {
  const files: string[] = [];
  const fixtures = join(root, 'test', 'fixtures', 'compile');
  for (const fixture of readdirSync(fixtures).sort()) {
    const dir = join(fixtures, fixture, 'expected', 'k8s');
    try {
      for (const f of readdirSync(dir).sort()) if (f.endsWith('.yaml')) files.push(join(dir, f));
    } catch {
      // a fixture without Kubernetes output
    }
  }
  const generated = join(root, 'generated', 'k8s');
  for (const f of readdirSync(generated).sort()) if (f.endsWith('.yaml')) files.push(join(generated, f));
  return files.map((f) => relative(root, f));
}

const files = k8sFiles();
afterAll(async () => cluster?.cleanup());

describe.skipIf(!cluster)('server-side apply of the emitted manifests (real API server)', () => {
  it('covers the golden fixtures and the example pipelines', () => {
    expect(files.filter((f) => f.startsWith('generated/')).length).toBeGreaterThanOrEqual(3);
    expect(files.filter((f) => f.startsWith('test/fixtures/')).length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)('%s applies without warnings and re-applies as a no-op', async (file) => {
    if (!cluster) return;
    const path = join(root, file);
    const objects = manifestObjects(readFileSync(path, 'utf8'));
    expect(objects.length).toBeGreaterThan(0);
    const ns = await cluster.freshNamespace('pw-apply');
    const apply = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', ns, '-f', path];

    const first = await cluster.kubectl(apply);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // One "serverside-applied" line per document: nothing was skipped.
    expect(first.stdout.trim().split('\n')).toHaveLength(objects.length);
    for (const line of first.stdout.trim().split('\n')) expect(line).toMatch(/ serverside-applied$/);

    const before = await live(ns, path);
    expect(before.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    );
    // The server kept what we sent: labels survive defaulting, a run plan's text is stored byte for byte.
    for (const o of before) {
      const sent = objects.find((s) => s.kind === o.kind && s.metadata.name === o.metadata.name);
      expect(o.metadata.labels).toEqual(sent?.metadata.labels);
      if (o.kind === 'ConfigMap') expect((o as Plan).data).toEqual((sent as Plan).data);
    }

    const second = await cluster.kubectl(apply);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const after = await live(ns, path);
    expect(versions(after)).toEqual(versions(before));
  });
});

type Plan = KubeObject & { data?: Record<string, string> };

/**
 * The Job templates inside every run plan of the file are valid Jobs for the real API server too (the apply above only
 * stored them as text): each, named as the runner would name it, passes a server-side dry-run create — validation,
 * defaulting and admission, nothing stored — without a warning.
 */
describe.skipIf(!cluster)("the run plans' Job templates (server-side dry-run)", () => {
  it.each(files)('%s: every task template is a Job the API server accepts', async (file) => {
    if (!cluster) return;
    const plans = manifestObjects(readFileSync(join(root, file), 'utf8')).filter(
      (o) => o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/component'] === 'run-plan',
    ) as Plan[];
    expect(plans.length).toBeGreaterThan(0);
    const ns = await cluster.freshNamespace('pw-plan');
    let checked = 0;
    for (const plan of plans) {
      for (const [key, text] of Object.entries(plan.data ?? {})) {
        if (!key.startsWith('task.')) continue;
        const job = parse(text) as KubeObject;
        expect(job.kind).toBe('Job');
        job.metadata = { ...job.metadata, name: `dry-run-${checked}` };
        const result = await cluster.kubectl(['create', '--dry-run=server', '-n', ns, '-f', '-', '-o', 'json'], {
          input: JSON.stringify(job),
        });
        expect(result.stderr, `${key} of ${plan.metadata.name}`).toBe('');
        expect(result.code).toBe(0);
        const stored = JSON.parse(result.stdout) as KubeObject;
        expect(stored.spec.template.spec.containers.map((c: { args?: string[] }) => c.args)).toEqual(
          job.spec.template.spec.containers.map((c: { args?: string[] }) => c.args),
        );
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

async function live(ns: string, path: string): Promise<KubeObject[]> {
  if (!cluster) return [];
  const got = await cluster.getJson<KubeObject & { items?: KubeObject[] }>(['get', '-n', ns, '-f', path]);
  return got.kind === 'List' ? (got.items ?? []) : [got];
}

function versions(objects: KubeObject[]): Record<string, string> {
  return Object.fromEntries(
    objects.map((o) => [`${o.kind}/${o.metadata.name}`, `${o.metadata.resourceVersion} gen ${o.metadata.generation}`]),
  );
}
