// Deterministic benchmark corpus: N pipelines × M tasks of realistic, VALID pipewright specs (fan-in needs, matrix,
// env, secret refs, resources, params, schedules, inputs/outputs lineage). Same (seed, sizes) → same bytes, always.
// Used by bench/run.mjs and by test/bench/corpus.test.ts (which validates a sample with the real compiler).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. Returns floats in [0, 1). */
export function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(next() * list.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

/** Per-pipeline seed: pipelines do not depend on each other, so pipeline i is the same whatever N is. */
function pipelineSeed(seed, index) {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

const DOMAINS = ['sales', 'finance', 'marketing', 'logistics', 'risk', 'growth', 'ops', 'ml'];
const NOUNS = ['orders', 'invoices', 'sessions', 'shipments', 'payments', 'churn', 'inventory', 'clicks', 'ledger'];
const VERBS = ['extract', 'clean', 'join', 'aggregate', 'score', 'export', 'dedupe', 'enrich', 'load', 'publish'];
const OWNERS = ['analytics', 'data-platform', 'ml-platform', 'finance-eng', 'growth-data'];
const SCHEDULES = ['0 5 * * *', '@daily', '@hourly', '*/15 * * * *', '30 2 * * 1', '0 */6 * * *'];
const TIMEZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
const IMAGES = [
  'registry.example.com/etl:1.4.2',
  'python:3.12-slim',
  'ghcr.io/acme/dbt:1.8.0',
  'ghcr.io/acme/spark@sha256:3b1f4f9b1a5e0c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
];
const POOLS = ['default', 'highmem', 'gpu', 'batch'];
const CPUS = ['250m', '500m', '1', '2'];
const MEMORY = ['256Mi', '512Mi', '1Gi', '4Gi'];
const DURATIONS = ['10m', '30m', '1h', '2h', '1h30m'];
const SECRETS = ['warehouse/password', 'shop-db/password', 'api-gateway/token', 'lake-s3/secret-key'];
const SECRET_ENVS = ['DB_PASSWORD', 'API_TOKEN', 'S3_SECRET_KEY', 'WAREHOUSE_PASSWORD'];
const REGIONS = ['eu', 'us', 'apac'];

export function pipelineName(index) {
  return `${DOMAINS[index % DOMAINS.length]}-${NOUNS[Math.floor(index / DOMAINS.length) % NOUNS.length]}-${String(index).padStart(5, '0')}`;
}

function taskId(i) {
  return `${VERBS[i % VERBS.length]}-${String(i).padStart(3, '0')}`;
}

/**
 * One pipeline spec as a plain object. `revision` (default 0) varies a few fields deterministically, so the history
 * generator can produce realistic edits; `version` overrides metadata.version.
 */
export function generateSpec(seed, index, tasks, options = {}) {
  const rng = createRng(pipelineSeed(seed, index));
  const name = pipelineName(index);
  const revision = options.revision ?? 0;
  const edit = createRng(pipelineSeed(seed ^ 0x5bd1e995, index * 7919 + revision));
  const taskSpecs = {};
  const ids = [];
  for (let i = 0; i < tasks; i++) {
    const id = taskId(i);
    const task = {};
    if (i > 0 && rng.chance(0.08)) task.type = 'check';
    task.description = `${VERBS[i % VERBS.length]} step ${i} of ${name}`;
    if (rng.chance(0.2)) task.image = rng.pick(IMAGES);
    const command = [
      'python',
      '-m',
      `etl.${VERBS[i % VERBS.length]}`,
      '--date',
      '{{ ds }}',
      '--region={{ params.region }}',
    ];
    let matrix;
    if (i > 0 && rng.chance(0.1)) {
      matrix = { shard: ['a', 'b', 'c'].slice(0, rng.int(2, 3)) };
      if (rng.chance(0.3)) matrix.region = REGIONS.slice(0, 2);
      command.push('--shard', '{{ matrix.shard }}');
    }
    if (rng.chance(0.3)) command.push('--run', '{{ run_id }}');
    task.command = command;
    if (rng.chance(0.3)) task.workingDir = '/app';
    // fan-in: up to 3 earlier tasks, biased to recent ones (keeps the DAG deep and wide, never cyclic)
    if (i > 0) {
      const needs = new Set();
      const count = Math.min(i, rng.int(1, 3));
      for (let k = 0; k < count; k++) needs.add(ids[Math.max(0, i - 1 - Math.floor(rng.next() * Math.min(i, 8)))]);
      task.needs = [...needs].sort();
    }
    if (rng.chance(0.5)) {
      task.env = { LOG_LEVEL: rng.pick(['info', 'debug', 'warn']), BATCH: '{{ ds_nodash }}' };
      if (rng.chance(0.3)) task.env.TARGET_TABLE = `analytics.${name.replace(/-/g, '_')}_${i}`;
    }
    if (rng.chance(0.25)) {
      const s = rng.int(0, SECRETS.length - 1);
      task.secrets = { [SECRET_ENVS[s]]: { ref: SECRETS[s] } };
    }
    if (rng.chance(0.4)) task.resources = { cpu: rng.pick(CPUS), memory: rng.pick(MEMORY) };
    if (rng.chance(0.3)) task.retries = rng.int(0, 3);
    if (rng.chance(0.2)) task.timeout = rng.pick(DURATIONS);
    if (rng.chance(0.15)) task.pool = rng.pick(POOLS);
    if (task.needs) task.inputs = task.needs.map((n) => `warehouse://${name}.${n}`);
    task.outputs = [`warehouse://${name}.${id}`];
    if (matrix) task.matrix = matrix;
    taskSpecs[id] = task;
    ids.push(id);
  }
  // a revision edits a few tasks: command flags, resources, env — the kind of change a real commit makes
  if (revision > 0) {
    const edits = edit.int(1, 3);
    for (let e = 0; e < edits; e++) {
      const task = taskSpecs[ids[edit.int(0, ids.length - 1)]];
      const kind = edit.int(0, 2);
      if (kind === 0) task.resources = { cpu: edit.pick(CPUS), memory: edit.pick(MEMORY) };
      else if (kind === 1) task.env = { ...(task.env ?? {}), FEATURE_FLAG: `rev-${revision}` };
      else task.command = [...task.command, `--limit=${edit.int(1, 100000)}`];
    }
  }

  const spec = {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: {
      name,
      version: options.version ?? `1.${rng.int(0, 9)}.${rng.int(0, 20)}`,
      owner: rng.pick(OWNERS),
      description: `Benchmark pipeline ${index}: ${NOUNS[index % NOUNS.length]} for ${DOMAINS[index % DOMAINS.length]}.`,
      labels: { domain: DOMAINS[index % DOMAINS.length], tier: rng.pick(['gold', 'silver', 'bronze']) },
    },
    spec: {
      schedule: rng.pick(SCHEDULES),
      timezone: rng.pick(TIMEZONES),
      catchup: rng.chance(0.2),
      startDate: '2024-01-01',
      concurrency: rng.int(1, 3),
      sla: rng.pick(['2h', '6h', '12h']),
      defaults: {
        image: rng.pick(IMAGES),
        retries: rng.int(0, 2),
        retryDelay: '30s',
        timeout: rng.pick(DURATIONS),
        resources: { cpu: '500m', memory: '512Mi' },
        env: { LOG_LEVEL: 'info', PIPELINE: name },
      },
      params: {
        region: { default: 'eu', enum: REGIONS, description: 'Processing region' },
        limit: { default: '1000' },
      },
      tasks: taskSpecs,
    },
  };
  return spec;
}

/** YAML text of one spec (the generator's own stringify; not the code under test). */
export function specText(spec) {
  return stringify(spec, { lineWidth: 0 });
}

/** The corpus as [{ file, text }] with files `pipelines/<name>.yaml`. */
export function generateCorpus({ seed = 1, pipelines = 1000, tasks = 50 } = {}) {
  const out = [];
  for (let i = 0; i < pipelines; i++) {
    const spec = generateSpec(seed, i, tasks);
    out.push({ file: `pipelines/${spec.metadata.name}.yaml`, text: specText(spec) });
  }
  return out;
}

/** Writes the corpus under `dir` (creates dir/pipelines). Returns the list of relative files. */
export function writeCorpus(dir, options) {
  const corpus = generateCorpus(options);
  mkdirSync(join(dir, 'pipelines'), { recursive: true });
  for (const { file, text } of corpus) writeFileSync(join(dir, file), text);
  return corpus.map((c) => c.file);
}

/**
 * The runtime benchmark's pipeline: `tasks` trivial busybox containers as a DAG (a few roots, fan-out, fan-in to a
 * final task), so with concurrency > 1 independent tasks run in parallel.
 */
export function runtimeSpec(tasks = 50, image = 'localhost/pipewright-test:1') {
  const rng = createRng(4242);
  const ids = [];
  const taskSpecs = {};
  for (let i = 0; i < tasks; i++) {
    const id = `step-${String(i).padStart(3, '0')}`;
    const task = { command: ['true'] };
    if (i === tasks - 1 && i > 0) task.needs = ids.slice(-Math.min(ids.length, 8));
    else if (i >= 4)
      task.needs = [...new Set([ids[rng.int(0, i - 1)], ids[rng.int(Math.max(0, i - 6), i - 1)]])].sort();
    taskSpecs[id] = task;
    ids.push(id);
  }
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: { name: 'bench-runtime', version: '1.0.0', owner: 'bench' },
    spec: { defaults: { image }, tasks: taskSpecs },
  };
}
