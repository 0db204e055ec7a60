// `--only environments` of bench/run.mjs: a project with `environments:` in pipewright.yaml (three environments over
// a generated corpus) compiled, validated and checked with --jobs 1 and --jobs 2, back to back in fresh processes
// (issue 17 goal 2: every spec in every environment is one task of the worker pool). Compile is cold (no output
// directory; a project with environments has no persistent cache); the two trees are hashed and must be equal.
// environmentsConfig is also the project the tests use (test/emit/parallel.test.ts).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { pipelineName, writeCorpus } from './corpus.mjs';
import { cliProbes } from './workers.mjs';

/**
 * pipewright.yaml of a corpus of `pipelines` generated specs (bench/corpus.mjs) with three environments — dev, staging
 * and prod (prod extends staging) — that override every pipeline (project-wide resources, pool, retries), and every
 * tenth pipeline on its own (image tag, schedule, params, a task's env and resources, enabled). dev gives one
 * pipeline an image on a channel tag (`python:stable`): a warning positioned at that override in pipewright.yaml.
 * `broken` adds overrides that are errors, each reported at its position: an undeclared param, an unknown task, an
 * unknown pipeline, a bad duration, the tag 'latest', and `image` with `imageTag` in one layer.
 */
export function environmentsConfig({ pipelines, broken = false }) {
  const every = (offset) => Array.from({ length: pipelines }, (_, i) => i).filter((i) => i % 10 === offset);
  const dev = {};
  for (const i of every(1))
    dev[pipelineName(i)] = { overrides: { schedule: '*/30 * * * *', params: { region: 'us' } } };
  dev[pipelineName(0)] = { overrides: { image: 'python:stable', params: { region: 'apac' } } };
  const staging = {};
  for (const i of every(2))
    staging[pipelineName(i)] = {
      overrides: { imageTag: '1.5.0', timeout: '45m' },
      tasks: { 'extract-000': { env: { BATCH_SIZE: '500' }, resources: { memory: '2Gi' } } },
    };
  const prod = {};
  for (const i of every(3)) prod[pipelineName(i)] = { overrides: { enabled: false, timezone: 'Europe/Berlin' } };
  if (broken) {
    dev[pipelineName(1)].overrides.params.nowhere = 'x';
    dev[pipelineName(1)].overrides.image = 'python:latest';
    staging[pipelineName(2)].tasks['nope-999'] = { retries: 2 };
    prod['ghost-pipeline'] = { overrides: { retries: 1 } };
    prod[pipelineName(3)].overrides.retryDelay = 'banana';
    prod[pipelineName(3)].overrides.image = 'python:3.12-slim';
    prod[pipelineName(3)].overrides.imageTag = '3.13-slim';
  }
  const config = {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Project',
    environments: {
      dev: {
        namespace: 'pipelines-dev',
        secretPrefix: 'dev-',
        overrides: { resources: { memory: '256Mi' }, pool: 'batch' },
        pipelines: dev,
      },
      staging: { namespace: 'pipelines-staging', secretPrefix: 'staging-', pipelines: staging },
      prod: {
        extends: 'staging',
        namespace: 'pipelines-prod',
        secretPrefix: 'prod-',
        runnerImage: 'ghcr.io/acme/pipewright:0.1.0',
        overrides: { retries: 3 },
        pipelines: prod,
      },
    },
  };
  return stringify(config, { lineWidth: 0 });
}

/** A corpus of `pipelines` × `tasks` specs with environmentsConfig as its pipewright.yaml, in `dir`. */
export function writeEnvironmentsProject(dir, { seed, pipelines, tasks }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeCorpus(dir, { seed, pipelines, tasks });
  writeFileSync(join(dir, 'pipewright.yaml'), environmentsConfig({ pipelines }));
}

/**
 * @param {{ dir: string, runs: number, child: Function, rounds: Function }} options
 *   `dir` holds a project written by writeEnvironmentsProject; `child` and `rounds` are bench/run.mjs's.
 */
export async function environmentsBench({ dir, runs, child, rounds }) {
  const hashes = new Set();
  // after `sync`, as bench/workers.mjs: the previous probe's writeback must not take CPU from the next
  const { cli, compile } = cliProbes({ dir, child }, (_jobs, hash) => hashes.add(hash));
  const s = await rounds(runs, {
    'compile --jobs 1': compile(1),
    'compile --jobs 2': compile(2),
    'validate --jobs 1': () => cli(['validate', 'pipelines', '--jobs', '1', '--format', 'json']),
    'validate --jobs 2': () => cli(['validate', 'pipelines', '--jobs', '2', '--format', 'json']),
    'check --jobs 1': () => cli(['check', 'pipelines', '--jobs', '1']),
    'check --jobs 2': () => cli(['check', 'pipelines', '--jobs', '2']),
  });
  if (hashes.size !== 1)
    throw new Error(`environments: --jobs 1 and --jobs 2 wrote different trees (${[...hashes].join(', ')})`);
  return s;
}
