import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';
import { baseSpec, clone, specYaml } from '../history/specs.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('pipewright changelog', () => {
  const repo = new TestRepo();
  const shas: string[] = [];
  beforeAll(() => {
    const orders = baseSpec('orders');
    shas.push(repo.commit('Add orders pipeline', { 'pipelines/orders.yaml': specYaml(orders) }));
    shas.push(repo.commit('Unrelated docs', { 'README.md': 'hello\n' }));
    const v110 = clone(orders);
    v110.metadata.version = '1.1.0';
    v110.spec.tasks.publish = { needs: ['quality'], command: ['python', '-m', 'etl.publish'] };
    shas.push(repo.commit('Publish orders', { 'pipelines/orders.yaml': specYaml(v110) }));
    const unreleased = clone(v110);
    unreleased.spec.tasks.extract!.retries = 5;
    shas.push(repo.commit('Retry extract more', { 'pipelines/orders.yaml': specYaml(unreleased) }));
    // Merged from a feature branch: the merge commit is compared with its first parent.
    repo.git('checkout', '-q', '-b', 'feature');
    const revenue = baseSpec('revenue');
    repo.commit('Add revenue (feature branch)', { 'pipelines/finance/revenue pipeline.yaml': specYaml(revenue) });
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--no-ff', '-m', 'Merge branch feature', 'feature');
    shas.push(repo.head());
    const v200 = clone(unreleased);
    v200.metadata.version = '2.0.0';
    delete v200.spec.tasks.quality;
    v200.spec.tasks.publish!.needs = ['load'];
    shas.push(repo.commit('Drop the quality gate', { 'pipelines/orders.yaml': specYaml(v200) }));
  });
  afterAll(() => repo.remove());

  it('json: entries per pipeline in first-parent order, unreleased commits flagged', async () => {
    const r = await runCliCapture(['changelog', '--format', 'json'], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.from).toBeNull();
    expect(out.to).toBe(shas[5]);
    expect(out.pipelines.map((p: { name: string }) => p.name)).toEqual(['orders', 'revenue']);
    const orders = out.pipelines[0].entries;
    expect(orders.map((e: Record<string, unknown>) => [e.version, e.status, e.flagged, e.subject])).toEqual([
      ['1.0.0', 'added', false, 'Add orders pipeline'],
      ['1.1.0', 'released', false, 'Publish orders'],
      ['1.1.0', 'unreleased', true, 'Retry extract more'],
      ['2.0.0', 'released', false, 'Drop the quality gate'],
    ]);
    expect(orders[1]).toMatchObject({
      commit: shas[2],
      date: '2024-01-03T10:00:00+00:00',
      author: 'Test Author',
      email: 'author@example.com',
      requiredBump: 'minor',
      policy: 'ok',
      changes: [
        expect.objectContaining({ path: 'tasks.publish', kind: 'added', severity: 'minor', rule: 'task-added' }),
      ],
    });
    expect(orders[2]).toMatchObject({
      flagReason: 'spec changed without a version bump (requires a patch bump)',
      policy: 'violation',
    });
    expect(out.pipelines[1].entries).toEqual([
      expect.objectContaining({
        version: '1.0.0',
        status: 'added',
        commit: shas[4],
        subject: 'Merge branch feature',
        file: 'pipelines/finance/revenue pipeline.yaml',
      }),
    ]);
  });

  it('--from/--to bound the walk and --pipeline filters', async () => {
    const r = await runCliCapture(
      ['changelog', '--from', shas[2]!, '--to', shas[4]!, '--pipeline', 'orders', '--format', 'json'],
      { cwd: repo.dir },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pipelines).toHaveLength(1);
    expect(out.pipelines[0].entries.map((e: { subject: string }) => e.subject)).toEqual(['Retry extract more']);
    const bad = await runCliCapture(['changelog', '--from', shas[5]!, '--to', shas[0]!], { cwd: repo.dir });
    expect(bad.code).toBe(2); // an error of use, not a finding
    expect(bad.stderr).toContain('is not an ancestor');
  });

  it('refuses hostile revisions and works on a detached HEAD', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'pw-out-')), 'x');
    for (const flag of ['--from', '--to']) {
      const r = await runCliCapture(['changelog', `${flag}=--output=${target}`], { cwd: repo.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('looks like an option, not a revision');
    }
    expect(existsSync(target)).toBe(false);
    repo.git('checkout', '-q', '--detach', shas[2]!);
    try {
      const r = await runCliCapture(['changelog', '--format', 'json'], { cwd: repo.dir });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).to).toBe(shas[2]);
    } finally {
      repo.git('checkout', '-q', 'main');
    }
  });

  it('records a file move with unchanged content, and warns once about a duplicate pipeline name', async () => {
    const other = new TestRepo();
    try {
      const spec = specYaml(baseSpec('a'));
      other.commit('add', { 'pipelines/a.yaml': spec });
      const moved = other.commit('move', { 'pipelines/a.yaml': null, 'pipelines/team a/a.yaml': spec });
      const dup = other.commit('copy', { 'pipelines/z.yaml': spec });
      other.commit('touch', { 'pipelines/team a/a.yaml': `${spec}# comment\n` });
      const r = await runCliCapture(['changelog', '--format', 'json'], { cwd: other.dir });
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.pipelines[0].entries.map((e: { status: string }) => e.status)).toEqual(['added', 'moved']);
      expect(out.pipelines[0].entries[1]).toMatchObject({
        commit: moved,
        file: 'pipelines/team a/a.yaml',
        previousFile: 'pipelines/a.yaml',
        flagged: false,
      });
      expect(out.warnings).toEqual([
        {
          commit: dup,
          file: 'pipelines/z.yaml',
          message: "pipeline 'a' is defined by more than one spec; this one is ignored",
        },
      ]);
      expect(r.stderr).toBe(
        `pipewright: changelog: warning: ${dup.slice(0, 12)}:pipelines/z.yaml: pipeline 'a' is defined by more than one spec; this one is ignored\n`,
      );
    } finally {
      other.remove();
    }
  });

  it('markdown from the built-in template: Keep a Changelog release notes, newest first, no HTML', async () => {
    const r = await runCliCapture(['changelog', '--pipeline', 'orders'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# Changelog');
    expect(r.stdout).toContain('## orders');
    expect(r.stdout).not.toContain('## revenue');
    expect(r.stdout).not.toMatch(/<\/?[a-z]+>/); // no raw HTML
    const headings = [...r.stdout.matchAll(/^### (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['2.0.0 - 2024-01-06', '1.1.0 - 2024-01-03', '1.0.0 - 2024-01-01']);
    // Committed without a bump in "Retry extract more", shipped by 2.0.0: listed under 2.0.0.
    const v200 = r.stdout.slice(r.stdout.indexOf('### 2.0.0'), r.stdout.indexOf('### 1.1.0'));
    expect(v200).toContain('#### Changed\n\n- `tasks.extract.retries`: `3` → `5`\n');
    expect(v200).toContain('#### Removed\n\n- `tasks.publish.needs`: `quality`\n- **BREAKING** `tasks.quality`');
    expect(v200).toContain(`- \`${shas[3]!.slice(0, 12)}\` 2024-01-04 Test Author: Retry extract more\n`);
    expect(r.stdout.slice(r.stdout.indexOf('### 1.1.0'))).not.toContain('retries');
  });

  it('markdown: changes not released yet are "Unreleased", on top', async () => {
    const r = await runCliCapture(['changelog', '--pipeline', 'orders', '--to', shas[3]!], { cwd: repo.dir });
    expect(r.code).toBe(0);
    const headings = [...r.stdout.matchAll(/^### (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['Unreleased', '1.1.0 - 2024-01-03', '1.0.0 - 2024-01-01']);
    expect(r.stdout).toContain('Changed since 1.1.0 without a version bump yet.');
    expect(r.stdout).toContain(
      `- \`${shas[3]!.slice(0, 12)}\` 2024-01-04 Test Author: Retry extract more ⚠️ spec changed without a version bump (requires a patch bump)`,
    );
    const json = JSON.parse(
      (
        await runCliCapture(['changelog', '--pipeline', 'orders', '--to', shas[3]!, '--format', 'json'], {
          cwd: repo.dir,
        })
      ).stdout,
    );
    const releases = json.pipelines[0].releases;
    expect(releases.map((x: { version: string; status: string }) => [x.version, x.status])).toEqual([
      ['1.1.0', 'unreleased'],
      ['1.1.0', 'released'],
      ['1.0.0', 'added'],
    ]);
    expect(releases[0]).toMatchObject({ date: null, commit: null });
    expect(releases[0].changes).toEqual([
      {
        path: 'tasks.extract.retries',
        kind: 'changed',
        before: 3,
        after: 5,
        severity: 'patch',
        rule: 'retries-changed',
      },
    ]);
  });

  describe('user templates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-template-'));
    const template = (name: string, source: string) => {
      writeFileSync(join(dir, name), source);
      return join(dir, name);
    };
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('replaces the built-in one, without HTML escaping', async () => {
      const file = template(
        'ok.hbs',
        '{{#each pipelines}}{{name}}:{{#each entries}} {{version}}{{#if flagged}}!{{/if}} <{{short commit}}>{{/each}}\n{{/each}}',
      );
      const r = await runCliCapture(['changelog', '--template', file], { cwd: repo.dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        `orders: 1.0.0 <${shas[0]!.slice(0, 12)}> 1.1.0 <${shas[2]!.slice(0, 12)}> 1.1.0! <${shas[3]!.slice(0, 12)}> 2.0.0 <${shas[5]!.slice(0, 12)}>\n` +
          `revenue: 1.0.0 <${shas[4]!.slice(0, 12)}>\n`,
      );
    });

    it.each([
      ['constructor.hbs', '{{constructor.name}}'],
      ['proto.hbs', '{{#each pipelines}}{{__proto__.constructor.name}}{{/each}}'],
      ['lookup.hbs', '{{lookup this "constructor"}}'],
      ['log.hbs', '{{log "x"}}'],
      ['missing.hbs', 'line one\n  {{#each pipelines}}{{nope}}{{/each}}'],
      ['unknown-helper.hbs', '{{shell "id"}}'],
    ])('%s yields a positioned error, never prototype data', async (name, source) => {
      const r = await runCliCapture(['changelog', '--template', template(name, source)], { cwd: repo.dir });
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^pipewright: changelog: .*${name.replace('.', '\\.')}:\\d+(:\\d+)?: `));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('function');
    });

    it('prototype properties resolve to nothing', async () => {
      const r = await runCliCapture(
        [
          'changelog',
          '--template',
          template('quiet.hbs', '[{{pipelines.constructor}}][{{#with __proto__}}x{{/with}}]'),
        ],
        {
          cwd: repo.dir,
        },
      );
      expect(r).toMatchObject({ code: 0, stdout: '[][]' });
    });

    it('reports syntax errors with the line', async () => {
      const r = await runCliCapture(['changelog', '--template', template('syntax.hbs', 'ok\n{{#each pipelines}\n')], {
        cwd: repo.dir,
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('syntax.hbs:2: template syntax error');
    });

    it('says when the template cannot be read', async () => {
      const r = await runCliCapture(['changelog', '--template', join(dir, 'absent.hbs')], { cwd: repo.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('cannot read template');
    });
  });

  it('runs as the built CLI', () => {
    const cli = join(ROOT, 'dist', 'cli.js');
    expect(existsSync(cli), 'dist/cli.js (run `npm run build` first)').toBe(true);
    const r = spawnSync(process.execPath, [cli, 'changelog', '--pipeline', 'revenue'], {
      cwd: repo.dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('## revenue');
  });
});
