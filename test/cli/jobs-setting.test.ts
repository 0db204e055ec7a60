/**
 * Where the number of threads comes from (src/cli/jobs.ts): `--jobs` > pipewright.yaml `jobs` > auto, for every
 * command that takes --jobs. Run in process from the TypeScript sources, where worker threads cannot start (their
 * script is only built into dist/): a number above 1 that reaches the per-spec stages is then a usage error naming
 * where it came from, which shows which setting won; 1 and auto run on the main thread. Bad values of the setting
 * are positioned errors of pipewright.yaml (golden test/fixtures/config/err/bad-jobs*.yaml).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJobs } from '../../src/cli/jobs.js';
import { UserError } from '../../src/diagnostics/diagnostic.js';
import { runCliCapture } from '../helpers/cli.js';
import { pipelineSpec, project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

const NO_WORKERS = /2 threads \(--jobs, or pipewright\.yaml jobs\): worker threads need the built pipewright/;

async function projectWithJobs(jobs: string | undefined): Promise<string> {
  const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha'), 'pipelines/b.yaml': pipelineSpec('beta') });
  const setting = jobs === undefined ? '' : `jobs: ${jobs}\n`;
  await writeFile(join(cwd, 'pipewright.yaml'), `apiVersion: pipewright.dev/v1\nkind: Project\n${setting}`);
  // compiled once, so that check has an up-to-date tree to compare with (a bad setting stops compile too)
  if (jobs !== '0') expect((await runCliCapture(['compile', '--jobs', '1'], { cwd })).code).toBe(0);
  return cwd;
}

describe('parseJobs: --jobs, then pipewright.yaml jobs, then auto', () => {
  it('takes the flag first, then the setting, then auto', () => {
    expect(parseJobs(undefined)).toBe('auto');
    expect(parseJobs(undefined, {})).toBe('auto');
    expect(parseJobs(undefined, { jobs: 3 })).toBe(3);
    expect(parseJobs(undefined, { jobs: 'auto' })).toBe('auto');
    expect(parseJobs('1', { jobs: 3 })).toBe(1);
    expect(parseJobs('4', { jobs: 'auto' })).toBe(4);
    expect(parseJobs('auto', { jobs: 1 })).toBe('auto');
  });

  it('refuses a flag that is not a whole number of at least 1 or auto (usage error, exit 2)', () => {
    for (const bad of ['0', 'two', '1.5', '-1', '', 'AUTO', ' 2']) {
      let thrown: unknown;
      try {
        parseJobs(bad, { jobs: 2 });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, bad).toBeInstanceOf(UserError);
      expect((thrown as UserError).exitCode).toBe(2);
      expect((thrown as UserError).message).toBe(`--jobs must be a whole number of at least 1, or auto (got '${bad}')`);
    }
  });
});

describe('the jobs setting as the commands use it', () => {
  const commands = [['validate'], ['compile', '--no-cache'], ['check']];

  it('pipewright.yaml jobs applies when --jobs is not given', async () => {
    const cwd = await projectWithJobs('2');
    for (const command of commands) {
      const r = await runCliCapture(command, { cwd });
      expect(r.code, command.join(' ')).toBe(2);
      expect(r.stderr).toMatch(NO_WORKERS);
    }
  });

  it('--jobs wins over pipewright.yaml jobs, in both directions, and --jobs auto brings back the default', async () => {
    const two = await projectWithJobs('2');
    const one = await projectWithJobs('1');
    for (const command of commands) {
      const label = command.join(' ');
      expect((await runCliCapture([...command, '--jobs', '1'], { cwd: two })).code, label).toBe(0);
      // auto: a small project (and no built worker script) stays on the main thread
      expect((await runCliCapture([...command, '--jobs', 'auto'], { cwd: two })).code, label).toBe(0);
      expect((await runCliCapture(command, { cwd: one })).code, label).toBe(0);
      const flag = await runCliCapture([...command, '--jobs', '2'], { cwd: one });
      expect(flag.code, label).toBe(2);
      expect(flag.stderr).toMatch(NO_WORKERS);
    }
  });

  it('a project with environments takes its threads from the same setting (its specs go to the pool too)', async () => {
    const cwd = await projectWithJobs('2');
    await writeFile(
      join(cwd, 'pipewright.yaml'),
      'apiVersion: pipewright.dev/v1\nkind: Project\njobs: 2\nenvironments:\n  dev: {}\n  prod: { overrides: { retries: 2 } }\n',
    );
    for (const command of [['compile', '--no-cache'], ['check']]) {
      const r = await runCliCapture(command, { cwd });
      expect(r.code, command.join(' ')).toBe(2);
      expect(r.stderr).toMatch(NO_WORKERS);
      // compile --jobs 1 writes every environment's tree, which check --jobs 1 then finds up to date
      expect((await runCliCapture([...command, '--jobs', '1'], { cwd })).code, command.join(' ')).toBe(0);
    }
  });

  it('jobs: auto and no setting at all are the default', async () => {
    for (const setting of ['auto', undefined]) {
      const cwd = await projectWithJobs(setting);
      for (const command of commands) expect((await runCliCapture(command, { cwd })).code).toBe(0);
    }
  });

  it('a bad setting stops every command that takes --jobs with a positioned error (exit 2), even with --jobs', async () => {
    const cwd = await projectWithJobs('0');
    for (const command of [...commands, ['changelog']]) {
      const r = await runCliCapture([...command, '--jobs', '1'], { cwd });
      expect(r.code, command.join(' ')).toBe(2);
      expect(r.stderr).toContain(
        "pipewright.yaml:3:7: error: jobs must be 'auto' or an integer of at least 1 (got number 0) [PW100]",
      );
    }
  });
});
