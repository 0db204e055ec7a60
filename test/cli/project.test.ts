/**
 * The CLI around the project configuration and the diagnostics flags: commands run from a subdirectory at the project
 * root, pipewright.yaml levels change what validate/compile report, --quiet, --max-warnings, folded target notes
 * (--verbose unfolds them), compile --format codequality with PW3xx, did-you-mean, `help <command>` and the exit codes
 * in every --help.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { runCliCapture } from '../helpers/cli.js';
import { project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

/** A spec with three timeouts: compose cannot enforce any of them (three PW302 notes), plus a schedule (PW303). */
const SPEC = `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata: { name: nightly, version: 1.0.0, owner: data }
spec:
  schedule: "0 3 * * *"
  defaults: { image: "alpine:3.20" }
  tasks:
    a: { command: [echo, a], timeout: 5m }
    b: { needs: [a], command: [echo, b], timeout: 10m }
    c: { needs: [b], command: [echo, c], timeout: 15m }
`;
const CONFIG = (levels: string) => `apiVersion: pipewright.dev/v1\nkind: Project\n${levels}`;

describe('project root and pipewright.yaml', () => {
  it('runs from a subdirectory at the root; typed paths stay relative to where they were typed', async () => {
    const cwd = await project({
      'pipewright.yaml': CONFIG(''),
      'pipelines/nightly.yaml': SPEC,
      'docs/notes/.keep': '',
    });
    const sub = join(cwd, 'docs', 'notes');
    const r = await runCliCapture(['compile', '--target', 'compose'], { cwd: sub });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^compiled 1 pipeline: 2 written/);
    const v = await runCliCapture(['validate', '../../pipelines/nightly.yaml'], { cwd: sub });
    expect(v.stdout).toContain('in 1 file');
    expect(v.code).toBe(0);
    // validate with no path checks the project's pipelines/ and shows paths from where it ran (clickable there)
    await writeFile(join(cwd, 'pipelines/nightly.yaml'), SPEC.replace('alpine:3.20', 'alpine:stable'));
    const fromSub = await runCliCapture(['validate'], { cwd: sub });
    expect(fromSub.stdout).toMatch(/^\.\.\/\.\.\/pipelines\/nightly\.yaml:6:\d+: warning: .*\[PW209\]$/m);
  });

  it('levels: off drops a code, error fails compile (nothing written), per-pipeline settings win', async () => {
    const cwd = await project({
      'pipewright.yaml': CONFIG(
        'diagnostics:\n  PW303: off\n  PW302: error\npipelines:\n  nightly:\n    diagnostics: { PW302: warn }\n',
      ),
      'pipelines/nightly.yaml': SPEC,
    });
    const ok = await runCliCapture(['compile', '--target', 'compose', '--verbose'], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.stderr).not.toContain('[PW303]');
    expect(ok.stderr.match(/warning: .*\[PW302\]/g)).toHaveLength(3);
    await writeFile(join(cwd, 'pipewright.yaml'), CONFIG('diagnostics:\n  PW302: error\n'));
    const failed = await runCliCapture(['compile', '--target', 'compose', '--no-cache', '--out', 'other'], { cwd });
    expect(failed.code).toBe(1);
    // errors are never folded: each one is shown
    expect(failed.stderr.match(/error: .*\[PW302\]/g)).toHaveLength(3);
    expect(failed.stderr).toContain('nothing written');
  });
});

describe('diagnostics flags', () => {
  it('folds target notes per code, target and file; --verbose shows each', async () => {
    const cwd = await project({ 'pipelines/nightly.yaml': SPEC });
    const folded = await runCliCapture(['compile', '--target', 'compose'], { cwd });
    expect(folded.stderr.match(/\[PW302\]/g)).toHaveLength(1);
    expect(folded.stderr).toContain(
      '  …and 2 more PW302 notes for Docker Compose in pipelines/nightly.yaml (lines 9, 10; --verbose shows each)',
    );
    expect(folded.stderr).toContain('0 errors, 4 warnings in 1 file');
    const verbose = await runCliCapture(['compile', '--target', 'compose', '--verbose'], { cwd });
    expect(verbose.stderr.match(/\[PW302\]/g)).toHaveLength(3);
    expect(verbose.stderr).not.toContain('…and');
  });

  it('--quiet prints errors only; --max-warnings N exits 1 above N', async () => {
    const cwd = await project({ 'pipelines/nightly.yaml': SPEC });
    const quiet = await runCliCapture(['compile', '--target', 'compose', '-q'], { cwd });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const under = await runCliCapture(['compile', '--target', 'compose', '--max-warnings', '4'], { cwd });
    expect(under.code).toBe(0);
    const over = await runCliCapture(['compile', '--target', 'compose', '--max-warnings', '3', '-q'], { cwd });
    expect(over.code).toBe(1);
    expect(over.stderr).toBe('pipewright: compile: 4 warnings, more than --max-warnings 3 allows\n');
    const bad = await runCliCapture(['validate', '--max-warnings', 'many'], { cwd });
    expect(bad).toMatchObject({ code: 2, stderr: "pipewright: --max-warnings must be a whole number (got 'many')\n" });
  });

  it('compile --format codequality carries the target notes', async () => {
    const cwd = await project({ 'pipelines/nightly.yaml': SPEC });
    const r = await runCliCapture(['compile', '--target', 'compose', '--format', 'codequality'], { cwd });
    expect(r.code).toBe(0);
    const issues = JSON.parse(r.stdout) as { check_name: string; severity: string }[];
    expect(issues.map((i) => i.check_name).sort()).toEqual([
      'pipewright/PW302-target-compose-timeout',
      'pipewright/PW302-target-compose-timeout',
      'pipewright/PW302-target-compose-timeout',
      'pipewright/PW303-target-compose-schedule',
    ]);
  });
});

describe('commands and help', () => {
  it('did-you-mean for unknown commands and options (exit 2)', async () => {
    expect(await runCliCapture(['vaildate'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "pipewright: unknown command 'vaildate': did you mean 'validate'? (see `pipewright --help`)\n",
    });
    expect(await runCliCapture(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: "pipewright: unknown command 'frobnicate' (see `pipewright --help`)\n",
    });
    const cwd = await project({ 'pipelines/nightly.yaml': SPEC });
    expect(await runCliCapture(['compile', '--taget', 'compose'], { cwd })).toMatchObject({
      code: 2,
      stderr:
        "pipewright: compile: unknown option '--taget': did you mean '--target'? (see `pipewright compile --help`)\n",
    });
  });

  it('`help <command>` prints what `<command> --help` prints; every help states its exit codes', async () => {
    for (const name of COMMAND_NAMES.filter((n) => n !== 'help')) {
      const viaHelp = await runCliCapture(['help', name]);
      const viaFlag = await runCliCapture([name, '--help']);
      expect(viaHelp.code, name).toBe(0);
      expect(viaHelp.stdout, name).toBe(viaFlag.stdout);
      expect(viaHelp.stdout, name).toMatch(/^Exit codes: 0 /m);
    }
    const top = await runCliCapture(['help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Exit codes: 0 ok, 1 findings/m);
    expect(await runCliCapture(['help', 'complie'])).toMatchObject({
      code: 2,
      stderr: "pipewright: unknown command 'complie': did you mean 'compile'? (see `pipewright --help`)\n",
    });
  });

  it('explain: unknown codes get a did-you-mean (exit 2); codes and names both work', async () => {
    expect(await runCliCapture(['explain', 'PW2O9'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "pipewright: explain: unknown code 'PW2O9': did you mean 'PW209'? (codes: docs/diagnostics.md)\n",
    });
    expect(await runCliCapture(['explain'])).toMatchObject({
      code: 2,
      stderr: 'pipewright: explain: which code? (usage: pipewright explain <code>, e.g. PW209)\n',
    });
    const byName = await runCliCapture(['explain', 'unpinned-image']);
    expect(byName.stdout).toMatch(/^## PW209 unpinned-image\n/);
  });

  it('an invalid pipewright.yaml stops every project command with exit 2, before it does anything', async () => {
    const cwd = await project({ 'pipewright.yaml': 'apiVersion: pipewright.dev/v1\nkind: Project\nbogus: 1\n' });
    await mkdir(join(cwd, 'pipelines'));
    for (const argv of [['validate'], ['compile'], ['runs'], ['check']]) {
      const r = await runCliCapture(argv, { cwd });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain("pipewright.yaml:3:1: error: unknown property 'bogus'");
    }
  });
});
