/**
 * `pipewright diff --env A --env B` (two environments at one revision) and `pipewright diff A B` attributing a change
 * of pipewright.yaml's overrides to its environment, with the version policy for `versioned: true` environments.
 * Real git repositories, the CLI in-process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'environments', 'three');
const fixture = (path: string) => readFileSync(join(FIXTURE, path), 'utf8');
// the fixture's first line points its schema at the repository; the temp repo has none
const CONFIG = fixture('pipewright.yaml').replace(/^# yaml-language-server.*\n/, '');
const ORDERS = fixture('pipelines/orders.yaml');
const REFUNDS = fixture('pipelines/refunds.yaml');

describe('pipewright diff --env', () => {
  const repo = new TestRepo();
  let first = '';
  beforeAll(() => {
    first = repo.commit('three environments', {
      'pipewright.yaml': CONFIG,
      'pipelines/orders.yaml': ORDERS,
      'pipelines/refunds.yaml': REFUNDS,
    });
    // staging moves on to 1.3.1; the working tree is then what is committed
    repo.commit('staging runs 1.3.1', {
      'pipewright.yaml': CONFIG.replace('imageTag: "1.3.0"', 'imageTag: "1.3.1"'),
    });
  });
  afterAll(() => repo.remove());

  it('shows what differs between two environments, per pipeline, task and field, and their settings', async () => {
    const r = await runCliCapture(['diff', '--env', 'staging', '--env', 'prod'], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`pipewright diff --env staging --env prod at working-tree

environment settings:
  namespace: pipelines-staging → pipelines-prod
  secretPrefix: staging- → prod-
  runnerImage: added ghcr.io/acme/pipewright:0.1.0

orders: 9 differences (version 1.0.0)
  file: pipelines/orders.yaml
  [patch]    tasks.extract.image: ghcr.io/acme/orders-etl:1.3.1 → ghcr.io/acme/orders-etl:1.2.4
  [patch]    tasks.extract.retries: 1 → 3
  [minor]    tasks.extract.secrets.DB_PASSWORD: staging-orders-db/password → prod-orders-db/password
  [patch]    tasks.load.image: ghcr.io/acme/orders-etl:1.3.1 → ghcr.io/acme/orders-etl:1.2.4
  [patch]    tasks.load.resources.cpu: 500m → 2
  [patch]    tasks.load.resources.memory: 512Mi → 2Gi
  [patch]    tasks.load.retries: 1 → 3
  [patch]    tasks.load.timeout: 30m → 2h
  [breaking] timezone: UTC → Europe/Berlin

refunds: 2 differences (version 0.1.0)
  file: pipelines/refunds.yaml
  [breaking] enabled: true → false
  [patch]    tasks.report.retries: 0 → 3

2 pipelines differ; 3 environment settings differ; 2 breaking differences
`);
  });

  it('reads another revision with --rev, and the same environment twice has no differences', async () => {
    const r = await runCliCapture(['diff', '--env', 'staging', '--env', 'prod', '--rev', first], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`at ${first.slice(0, 12)}`);
    expect(r.stdout).toContain('tasks.load.image: ghcr.io/acme/orders-etl:1.3.0 → ghcr.io/acme/orders-etl:1.2.4');
    const same = await runCliCapture(['diff', '--env', 'prod', '--env', 'prod', '--detailed-exitcode'], {
      cwd: repo.dir,
    });
    expect(same.stdout).toContain('No pipeline differs between the environments.');
    expect(same.code).toBe(0);
    const detailed = await runCliCapture(['diff', '--env', 'dev', '--env', 'prod', '--detailed-exitcode'], {
      cwd: repo.dir,
    });
    expect(detailed.code).toBe(2);
  });

  it('renders json and markdown with the same changes', async () => {
    const json = await runCliCapture(['diff', '--env', 'staging', '--env', 'prod', '--format', 'json'], {
      cwd: repo.dir,
    });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.base).toBe('staging');
    expect(report.head).toBe('prod');
    expect(report.environments.revision).toBe('working-tree');
    expect(report.environments.settings).toContainEqual({
      setting: 'namespace',
      before: 'pipelines-staging',
      after: 'pipelines-prod',
    });
    const refunds = report.pipelines.find((p: { name: string }) => p.name === 'refunds');
    expect(refunds.changes).toContainEqual({
      path: 'enabled',
      kind: 'changed',
      before: true,
      after: false,
      severity: 'breaking',
      rule: 'pipeline-disabled',
    });
    expect(refunds.policy).toBe('ok');
    const md = await runCliCapture(['diff', '--env', 'staging', '--env', 'prod', '--format', 'markdown'], {
      cwd: repo.dir,
    });
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('Comparing environment <code>staging</code> → <code>prod</code>');
    expect(md.stdout).toContain('| refunds | 0.1.0 | 1 breaking, 1 patch |');
    expect(md.stdout).toContain('- namespace: <code>pipelines-staging</code> → <code>pipelines-prod</code>');
  });

  it('--fail-on breaking fails on a breaking difference', async () => {
    const r = await runCliCapture(['diff', '--env', 'staging', '--env', 'prod', '--fail-on', 'breaking'], {
      cwd: repo.dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('breaking differences found (--fail-on breaking)');
  });

  it('an unknown environment is a usage error shown at the environments of pipewright.yaml (exit 2)', async () => {
    const r = await runCliCapture(['diff', '--env', 'staging', '--env', 'stagng'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      "pipewright.yaml:3:1: error: --env: unknown environment 'stagng' (did you mean 'staging'?): pipewright.yaml declares 'dev', 'prod', 'staging' [PW103]",
    );
    expect(r.stderr).toContain('> 3 | environments:');
    const atRev = await runCliCapture(['diff', '--env', 'qa', '--env', 'prod', '--rev', first], { cwd: repo.dir });
    expect(atRev.code).toBe(2);
    expect(atRev.stderr).toContain(`${first.slice(0, 12)}:pipewright.yaml:3:1: error: --env: unknown environment 'qa'`);
  });

  it('refuses bad usage with exit 2', async () => {
    const cases: [string[], string][] = [
      [['diff', '--env', 'prod'], 'expected two --env options'],
      [['diff', '--env', 'a', '--env', 'b', '--env', 'c'], 'expected two --env options'],
      [['diff', '--rev', 'HEAD'], '--rev needs two --env options'],
      [['diff', '--env', 'staging', '--env', 'prod', 'HEAD'], 'give the revision with --rev'],
      [['diff', '--env', 'staging', '--env', 'prod', '--fail-on', 'policy'], '--fail-on policy does not apply'],
      [['diff', '--env', 'staging', '--env', 'prod', '--generated'], '--generated compares two revisions'],
      [['diff', '--env', 'staging', '--env', 'prod', '--rev', 'nope'], "unknown revision 'nope'"],
    ];
    for (const [argv, message] of cases) {
      const r = await runCliCapture(argv, { cwd: repo.dir });
      expect(r.stderr, argv.join(' ')).toContain(message);
      expect(r.code, argv.join(' ')).toBe(2);
    }
  });
});

describe('pipewright diff --env: bad configuration', () => {
  const repo = new TestRepo();
  afterAll(() => repo.remove());

  it('conflicting overrides and an override that makes an invalid artifact are findings at the override (exit 1)', async () => {
    repo.commit('specs', { 'pipelines/orders.yaml': ORDERS, 'pipelines/refunds.yaml': REFUNDS });
    repo.write({
      'pipewright.yaml': `apiVersion: pipewright.dev/v1
kind: Project
environments:
  staging:
    pipelines:
      orders:
        overrides:
          image: ghcr.io/acme/orders-etl:1.3.0
          imageTag: "1.3.1"
  prod:
    pipelines:
      orders:
        tasks:
          load:
            timeout: 30x
`,
    });
    const r = await runCliCapture(['diff', '--env', 'staging', '--env', 'prod'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      "pipewright.yaml:9:11: error: conflicting overrides: 'image' and 'imageTag' both set the image here; keep one [PW103]",
    );
    expect(r.stderr).toMatch(/pipewright\.yaml:15:22: error: .*30x/);
    expect(r.stderr).not.toContain('which no spec defines');
    expect(r.stderr).toContain('2 errors, 0 warnings');
    expect(r.stderr).toContain('specs or environment overrides are invalid');
  });

  it('a project without pipewright.yaml at the revision is a usage error', async () => {
    const bare = new TestRepo();
    try {
      bare.commit('specs', { 'pipelines/orders.yaml': ORDERS });
      const r = await runCliCapture(['diff', '--env', 'a', '--env', 'b'], { cwd: bare.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no pipewright.yaml at the working tree');
    } finally {
      bare.remove();
    }
  });
});

describe('pipewright diff <base> <head>: override changes in pipewright.yaml', () => {
  const repo = new TestRepo();
  const versioned = CONFIG.replace('    extends: staging\n', '    extends: staging\n    versioned: true\n');
  let start = '';
  beforeAll(() => {
    start = repo.commit('three environments', {
      'pipewright.yaml': versioned,
      'pipelines/orders.yaml': ORDERS,
      'pipelines/refunds.yaml': REFUNDS,
    });
  });
  afterAll(() => repo.remove());

  it('attributes a prod image change to prod and requires the bump a spec image change requires', async () => {
    const promoted = repo.commit('promote orders 1.3.0 to prod', {
      'pipewright.yaml': versioned.replace('imageTag: "1.2.4"', 'imageTag: "1.3.0"'),
    });
    const r = await runCliCapture(['diff', start, promoted, '--fail-on', 'policy'], { cwd: repo.dir });
    expect(r.stdout).toContain(
      'orders: modified 1.0.0 (unchanged), requires a patch bump, POLICY VIOLATION: version not bumped (still 1.0.0); changes require a patch bump',
    );
    expect(r.stdout).toContain(
      '  [patch]    prod: tasks.extract.image: ghcr.io/acme/orders-etl:1.2.4 → ghcr.io/acme/orders-etl:1.3.0',
    );
    expect(r.stdout).toContain(
      '  [patch]    prod: tasks.load.image: ghcr.io/acme/orders-etl:1.2.4 → ghcr.io/acme/orders-etl:1.3.0',
    );
    expect(r.code).toBe(1);

    const bumped = repo.commit('orders 1.0.1 runs 1.3.0 in prod', {
      'pipelines/orders.yaml': ORDERS.replace('version: 1.0.0', 'version: 1.0.1'),
    });
    const ok = await runCliCapture(['diff', start, bumped, '--fail-on', 'policy', '--format', 'json'], {
      cwd: repo.dir,
    });
    expect(ok.code).toBe(0);
    const orders = JSON.parse(ok.stdout).pipelines.find((p: { name: string }) => p.name === 'orders');
    expect(orders.policy).toBe('ok');
    expect(orders.requiredBump).toBe('patch');
    expect(orders.changes).toContainEqual({
      path: 'tasks.load.image',
      kind: 'changed',
      before: 'ghcr.io/acme/orders-etl:1.2.4',
      after: 'ghcr.io/acme/orders-etl:1.3.0',
      severity: 'patch',
      rule: 'image-tag-changed',
      environment: 'prod',
      versioned: true,
    });
  });

  it('an override change of an environment without versioned: true is shown but needs no bump', async () => {
    const before = repo.head();
    const dev = repo.commit('dev tries 1.4.0-rc.1', {
      'pipewright.yaml': readFileSync(join(repo.dir, 'pipewright.yaml'), 'utf8').replace(
        'imageTag: "1.3.0-rc.1"',
        'imageTag: "1.4.0-rc.1"',
      ),
    });
    const r = await runCliCapture(['diff', before, dev, '--fail-on', 'policy', '--format', 'markdown'], {
      cwd: repo.dir,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| orders | modified | 1.0.1 (unchanged) | none | ✅ ok | 2 patch |');
    expect(r.stdout).toContain(
      '- 🟢 patch <code>dev</code>: <code>tasks.load.image</code>: <code>ghcr.io/acme/orders-etl:1.3.0-rc.1</code> → <code>ghcr.io/acme/orders-etl:1.4.0-rc.1</code>',
    );
  });

  it('a spec change is not repeated as an override change; both changed at once are both shown', async () => {
    const before = repo.head();
    const both = repo.commit('spec default image and staging together', {
      'pipelines/orders.yaml': ORDERS.replace('version: 1.0.0', 'version: 1.1.0').replace(
        'orders-etl:1.2.4',
        'orders-etl:1.2.5',
      ),
      'pipewright.yaml': readFileSync(join(repo.dir, 'pipewright.yaml'), 'utf8').replace(
        'imageTag: "1.3.0" #',
        'imageTag: "1.3.2" #',
      ),
    });
    const r = await runCliCapture(['diff', before, both], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '[patch]    defaults.image: ghcr.io/acme/orders-etl:1.2.4 → ghcr.io/acme/orders-etl:1.2.5 (2 tasks: extract, load)',
    );
    expect(r.stdout).toContain(
      '[patch]    staging: tasks.load.image: ghcr.io/acme/orders-etl:1.3.0 → ghcr.io/acme/orders-etl:1.3.2',
    );
    // prod extends staging but sets its own tag: nothing changed there
    expect(r.stdout).not.toContain('prod: ');
    expect(r.stdout).not.toContain('dev: ');
  });
});
