/**
 * `pipewright changelog` with pipewright.yaml environments: a commit that only changes an override gets an entry for
 * the pipelines it changes, its changes carry the environment, a `versioned: true` environment's change without a
 * version bump is flagged, and a commit changing both the spec and an override has one entry with both.
 * A real git repository; the CLI in-process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'environments', 'three');
const CONFIG = readFileSync(join(FIXTURE, 'pipewright.yaml'), 'utf8')
  .replace(/^# yaml-language-server.*\n/, '')
  .replace('    extends: staging\n', '    extends: staging\n    versioned: true\n');
const ORDERS = readFileSync(join(FIXTURE, 'pipelines', 'orders.yaml'), 'utf8');
const REFUNDS = readFileSync(join(FIXTURE, 'pipelines', 'refunds.yaml'), 'utf8');

describe('pipewright changelog: environment overrides', () => {
  const repo = new TestRepo();
  const shas: string[] = [];
  beforeAll(() => {
    shas.push(
      repo.commit('orders and refunds in three environments', {
        'pipewright.yaml': CONFIG,
        'pipelines/orders.yaml': ORDERS,
        'pipelines/refunds.yaml': REFUNDS,
      }),
    );
    shas.push(
      repo.commit('promote orders 1.3.0 to prod', {
        'pipewright.yaml': CONFIG.replace('imageTag: "1.2.4"', 'imageTag: "1.3.0"'),
      }),
    );
    shas.push(repo.commit('unrelated', { 'README.md': 'hello\n' }));
    shas.push(
      repo.commit('orders 1.0.1: dev tries 1.4.0-rc.1', {
        'pipelines/orders.yaml': ORDERS.replace('version: 1.0.0', 'version: 1.0.1').replace('retries: 1', 'retries: 2'),
        'pipewright.yaml': CONFIG.replace('imageTag: "1.2.4"', 'imageTag: "1.3.0"').replace(
          'imageTag: "1.3.0-rc.1"',
          'imageTag: "1.4.0-rc.1"',
        ),
      }),
    );
    shas.push(
      repo.commit('refunds live in prod', {
        'pipewright.yaml': CONFIG.replace('imageTag: "1.2.4"', 'imageTag: "1.3.0"')
          .replace('imageTag: "1.3.0-rc.1"', 'imageTag: "1.4.0-rc.1"')
          .replace('      refunds:\n        overrides:\n          enabled: false\n', ''),
      }),
    );
  });
  afterAll(() => repo.remove());

  it('attributes override changes to their environment, in commit order, and flags unbumped prod changes', async () => {
    const r = await runCliCapture(['changelog', '--format', 'json'], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const byName = Object.fromEntries(
      out.pipelines.map((p: { name: string; entries: unknown[] }) => [p.name, p.entries]),
    ) as Record<string, Record<string, unknown>[]>;
    const orders = byName.orders!;
    expect(orders.map((e) => [e.version, e.status, e.flagged, e.subject])).toEqual([
      ['1.0.0', 'added', false, 'orders and refunds in three environments'],
      ['1.0.0', 'unreleased', true, 'promote orders 1.3.0 to prod'],
      ['1.0.1', 'released', false, 'orders 1.0.1: dev tries 1.4.0-rc.1'],
    ]);
    expect(orders[1]!.flagReason).toBe('changed without a version bump (requires a patch bump)');
    expect(orders[1]!.changes).toEqual([
      {
        path: 'tasks.extract.image',
        kind: 'changed',
        before: 'ghcr.io/acme/orders-etl:1.2.4',
        after: 'ghcr.io/acme/orders-etl:1.3.0',
        severity: 'patch',
        rule: 'image-tag-changed',
        environment: 'prod',
        versioned: true,
      },
      {
        path: 'tasks.load.image',
        kind: 'changed',
        before: 'ghcr.io/acme/orders-etl:1.2.4',
        after: 'ghcr.io/acme/orders-etl:1.3.0',
        severity: 'patch',
        rule: 'image-tag-changed',
        environment: 'prod',
        versioned: true,
      },
    ]);
    // spec and dev override in one commit: one entry with both, dev's not counted for the bump
    const both = orders[2]!.changes as { path: string; environment?: string }[];
    expect(both.map((c) => `${c.environment ?? 'spec'}: ${c.path}`)).toEqual([
      'spec: tasks.extract.retries',
      'spec: tasks.load.retries',
      'dev: tasks.extract.image',
      'dev: tasks.load.image',
    ]);
    // refunds: only the prod feature flag changed (breaking under prod's policy: flagged without a major bump)
    const refunds = byName.refunds!;
    expect(refunds.map((e) => [e.version, e.status, e.flagged, e.subject])).toEqual([
      ['0.1.0', 'added', false, 'orders and refunds in three environments'],
      ['0.1.0', 'unreleased', true, 'refunds live in prod'],
    ]);
    expect(refunds[1]!.changes).toMatchObject([
      { path: 'enabled', before: false, after: true, severity: 'minor', environment: 'prod' },
    ]);
  });

  it('markdown release notes name the environment', async () => {
    const r = await runCliCapture(['changelog', '--pipeline', 'orders'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '- prod: `tasks.load.image`: `ghcr.io/acme/orders-etl:1.2.4` → `ghcr.io/acme/orders-etl:1.3.0`\n',
    );
    expect(r.stdout).toContain(
      '- dev: `tasks.load.image`: `ghcr.io/acme/orders-etl:1.3.0-rc.1` → `ghcr.io/acme/orders-etl:1.4.0-rc.1`\n',
    );
  });
});
