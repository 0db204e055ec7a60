import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';
import { baseSpec, clone, specYaml } from '../history/specs.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('pipewright diff', () => {
  const repo = new TestRepo();
  const orders = baseSpec('orders');
  const revenue = baseSpec('revenue');
  revenue.spec.tasks.extract!.inputs = ['warehouse://analytics.orders_lines'];
  let c1 = '';
  let bumped = '';
  let unbumped = '';
  let moved = '';
  let reordered = '';
  beforeAll(() => {
    c1 = repo.commit('add pipelines', {
      'pipelines/orders.yaml': specYaml(orders),
      'pipelines/revenue.yaml': specYaml(revenue),
    });
    const next = clone(orders);
    next.spec.tasks.extract!.retries = 4;
    next.metadata.version = '1.0.1';
    bumped = repo.commit('more retries', { 'pipelines/orders.yaml': specYaml(next) });
    const breaking = clone(next);
    breaking.spec.tasks.load!.outputs = ['warehouse://analytics.orders'];
    unbumped = repo.commit('drop order lines', { 'pipelines/orders.yaml': specYaml(breaking) });
    moved = repo.commit('move into a team folder', {
      'pipelines/orders.yaml': null,
      'pipelines/sales team/örders spec.yaml': specYaml(breaking),
    });
    // Same pipeline written backwards: every map's keys reversed, tasks and list items in another order.
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverse(x)]),
            )
          : v;
    const backwards = reverse(breaking) as typeof breaking;
    backwards.spec.params!.region!.enum = ['us', 'eu'];
    backwards.spec.tasks.quality!.needs = ['load'];
    reordered = repo.commit('reformat', {
      'pipelines/sales team/örders spec.yaml': `${stringify(backwards, { indent: 4 })}`,
    });
  });
  afterAll(() => repo.remove());

  it('prints the text report with field-level changes and the policy verdict', async () => {
    const r = await runCliCapture(['diff', c1, bumped], { cwd: repo.dir });
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `pipewright diff ${c1.slice(0, 12)} → ${bumped.slice(0, 12)}`,
        '',
        'orders: modified 1.0.0 → 1.0.1, requires a patch bump, policy ok',
        '  file: pipelines/orders.yaml',
        '  [patch]    tasks.extract.retries: 3 → 4',
        '',
        '1 pipeline changed (0 added, 0 removed, 1 modified); 0 breaking changes; 0 policy violations; 0 lineage impacts',
        '',
      ].join('\n'),
    });
  });

  it('prints the json shape of the issue', async () => {
    const r = await runCliCapture(['diff', bumped, unbumped, '--format', 'json'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      base: bumped,
      head: unbumped,
      pipelines: [
        {
          name: 'orders',
          status: 'modified',
          file: 'pipelines/orders.yaml',
          previousFile: null,
          version: { before: '1.0.1', after: '1.0.1' },
          requiredBump: 'major',
          policy: 'violation',
          policyReason: 'version not bumped (still 1.0.1); changes require a major bump',
          changes: [
            {
              path: 'tasks.load.outputs',
              kind: 'removed',
              before: 'warehouse://analytics.orders_lines',
              after: null,
              severity: 'breaking',
              rule: 'output-removed',
            },
          ],
          impacts: [
            {
              output: 'warehouse://analytics.orders_lines',
              pipeline: 'revenue',
              task: 'extract',
              file: 'pipelines/revenue.yaml',
            },
          ],
        },
      ],
    });
  });

  it('--fail-on policy and --fail-on breaking exit 1 only when triggered', async () => {
    expect((await runCliCapture(['diff', c1, bumped, '--fail-on', 'policy'], { cwd: repo.dir })).code).toBe(0);
    expect((await runCliCapture(['diff', c1, bumped, '--fail-on', 'breaking'], { cwd: repo.dir })).code).toBe(0);
    const policy = await runCliCapture(['diff', bumped, unbumped, '--fail-on', 'policy'], { cwd: repo.dir });
    expect(policy.code).toBe(1);
    expect(policy.stderr).toContain('version policy violated');
    const breaking = await runCliCapture(['diff', bumped, unbumped, '--fail-on', 'breaking'], { cwd: repo.dir });
    expect(breaking.code).toBe(1);
    expect(breaking.stderr).toContain('breaking changes found');
  });

  it('keeps the identity of a pipeline moved to a path with spaces and unicode', async () => {
    const r = await runCliCapture(['diff', unbumped, moved, '--format', 'json'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pipelines).toEqual([
      expect.objectContaining({
        name: 'orders',
        status: 'modified',
        file: 'pipelines/sales team/örders spec.yaml',
        previousFile: 'pipelines/orders.yaml',
        changes: [],
        requiredBump: 'none',
        policy: 'ok',
      }),
    ]);
  });

  it('reports no change for reordered keys, tasks and lists', async () => {
    const r = await runCliCapture(['diff', moved, reordered, '--format', 'json'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pipelines).toEqual([]);
  });

  it('compares against the working tree when no head is given', async () => {
    const dirty = clone(orders);
    dirty.metadata.version = '2.0.0';
    delete dirty.spec.tasks.quality;
    repo.write({
      'pipelines/extra/orders-v2.yaml': specYaml({ ...dirty, metadata: { ...dirty.metadata, name: 'orders-v2' } }),
    });
    try {
      const r = await runCliCapture(['diff', 'HEAD', '--format', 'json'], { cwd: repo.dir });
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.head).toBe('working-tree');
      expect(out.pipelines).toEqual([
        expect.objectContaining({ name: 'orders-v2', status: 'added', policy: 'ok', requiredBump: 'none' }),
      ]);
    } finally {
      repo.write({ 'pipelines/extra/orders-v2.yaml': null });
    }
  });

  it('reports invalid specs at a side as positioned diagnostics, exit 1', async () => {
    repo.write({
      'pipelines/broken.yaml': 'apiVersion: pipewright.dev/v1\nkind: Pipeline\nmetadata: {name: broken}\n',
    });
    try {
      const r = await runCliCapture(['diff', 'HEAD'], { cwd: repo.dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^pipelines\/broken\.yaml:\d+:\d+: error: .*\[PW100\]$/m);
      expect(r.stderr).toContain('specs are invalid at the head side (the working tree)');
    } finally {
      repo.write({ 'pipelines/broken.yaml': null });
    }
  });

  it('positions diagnostics of an invalid spec in a commit as <sha>:<path>', async () => {
    const other = new TestRepo();
    try {
      const bad = other.commit('broken', {
        'pipelines/x.yaml': 'apiVersion: pipewright.dev/v1\nkind: Pipeline\nkind: Again\n',
      });
      other.commit('fixed', { 'pipelines/x.yaml': specYaml(baseSpec('x')) });
      const r = await runCliCapture(['diff', 'HEAD~1', 'HEAD'], { cwd: other.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${bad.slice(0, 12)}:pipelines/x.yaml:3:1: error: `);
      expect(r.stderr).toContain('[PW002]');
      expect(r.stderr).toMatch(/^.*3 \| kind: Again$/m); // the code frame of the shared formatter
    } finally {
      other.remove();
    }
  });

  it('reads the same spec files as compile on every side (hidden, node_modules and generated skipped)', async () => {
    const other = new TestRepo();
    try {
      const ignored = {
        'pipelines/.drafts/a.yaml': 'x: [',
        'pipelines/generated/b.yaml': 'y: [',
        'pipelines/node_modules/c.yml': 'z: [',
      };
      other.commit('one', { 'pipelines/x.yaml': specYaml(baseSpec('x')), ...ignored });
      const next = baseSpec('x');
      next.metadata.version = '1.1.0';
      next.spec.tasks.extra = { command: ['true'] };
      other.commit('two', { 'pipelines/x.yaml': specYaml(next) });
      const r = await runCliCapture(['diff', 'HEAD~1', 'HEAD', '--format', 'json'], { cwd: other.dir });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout).pipelines.map((p: { name: string }) => p.name)).toEqual(['x']);
      const wt = await runCliCapture(['diff', 'HEAD'], { cwd: other.dir });
      expect(wt).toMatchObject({ code: 0, stderr: '' });
    } finally {
      other.remove();
    }
  });

  it('refuses hostile revisions without running them', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'pw-out-')), 'x');
    const viaDashDash = await runCliCapture(['diff', '--', `--output=${target}`, 'HEAD'], { cwd: repo.dir });
    expect(viaDashDash.code).toBe(2);
    expect(viaDashDash.stderr).toContain('looks like an option, not a revision');
    const asOption = await runCliCapture(['diff', `--output=${target}`, 'HEAD'], { cwd: repo.dir });
    expect(asOption.code).toBe(2);
    const range = await runCliCapture(['diff', 'HEAD~2..HEAD'], { cwd: repo.dir });
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('is a range');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses to compare two empty sides (a wrong --path)', async () => {
    const r = await runCliCapture(['diff', c1, bumped, '--path', 'pipeline'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `no spec files under pipeline/ at ${c1.slice(0, 12)} nor at ${bumped.slice(0, 12)} (check --path)`,
    );
    const outside = await runCliCapture(['diff', c1, '--path', '../..'], { cwd: repo.dir });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('is outside the repository');
  });

  it('rejects bad usage with exit 2', async () => {
    expect((await runCliCapture(['diff'], { cwd: repo.dir })).code).toBe(2);
    expect((await runCliCapture(['diff', 'HEAD', '--format', 'xml'], { cwd: repo.dir })).code).toBe(2);
    expect((await runCliCapture(['diff', 'a', 'b', 'c'], { cwd: repo.dir })).code).toBe(2);
  });

  it('works on a detached HEAD', async () => {
    const clone = new TestRepo(mkdtempSync(join(tmpdir(), 'pw-detached-')));
    try {
      clone.git('clone', '-q', repo.dir, '.');
      clone.git('checkout', '-q', '--detach', unbumped);
      const r = await runCliCapture(['diff', 'HEAD~1', 'HEAD', '--format', 'json'], { cwd: clone.dir });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).pipelines[0]).toMatchObject({ name: 'orders', policy: 'violation' });
    } finally {
      clone.remove();
    }
  });

  it('works in a shallow clone when both sides are in it; refuses a missing revision with the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-shallow-'));
    try {
      execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, dir]);
      const here = await runCliCapture(['diff', 'HEAD'], { cwd: dir });
      expect(here).toMatchObject({ code: 0, stderr: '' });
      expect(here.stdout).toContain('No pipeline changes.');
      const r = await runCliCapture(['diff', 'HEAD~1', 'HEAD'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("unknown revision 'HEAD~1': this is a shallow clone");
      expect(r.stderr).toContain('git fetch --unshallow');
      expect(r.stderr).toContain('GIT_DEPTH: 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('markdown: summary table and one details block per pipeline', async () => {
    const r = await runCliCapture(['diff', c1, unbumped, '--format', 'markdown'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| Pipeline | Status | Version | Required bump | Policy | Changes |');
    expect(r.stdout).toContain('| orders | modified | 1.0.0 → 1.0.1 | major | ❌ violation | 1 breaking, 1 patch |');
    expect(r.stdout.match(/<details>/g)).toHaveLength(1);
    expect(r.stdout).toContain('is read by **revenue**');
  });

  it('--generated shows unified diffs of the compiled artifacts of both sides', async () => {
    const r = await runCliCapture(['diff', c1, bumped, '--generated', '--format', 'json'], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const generated: { path: string; status: string; diff: string }[] = JSON.parse(r.stdout).generated;
    const paths = generated.map((g) => g.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toEqual(expect.arrayContaining(['compose/orders.compose.yaml', 'k8s/orders.yaml']));
    // retries 3 → 4 is `retry: 2` in GitLab either way (its maximum), and no file carries the spec hash any more:
    // the GitLab child is byte for byte the same, so it is not listed.
    expect(paths).not.toContain('gitlab/orders.gitlab-ci.yml');
    expect(paths.some((p) => p.includes('revenue'))).toBe(false);
    const compose = generated.find((g) => g.path === 'compose/orders.compose.yaml')!;
    expect(compose.status).toBe('modified');
    expect(
      compose.diff.startsWith('--- base/compose/orders.compose.yaml\n+++ head/compose/orders.compose.yaml\n'),
    ).toBe(true);
    expect(compose.diff).toMatch(/^-.*on-failure:3/m);
    expect(compose.diff).toMatch(/^\+.*on-failure:4/m);
    const text = await runCliCapture(['diff', c1, bumped, '--generated'], { cwd: repo.dir });
    expect(text.stdout).toContain(
      'generated/compose/orders.compose.yaml (modified)\n--- base/compose/orders.compose.yaml',
    );
    const markdown = await runCliCapture(['diff', c1, bumped, '--generated', '--format', 'markdown'], {
      cwd: repo.dir,
    });
    expect(markdown.stdout).toContain('<summary>generated/compose/orders.compose.yaml (modified)</summary>');
    expect(markdown.stdout).toContain('```diff\n--- base/compose/orders.compose.yaml');
  });

  it('runs as the built CLI', () => {
    const cli = join(ROOT, 'dist', 'cli.js');
    expect(existsSync(cli), 'dist/cli.js (run `npm run build` first)').toBe(true);
    const r = spawnSync(process.execPath, [cli, 'diff', c1, bumped, '--format', 'json'], {
      cwd: repo.dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).pipelines[0].changes[0].path).toBe('tasks.extract.retries');
  });
});
