/**
 * `--env` on the commands that read generated/: `run` executes generated/<env>/compose/… (the environment's values,
 * not the spec's), `check --env` compares one tree, and an unknown or missing environment is a usage error (exit 2).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-env-cli-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(
    join(dir, 'pipelines', 'hello.yaml'),
    `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: hello
  version: 1.0.0
  owner: data
spec:
  params:
    who: { default: spec }
  tasks:
    greet:
      image: node:20.20-alpine
      command: [node, -e, "console.log('hello ' + process.env.WHERE + ' ' + process.argv[1])", "{{ params.who }}"]
      env: { WHERE: as-written }
`,
  );
  writeFileSync(
    join(dir, 'pipewright.yaml'),
    `apiVersion: pipewright.dev/v1
kind: Project
environments:
  staging:
    pipelines:
      hello:
        overrides: { params: { who: staging-default } }
        tasks:
          greet: { env: { WHERE: in-staging } }
  prod: {}
`,
  );
  return dir;
}

describe('--env', () => {
  it('run executes the environment tree; check --env compares only that tree', async () => {
    const dir = project();
    expect((await runCliCapture(['compile', '--no-cache'], { cwd: dir })).code).toBe(0);
    const run = await runCliCapture(
      ['run', 'hello', '--env', 'staging', '--date', '2024-01-01', '--executor', 'local'],
      {
        cwd: dir,
        env: { PATH: process.env.PATH },
      },
    );
    expect(run.stdout + run.stderr).toContain('hello in-staging staging-default');
    expect(run.code).toBe(0);
    const prod = await runCliCapture(['run', 'hello', '--env', 'prod', '--date', '2024-01-02', '--executor', 'local'], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    });
    expect(prod.stdout + prod.stderr).toContain('hello as-written spec');

    writeFileSync(join(dir, 'generated', 'prod', 'compose', 'hello.compose.yaml'), 'edited by hand\n');
    expect((await runCliCapture(['check', '--env', 'staging'], { cwd: dir })).code).toBe(0);
    const stale = await runCliCapture(['check', '--env', 'prod'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('prod/compose/hello.compose.yaml');
  });

  it('an unknown environment, or none in a project that declares them, is a usage error', async () => {
    const dir = project();
    for (const argv of [
      ['run', 'hello', '--env', 'prd'],
      ['check', '--env', 'prd'],
      ['plan', '--target', 'kubernetes', '--env', 'prd'],
      ['apply', '--target', 'kubernetes', '--env', 'prd'],
      ['release', 'hello', '--date', '2024-01-01', '--env', 'prd'],
    ]) {
      const r = await runCliCapture(argv, { cwd: dir });
      expect(r.stderr, argv.join(' ')).toContain(
        "--env: unknown environment 'prd' (did you mean 'prod'?): pipewright.yaml declares 'prod', 'staging'",
      );
      expect(r.code, argv.join(' ')).toBe(2);
    }
    const none = await runCliCapture(['run', 'hello'], { cwd: dir });
    expect(none.stderr).toContain(
      'pipewright.yaml declares environments (prod, staging): choose one with --env <name>',
    );
    expect(none.code).toBe(2);
  });
});
