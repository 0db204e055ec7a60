/**
 * The commands users reach for: init (scaffold, refuse to overwrite, every command its CI job names exists with those
 * options, the job is valid GitLab CI), list, targets (the docs/targets.md table itself, so they cannot drift) and the
 * .gitignore `.pipewright/` writes for itself.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCAFFOLD } from '../../src/cli/commands/init.js';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { makeStateDir } from '../../src/runtime/state-dir.js';
import { TARGETS } from '../../src/targets/target.js';
import { runCliCapture } from '../helpers/cli.js';
import { targetValidators } from '../targets/target-schemas.js';
import { project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

describe('pipewright init', () => {
  it('scaffolds a project that validates and compiles, then refuses to overwrite it', async () => {
    const cwd = await project({ '.gitignore': 'node_modules/' });
    const r = await runCliCapture(['init'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created pipewright.yaml\ncreated pipelines/example.yaml\n');
    expect(r.stdout).toContain('updated .gitignore (.pipewright/)');
    expect(await readFile(join(cwd, '.gitignore'), 'utf8')).toBe('node_modules/\n.pipewright/\n');
    for (const [path, text] of Object.entries(SCAFFOLD)) expect(await readFile(join(cwd, path), 'utf8')).toBe(text);
    expect(SCAFFOLD['pipelines/example.yaml']).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/node_modules\/pipewright\/schema\/pipeline\.schema\.json\n/,
    );
    expect(loadConfig('pipewright.yaml', SCAFFOLD['pipewright.yaml']!).diagnostics).toEqual([]);

    const validate = await runCliCapture(['validate'], { cwd });
    expect(validate).toMatchObject({ code: 0, stdout: '0 errors, 0 warnings in 1 file\n' });
    expect((await runCliCapture(['compile'], { cwd })).code).toBe(0);

    await writeFile(join(cwd, 'pipelines/example.yaml'), '# mine\n');
    const again = await runCliCapture(['init'], { cwd });
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'pipewright: init: pipewright.yaml, pipelines/example.yaml, .gitlab/pipewright.gitlab-ci.yml already exist; nothing written\n',
    });
    expect(await readFile(join(cwd, 'pipelines/example.yaml'), 'utf8')).toBe('# mine\n');
    expect(await readFile(join(cwd, '.gitignore'), 'utf8')).toBe('node_modules/\n.pipewright/\n');
  });

  it('init <dir> creates the directory; one existing file is enough to refuse', async () => {
    const cwd = await project({ 'b/pipewright.yaml': 'apiVersion: pipewright.dev/v1\nkind: Project\n' });
    expect((await runCliCapture(['init', 'a'], { cwd })).code).toBe(0);
    expect(existsSync(join(cwd, 'a', 'pipelines', 'example.yaml'))).toBe(true);
    expect(await readFile(join(cwd, 'a', '.gitignore'), 'utf8')).toBe('.pipewright/\n');
    const refused = await runCliCapture(['init', 'b'], { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('pipewright: init: b/pipewright.yaml already exists; nothing written\n');
    expect(existsSync(join(cwd, 'b', 'pipelines'))).toBe(false);
  });

  it('the GitLab CI job is valid GitLab CI and every pipewright command and option it runs exists', async () => {
    const text = SCAFFOLD['.gitlab/pipewright.gitlab-ci.yml']!;
    const value = parse(text, { version: '1.1' });
    const gitlab = targetValidators().gitlab;
    expect(gitlab(value), JSON.stringify(gitlab.errors)).toBe(true);
    const lines = (value.pipewright.script as string[]).join('\n');
    const uses = [...lines.matchAll(/npx pipewright (\w+)([^;\n]*)/g)];
    expect(uses.map((m) => m[1])).toEqual(['validate', 'check', 'diff', 'validate', 'check']);
    for (const [, name, rest] of uses) {
      expect(COMMAND_NAMES).toContain(name);
      const help = (await runCliCapture([name!, '--help'])).stdout;
      for (const flag of rest!.match(/--[\w-]+/g) ?? []) expect(help, `${name} ${flag}`).toContain(flag);
    }
  });
});

describe('pipewright list', () => {
  const spec = (name: string, extra = '') =>
    `apiVersion: pipewright.dev/v1\nkind: Pipeline\nmetadata: { name: ${name}, version: 1.2.0, owner: data }\nspec:\n${extra}  defaults: { image: "alpine:3.20" }\n  tasks:\n    a: { command: [echo, a] }\n`;

  it('lists name, version, owner, schedule, enabled and the compiled targets; json too', async () => {
    const cwd = await project({
      'pipelines/b.yaml': spec('nightly', '  schedule: "0 3 * * *"\n  timezone: Europe/Berlin\n'),
      'pipelines/a.yaml': spec('adhoc', '  enabled: false\n'),
    });
    expect((await runCliCapture(['compile', '--target', 'compose,gitlab'], { cwd })).code).toBe(0);
    const text = await runCliCapture(['list'], { cwd });
    expect(text).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'NAME     VERSION  OWNER  SCHEDULE                   ENABLED  TARGETS\n' +
        'adhoc    1.2.0    data   -                          no       compose,gitlab\n' +
        'nightly  1.2.0    data   0 3 * * * (Europe/Berlin)  yes      compose,gitlab\n',
    });
    const json = JSON.parse((await runCliCapture(['list', '--format', 'json'], { cwd })).stdout);
    expect(json[1]).toEqual({
      name: 'nightly',
      version: '1.2.0',
      owner: 'data',
      schedule: '0 3 * * *',
      timezone: 'Europe/Berlin',
      enabled: true,
      targets: ['compose', 'gitlab'],
      file: 'pipelines/b.yaml',
    });
  });

  it('names specs with errors on stderr and exits 1, still listing the valid ones', async () => {
    const cwd = await project({ 'pipelines/ok.yaml': spec('ok'), 'pipelines/bad.yaml': 'kind: Pipeline\n' });
    const r = await runCliCapture(['list'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('\nok    1.2.0    data   -         yes      -\n');
    expect(r.stderr).toBe(
      'pipewright: list: pipelines/bad.yaml has errors (see `pipewright validate pipelines/bad.yaml`)\n',
    );
  });
});

describe('pipewright targets', () => {
  const DOC = readFile(join(import.meta.dirname, '..', '..', 'docs', 'targets.md'), 'utf8');

  it('--format markdown is the Feature × target table of docs/targets.md, byte for byte', async () => {
    const r = await runCliCapture(['targets', '--format', 'markdown']);
    expect(r.code).toBe(0);
    const doc = await DOC;
    const section = doc.slice(doc.indexOf('\n## Feature × target\n'));
    expect(section).toContain(`\n${r.stdout}`);
    expect(r.stdout.split('\n')[0]).toBe('| spec field | Docker Compose | Kubernetes | GitLab CI |');
  });

  it('text and json show every row for each target, with the warning codes of each cell', async () => {
    const doc = await DOC;
    const rows =
      doc
        .slice(doc.indexOf('\n## Feature × target\n'))
        .split('\n')
        .filter((l) => l.startsWith('| ')).length - 1;
    const json = JSON.parse((await runCliCapture(['targets', '--format', 'json'])).stdout) as {
      target: string;
      features: { field: string; does: string; warnings: string[] }[];
    }[];
    expect(json.map((t) => t.target)).toEqual([...TARGETS]);
    for (const t of json) expect(t.features).toHaveLength(rows - 1);
    const gitlabRetries = json[2]!.features.find((f) => f.field === 'retries')!;
    expect(gitlabRetries.warnings).toEqual(['PW301']);
    expect(gitlabRetries.does).not.toContain('`');
    const text = await runCliCapture(['targets', 'kubernetes']);
    expect(text.stdout).toMatch(/^Kubernetes \(--target k8s\)\n {2}task → unit {2,}/);
    expect(text.stdout).not.toContain('Docker Compose (--target');
    expect(await runCliCapture(['targets', 'nomad'])).toMatchObject({ code: 2 });
  });
});

describe('.pipewright/', () => {
  it('writes its own .gitignore (*) when it creates the directory, and never replaces one', async () => {
    const cwd = await project({});
    makeStateDir(join(cwd, '.pipewright', 'runs', 'x'));
    expect(await readFile(join(cwd, '.pipewright', '.gitignore'), 'utf8')).toBe('*\n');
    const other = await project({ '.pipewright/.gitignore': 'mine\n' });
    makeStateDir(join(other, '.pipewright', 'cache'));
    expect(await readFile(join(other, '.pipewright', '.gitignore'), 'utf8')).toBe('mine\n');
  });

  it('compile (run from a subdirectory) creates it at the project root with that .gitignore', async () => {
    const cwd = await project({
      'pipewright.yaml': SCAFFOLD['pipewright.yaml']!,
      'pipelines/a.yaml': SCAFFOLD['pipelines/example.yaml']!,
    });
    await mkdir(join(cwd, 'sub'));
    // the compile cache needs a user cache directory for its key (src/emit/cache-key.ts)
    const env = { HOME: join(cwd, 'home') };
    expect((await runCliCapture(['compile'], { cwd: join(cwd, 'sub'), env })).code).toBe(0);
    expect(await readFile(join(cwd, '.pipewright', '.gitignore'), 'utf8')).toBe('*\n');
  });
});
