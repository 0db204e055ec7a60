/**
 * Exit-code semantics (issue 18 item 6): 1 = findings, 2 = errors of use; `--detailed-exitcode` on diff and check
 * (terraform's: 0 no changes, 2 changes, 1 findings or errors); diff reports a defaults.image change once, with the
 * tasks it reaches, with typed JSON values, in colour on request, and names the side an invalid spec is on.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';
import { baseSpec, clone, specYaml } from '../history/specs.js';
import { pipelineSpec, project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

describe('diff --detailed-exitcode', () => {
  const repo = new TestRepo();
  const orders = baseSpec('orders');
  let first = '';
  let imageBump = '';
  let retries = '';
  beforeAll(() => {
    first = repo.commit('add', { 'pipelines/orders.yaml': specYaml(orders) });
    const next = clone(orders);
    next.spec.defaults!.image = 'registry.example.com/etl:1.4.3';
    next.spec.tasks.quality!.image = 'registry.example.com/etl:1.4.2'; // pinned: keeps its own line
    next.metadata.version = '1.0.1';
    imageBump = repo.commit('bump the default image', { 'pipelines/orders.yaml': specYaml(next) });
    const more = clone(next);
    more.spec.tasks.extract!.retries = 4;
    more.spec.enabled = false;
    more.metadata.version = '2.0.0';
    retries = repo.commit('more retries, disabled', { 'pipelines/orders.yaml': specYaml(more) });
  });
  afterAll(() => repo.remove());

  it('0 without changes, 2 with changes; without the flag both are 0', async () => {
    expect((await runCliCapture(['diff', first, first, '--detailed-exitcode'], { cwd: repo.dir })).code).toBe(0);
    expect((await runCliCapture(['diff', first, imageBump, '--detailed-exitcode'], { cwd: repo.dir })).code).toBe(2);
    expect((await runCliCapture(['diff', first, imageBump], { cwd: repo.dir })).code).toBe(0);
  });

  it('1 for findings and for every error, so that 2 only ever means changes', async () => {
    const policy = await runCliCapture(['diff', first, retries, '--fail-on', 'breaking', '--detailed-exitcode'], {
      cwd: repo.dir,
    });
    expect(policy.code).toBe(1);
    const unknown = await runCliCapture(['diff', 'nope', '--detailed-exitcode'], { cwd: repo.dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown revision 'nope'");
    const badFlag = await runCliCapture(['diff', first, '--detailed-exitcode', '--frmat', 'json'], { cwd: repo.dir });
    expect(badFlag.code).toBe(1);
  });

  it('without the flag an unknown revision is an error of use (2), a policy violation a finding (1)', async () => {
    expect((await runCliCapture(['diff', 'nope'], { cwd: repo.dir })).code).toBe(2);
    const policy = await runCliCapture(['diff', first, retries, '--fail-on', 'breaking'], { cwd: repo.dir });
    expect(policy.code).toBe(1);
  });

  it('a defaults.image change is one change at defaults.image listing the tasks it reaches', async () => {
    const text = await runCliCapture(['diff', first, imageBump], { cwd: repo.dir });
    expect(text.stdout).toContain(
      '[patch]    defaults.image: registry.example.com/etl:1.4.2 → registry.example.com/etl:1.4.3 (2 tasks: extract, load)',
    );
    expect(text.stdout).not.toContain('tasks.extract.image');
    const json = JSON.parse(
      (await runCliCapture(['diff', first, imageBump, '--format', 'json'], { cwd: repo.dir })).stdout,
    );
    const changes = json.pipelines[0].changes;
    expect(changes).toEqual([
      {
        path: 'defaults.image',
        kind: 'changed',
        before: 'registry.example.com/etl:1.4.2',
        after: 'registry.example.com/etl:1.4.3',
        severity: 'patch',
        rule: 'image-tag-changed',
        tasks: ['extract', 'load'],
      },
    ]);
  });

  it('JSON values keep their type', async () => {
    const json = JSON.parse(
      (await runCliCapture(['diff', imageBump, retries, '--format', 'json'], { cwd: repo.dir })).stdout,
    );
    const byPath = new Map(json.pipelines[0].changes.map((c: { path: string }) => [c.path, c]));
    expect(byPath.get('tasks.extract.retries')).toMatchObject({ before: 3, after: 4 });
    expect(byPath.get('enabled')).toMatchObject({ before: true, after: false });
  });

  it('colours the text report on a TTY, never with NO_COLOR, always with FORCE_COLOR', async () => {
    const tty = await runCliCapture(['diff', first, imageBump], { cwd: repo.dir, isTTY: true });
    expect(tty.stdout).toContain('\u001b[32m[patch]');
    const noColor = await runCliCapture(['diff', first, imageBump], {
      cwd: repo.dir,
      isTTY: true,
      env: { NO_COLOR: '1' },
    });
    expect(noColor.stdout).not.toContain('\u001b[');
    const forced = await runCliCapture(['diff', first, imageBump], { cwd: repo.dir, env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\u001b[1m');
    const piped = await runCliCapture(['diff', first, imageBump], { cwd: repo.dir });
    expect(piped.stdout).not.toContain('\u001b[');
  });

  it('names the side an invalid spec is on', async () => {
    const other = new TestRepo();
    try {
      const bad = other.commit('broken', { 'pipelines/x.yaml': 'apiVersion: pipewright.dev/v1\nkind: Pipeline\n' });
      other.commit('fixed', { 'pipelines/x.yaml': specYaml(baseSpec('x')) });
      const r = await runCliCapture(['diff', 'HEAD~1', 'HEAD'], { cwd: other.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`specs are invalid at the base side (${bad.slice(0, 12)})`);
    } finally {
      other.remove();
    }
  });
});

describe('check --detailed-exitcode', () => {
  it('0 up to date, 2 stale, 1 invalid specs; without the flag stale is 1', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    expect((await runCliCapture(['compile'], { cwd })).code).toBe(0);
    expect((await runCliCapture(['check', '--detailed-exitcode'], { cwd })).code).toBe(0);
    await writeFile(
      join(cwd, 'pipelines/a.yaml'),
      pipelineSpec('alpha').replace('command: [echo, load]', 'command: [echo, LOAD]'),
    );
    expect((await runCliCapture(['check', '--detailed-exitcode'], { cwd })).code).toBe(2);
    expect((await runCliCapture(['check', '--detailed-exitcode', '--format', 'json'], { cwd })).code).toBe(2);
    expect((await runCliCapture(['check'], { cwd })).code).toBe(1);
    await writeFile(join(cwd, 'pipelines/a.yaml'), 'apiVersion: pipewright.dev/v1\nkind: Pipeline\n');
    expect((await runCliCapture(['check', '--detailed-exitcode'], { cwd })).code).toBe(1);
    expect((await runCliCapture(['check', '--detailed-exitcode', '--max-diff-lines', 'x'], { cwd })).code).toBe(1);
    expect((await runCliCapture(['check', '--max-diff-lines', 'x'], { cwd })).code).toBe(2);
  });
});
