import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, pipelineName } from '../../bench/corpus.mjs';
import { environmentsConfig } from '../../bench/environments.mjs';
import { files, pipelineSpec, project, removeProjects } from '../cli/compile-support.js';

/**
 * --jobs N (src/emit/parallel.ts, src/emit/pool.ts) as users run it: the built CLI in a real process (worker threads
 * need the built worker script). Whatever the number of threads, the same bytes in generated/ and the same output,
 * diagnostics in the same order; and compile's staging area (src/emit/staging.ts) leaves the output directory as it
 * was whenever compile fails.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

afterAll(removeProjects);

beforeAll(() => {
  expect(existsSync(CLI), 'dist/cli.js (run `npm run build` first)').toBe(true);
});

function run(cwd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    timeout: 240_000,
  });
}

/** Exit code, stdout and stderr, without the elapsed time compile prints. */
function outcome(r: SpawnSyncReturns<string>) {
  const untimed = (text: string) => text.replace(/"durationMs": \d+/g, '"durationMs": 0').replace(/\(\d+ ms\)/g, '');
  return { status: r.status, stdout: untimed(r.stdout), stderr: untimed(r.stderr) };
}

/** Every file and directory under `dir` with its bytes (directories as null), hidden ones included. */
async function tree(dir: string, prefix = ''): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out[rel] = null;
      Object.assign(out, await tree(dir, rel));
    } else out[rel] = await readFile(join(dir, rel), 'latin1');
  }
  return out;
}

/** A corpus of generated specs (valid, with warnings) plus specs with errors of every stage, and a duplicate name. */
function mixedCorpus(): Record<string, string> {
  const specs: Record<string, string> = {};
  for (const { file, text } of generateCorpus({ seed: 7, pipelines: 16, tasks: 8 })) specs[file] = text;
  return specs;
}

function brokenSpecs(): Record<string, string> {
  return {
    'pipelines/zz-syntax.yaml': 'apiVersion: pipewright.dev/v1\nkind: [unclosed\n',
    'pipelines/zz-schema.yaml': `${pipelineSpec('schema-broken')}  bogus: 1\n`,
    'pipelines/zz-duplicate.yaml': pipelineSpec('alpha'),
    'pipelines/aa-first.yaml': pipelineSpec('alpha'),
    'pipelines/zz-needs.yaml': pipelineSpec('needs-broken').replace('needs: [extract]', 'needs: [nowhere]'),
  };
}

// every test runs the CLI several times on a shared, loaded machine
const SLOW = { timeout: 600_000 };

describe('--jobs: the same bytes whatever the number of threads', SLOW, () => {
  it('compile writes identical trees and reports identically, on the examples and on a generated corpus', async () => {
    for (const specs of [undefined, mixedCorpus()]) {
      const dirs: string[] = [];
      for (const jobs of ['1', '2']) {
        const cwd = await project(specs ?? {});
        if (!specs) await cp(join(ROOT, 'pipelines'), join(cwd, 'pipelines'), { recursive: true });
        dirs.push(cwd);
        const r = run(cwd, ['compile', '--jobs', jobs, '--no-cache', '--format', 'json']);
        expect(r.status, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).written.length).toBeGreaterThan(0);
      }
      const [one, two] = dirs as [string, string];
      const expected = await tree(join(one, 'generated'));
      expect(Object.keys(expected).some((p) => p.startsWith('.pipewright-staging'))).toBe(false);
      expect(await tree(join(two, 'generated'))).toEqual(expected);
      // and the text report (warnings with code frames, in order) is the same
      const text = dirs.map((d, i) => outcome(run(d, ['compile', '--jobs', String(i + 1), '--no-cache'])));
      expect(text[1]).toEqual(text[0]);
      expect(text[0]!.stdout).toMatch(/compiled \d+ pipelines: 0 written, \d+ unchanged/);
    }
  });

  it('validate and compile report the same diagnostics in the same order for broken specs', async () => {
    const cwd = await project({ ...mixedCorpus(), ...brokenSpecs() });
    await writeFile(
      join(cwd, 'pipelines/zz-latin1.yaml'),
      Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9, 0x0a]),
    );
    for (const args of [
      ['validate'],
      ['validate', '--format', 'json'],
      ['validate', '--format', 'codequality'],
      ['compile', '--no-cache'],
      ['compile', '--no-cache', '--format', 'json'],
      ['check'],
    ]) {
      const one = outcome(run(cwd, [...args, '--jobs', '1']));
      const two = outcome(run(cwd, [...args, '--jobs', '2']));
      expect(one.status, args.join(' ')).toBe(1);
      expect(two, args.join(' ')).toEqual(one);
    }
    const json = JSON.parse(run(cwd, ['validate', '--format', 'json', '--jobs', '2']).stdout);
    const codes = new Set(json.diagnostics.map((d: { code: string }) => d.code));
    for (const code of ['PW001', 'PW100', 'PW204', 'PW201']) expect(codes, code).toContain(code);
    expect(existsSync(join(cwd, 'generated'))).toBe(false);
  });

  it('check agrees with itself on an up-to-date and on a hand-edited tree', async () => {
    const cwd = await project(mixedCorpus());
    expect(run(cwd, ['compile', '--jobs', '2']).status).toBe(0);
    const clean = [outcome(run(cwd, ['check', '--jobs', '1'])), outcome(run(cwd, ['check', '--jobs', '2']))];
    expect(clean[0]!.status).toBe(0);
    expect(clean[1]).toEqual(clean[0]);
    const k8s = (await readdir(join(cwd, 'generated/k8s'))).sort()[3]!;
    await writeFile(join(cwd, 'generated/k8s', k8s), '# generated by pipewright\nhand: edit\n');
    const stale = [outcome(run(cwd, ['check', '--jobs', '1'])), outcome(run(cwd, ['check', '--jobs', '2']))];
    expect(stale[0]!.status).toBe(1);
    expect(stale[0]!.stderr).toContain(`stale    generated/k8s/${k8s}`);
    expect(stale[1]).toEqual(stale[0]);
  });

  it('refuses a --jobs that is not a whole number of at least 1 (usage error)', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    for (const command of ['validate', 'compile', 'check']) {
      for (const jobs of ['0', 'two', '1.5']) {
        const r = run(cwd, [command, '--jobs', jobs]);
        expect(r.status, `${command} --jobs ${jobs}`).toBe(2);
        expect(r.stderr).toMatch(/--jobs must be (a whole number|at least 1)/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    }
  });
});

describe('--jobs with the compile cache', SLOW, () => {
  it('outputs compiled on worker threads are cached, reused, and equal to a compile without the cache', async () => {
    const cwd = await project(mixedCorpus());
    // the cache key lives in the user's cache directory: here one inside the project
    const env = { XDG_CACHE_HOME: join(cwd, '.user-cache') };
    const compile = (jobs: string, cache = true) =>
      spawnSync(
        process.execPath,
        [CLI, 'compile', '--jobs', jobs, '--format', 'json', ...(cache ? [] : ['--no-cache'])],
        {
          cwd,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
        },
      );
    const cold = JSON.parse(compile('2').stdout);
    expect(cold.cache).toEqual({ reused: 0, compiled: 16 });
    const built = await files(cwd, 'generated');
    const warm = JSON.parse(compile('2').stdout);
    expect(warm.cache).toEqual({ reused: 16, compiled: 0 });
    expect(warm.written).toEqual([]);
    const first = Object.keys(mixedCorpus()).sort()[0]!;
    await writeFile(join(cwd, first), (await readFile(join(cwd, first), 'utf8')).replace('- --date\n', '- --day\n'));
    const edited = JSON.parse(compile('2').stdout);
    expect(edited.cache).toEqual({ reused: 15, compiled: 1 });
    expect(edited.written.length).toBeGreaterThan(0);
    const cachedTree = await files(cwd, 'generated');
    expect(cachedTree).not.toEqual(built);
    expect(JSON.parse(compile('1', false).stdout).written).toEqual([]);
    expect(await files(cwd, 'generated')).toEqual(cachedTree);
  });
});

describe('compile streams outputs through a staging area, all-or-nothing', SLOW, () => {
  it('a spec failing after others were staged leaves generated/ exactly as it was', async () => {
    for (const jobs of ['1', '2']) {
      const cwd = await project(mixedCorpus());
      expect(run(cwd, ['compile', '--jobs', jobs]).status).toBe(0);
      const before = await tree(join(cwd, 'generated'));
      const mtimes = await stat(join(cwd, 'generated/.pipewright-manifest.json'));
      // every other spec changes (their outputs are staged), the last one in path order is broken
      for (const [file, text] of Object.entries(mixedCorpus()))
        await writeFile(join(cwd, file), text.replace(/- --date\n/g, '- --day\n'));
      await writeFile(join(cwd, 'pipelines/zzz.yaml'), `${pipelineSpec('zzz')}  bogus: 1\n`);
      const r = run(cwd, ['compile', '--jobs', jobs]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain('nothing written');
      expect(await tree(join(cwd, 'generated'))).toEqual(before);
      expect((await stat(join(cwd, 'generated/.pipewright-manifest.json'))).mtimeMs).toBe(mtimes.mtimeMs);
    }
  });

  it('a failed first compile does not leave an output directory behind', async () => {
    const cwd = await project({ ...mixedCorpus(), 'pipelines/zzz.yaml': `${pipelineSpec('zzz')}  bogus: 1\n` });
    for (const jobs of ['1', '2']) {
      expect(run(cwd, ['compile', '--jobs', jobs, '--out', 'build/gen']).status).toBe(1);
      expect(existsSync(join(cwd, 'build'))).toBe(false);
    }
  });

  it('a refusal of the writer (a foreign file at an output path) leaves generated/ as it was', async () => {
    const specs = mixedCorpus();
    const cwd = await project(specs);
    expect(run(cwd, ['compile', '--jobs', '2']).status).toBe(0);
    await writeFile(join(cwd, 'pipelines/new-one.yaml'), pipelineSpec('new-one'));
    await writeFile(join(cwd, 'generated/k8s/new-one.yaml'), 'mine: true\n');
    const before = await tree(join(cwd, 'generated'));
    const r = run(cwd, ['compile', '--jobs', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('generated/k8s/new-one.yaml exists and was not written by pipewright');
    expect(await tree(join(cwd, 'generated'))).toEqual(before);
  });

  it("removes the staging area of a compile that was killed, never a running one's", async () => {
    const cwd = await project(mixedCorpus());
    expect(run(cwd, ['compile']).status).toBe(0);
    // a process that has exited: its pid is free (until reused; a fresh exited child's is not reused this fast)
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dead = join(cwd, `generated/.pipewright-staging-${gone.stdout}-0123456789ab`);
    const alive = join(cwd, `generated/.pipewright-staging-${process.pid}-ba9876543210`);
    for (const dir of [dead, alive]) {
      await mkdir(dir);
      await writeFile(join(dir, '0.0'), 'half-written');
    }
    await writeFile(join(cwd, 'pipelines/new-one.yaml'), pipelineSpec('new-one'));
    expect(run(cwd, ['compile']).status).toBe(0);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect((await readdir(join(cwd, 'generated'))).filter((n) => n.startsWith('.')).sort()).toEqual([
      '.pipewright-manifest.json',
      `.pipewright-staging-${process.pid}-ba9876543210`,
    ]);
  });

  it('the staging area exists while compile runs and is gone when it ends', async () => {
    const cwd = await project(mixedCorpus());
    const child = spawn(process.execPath, [CLI, 'compile', '--jobs', '2'], { cwd, stdio: 'ignore' });
    let seen = false;
    const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let exited = false;
    void done.then(() => {
      exited = true;
    });
    while (!exited) {
      const names = await readdir(join(cwd, 'generated')).catch(() => []);
      if (names.some((n) => n.startsWith('.pipewright-staging-'))) seen = true;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await done).toBe(0);
    expect(seen).toBe(true);
    expect((await readdir(join(cwd, 'generated'))).filter((n) => n.startsWith('.'))).toEqual([
      '.pipewright-manifest.json',
    ]);
  });
});

/**
 * A project with `environments:` (bench/environments.mjs: dev, staging and prod over a generated corpus, overrides of
 * every pipeline and of single ones) runs every spec in every environment on the worker pool. Whatever the number
 * of threads, the same trees and reports, diagnostics positioned in pipewright.yaml's overrides included; and the
 * same bytes as before the pool took environments over (the golden files in test/fixtures/environments/pooled/ were
 * first written by the main-thread-only compile of environments; UPDATE_GOLDEN=1 rewrites them — review the diff).
 */
describe('--jobs with environments: the same bytes whatever the number of threads', SLOW, () => {
  const GOLDEN = join(ROOT, 'test', 'fixtures', 'environments', 'pooled');
  const PIPELINES = 4;
  // a pipeline prod overrides on its own (bench/environments.mjs: every tenth from the fourth)
  const PIPELINE_3_K8S = `${pipelineName(3)}.yaml`;

  async function environmentsProject(broken = false): Promise<string> {
    const specs: Record<string, string> = {};
    for (const { file, text } of generateCorpus({ seed: 5, pipelines: PIPELINES, tasks: 4 })) specs[file] = text;
    if (broken) {
      specs['pipelines/zz-syntax.yaml'] = 'apiVersion: pipewright.dev/v1\nkind: [unclosed\n';
      specs['pipelines/zz-schema.yaml'] = `${pipelineSpec('schema-broken')}  bogus: 1\n`;
    }
    return project({ ...specs, 'pipewright.yaml': environmentsConfig({ pipelines: PIPELINES, broken }) });
  }

  async function golden(name: string, text: string): Promise<void> {
    const file = join(GOLDEN, name);
    if (process.env.UPDATE_GOLDEN === '1') {
      await mkdir(GOLDEN, { recursive: true });
      await writeFile(file, text);
    }
    expect(text, name).toBe(await readFile(file, 'utf8'));
  }

  /** `sha256  path` of every file of a tree, sorted: the golden form of a compiled tree. */
  function listing(files: Record<string, string | null>): string {
    return Object.entries(files)
      .filter(([, bytes]) => bytes !== null)
      .map(([path, bytes]) => `${createHash('sha256').update(Buffer.from(bytes!, 'latin1')).digest('hex')}  ${path}\n`)
      .join('');
  }

  it('compile writes the same tree per environment and the same reports (text and json)', async () => {
    const trees: Record<string, string | null>[] = [];
    const reports: ReturnType<typeof outcome>[][] = [];
    for (const jobs of ['1', '2']) {
      const cwd = await environmentsProject();
      const json = outcome(run(cwd, ['compile', '--jobs', jobs, '--no-cache', '--format', 'json']));
      expect(json.status, json.stderr).toBe(0);
      trees.push(await tree(join(cwd, 'generated')));
      await rm(join(cwd, 'generated'), { recursive: true });
      const text = outcome(run(cwd, ['compile', '--jobs', jobs, '--no-cache']));
      expect(await tree(join(cwd, 'generated'))).toEqual(trees[0]);
      reports.push([json, text]);
    }
    expect(trees[1]).toEqual(trees[0]);
    expect(reports[1]).toEqual(reports[0]);
    const paths = Object.keys(trees[0]!);
    for (const env of ['dev', 'staging', 'prod'])
      for (const target of ['compose', 'k8s', 'gitlab']) expect(paths).toContain(`${env}/${target}`);
    expect(paths.some((p) => p.includes('.pipewright-staging'))).toBe(false);
    // the warning of an override is reported where the override is written
    const [json, text] = reports[0]!;
    expect(text!.stderr).toMatch(/^pipewright\.yaml:\d+:\d+: warning: image 'python:stable' uses 'stable'/m);
    await golden('tree.txt', listing(trees[0]!));
    await golden('compile.json', json!.stdout);
    await golden('compile.txt', `${text!.stdout}${text!.stderr}`);
  });

  it('check agrees with itself on an up-to-date and on a hand-edited tree; validate too', async () => {
    const cwd = await environmentsProject();
    expect(run(cwd, ['compile', '--jobs', '2']).status).toBe(0);
    for (const args of [['check'], ['check', '--format', 'json'], ['validate'], ['validate', '--format', 'json']]) {
      const one = outcome(run(cwd, [...args, '--jobs', '1']));
      expect(one.status, args.join(' ')).toBe(0);
      expect(outcome(run(cwd, [...args, '--jobs', '2'])), args.join(' ')).toEqual(one);
    }
    await writeFile(join(cwd, 'generated/prod/k8s', PIPELINE_3_K8S), '# generated by pipewright\nhand: edit\n');
    for (const args of [['check'], ['check', '--format', 'json']]) {
      const one = outcome(run(cwd, [...args, '--jobs', '1']));
      expect(one.status).toBe(1);
      expect(`${one.stdout}${one.stderr}`).toContain(`generated/prod/k8s/${PIPELINE_3_K8S}`);
      expect(outcome(run(cwd, [...args, '--jobs', '2'])), args.join(' ')).toEqual(one);
    }
  });

  it('broken overrides and specs: the same diagnostics at the same positions, and nothing written', async () => {
    const cwd = await environmentsProject(true);
    for (const args of [
      ['validate'],
      ['validate', '--format', 'json'],
      ['compile', '--no-cache'],
      ['compile', '--no-cache', '--format', 'json'],
      ['check'],
      ['check', '--format', 'json'],
    ]) {
      const one = outcome(run(cwd, [...args, '--jobs', '1']));
      const two = outcome(run(cwd, [...args, '--jobs', '2']));
      expect(one.status, args.join(' ')).toBe(1);
      expect(two, args.join(' ')).toEqual(one);
      await golden(
        `broken-${args
          .filter((a) => a !== '--no-cache')
          .join('-')
          .replaceAll('--', '')}.txt`,
        `${two.stdout}${two.stderr}`,
      );
    }
    const json = JSON.parse(run(cwd, ['compile', '--no-cache', '--format', 'json', '--jobs', '2']).stdout);
    const positioned = json.diagnostics.filter((d: { file: string }) => d.file === 'pipewright.yaml');
    const codes = new Set(positioned.map((d: { code: string }) => d.code));
    for (const code of ['PW103', 'PW209', 'PW100']) expect(codes, code).toContain(code);
    expect(positioned.every((d: { line: number }) => d.line > 1)).toBe(true);
    expect(existsSync(join(cwd, 'generated'))).toBe(false);
  });

  it('an error in one environment leaves generated/ exactly as it was, staged outputs of the others gone', async () => {
    for (const jobs of ['1', '2']) {
      const cwd = await environmentsProject();
      expect(run(cwd, ['compile', '--jobs', jobs]).status).toBe(0);
      const before = await tree(join(cwd, 'generated'));
      // every spec changes (its outputs in every environment are staged), then prod's retries go bad
      for (const { file, text } of generateCorpus({ seed: 5, pipelines: PIPELINES, tasks: 4 }))
        await writeFile(join(cwd, file), text.replace(/- --date\n/g, '- --day\n'));
      const config = await readFile(join(cwd, 'pipewright.yaml'), 'utf8');
      await writeFile(join(cwd, 'pipewright.yaml'), config.replace('retries: 3', 'retries: 3\n      timeout: forever'));
      const r = run(cwd, ['compile', '--jobs', jobs]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^pipewright\.yaml:\d+:\d+: error: .*timeout must be a duration/m);
      expect(r.stderr).toContain('nothing written');
      expect(await tree(join(cwd, 'generated'))).toEqual(before);
    }
  });
});
