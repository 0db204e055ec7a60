// Runtime benchmark: a DAG of trivial busybox containers run by pipewright's docker executor (executeRun, the code
// behind `pipewright run --executor docker`) vs the same containers created/started/waited/removed one after the
// other with raw dockerode calls. Skipped, with the reason, when no engine or test image is reachable.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeSpec, specText } from './corpus.mjs';
import { median } from './stats.mjs';

export const TEST_IMAGE = 'localhost/pipewright-test:1';
const DEFAULT_SOCKET = '/run/pipewright/podman.sock';
const here = new URL('.', import.meta.url).pathname;

function dockerHost() {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  return existsSync(DEFAULT_SOCKET) ? `unix://${DEFAULT_SOCKET}` : undefined;
}

function child(op, opts) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(here, 'child.mjs'), op, JSON.stringify(opts)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`child ${op} failed (${code}): ${Buffer.concat(err).toString().slice(-3000)}`));
      else resolve(JSON.parse(Buffer.concat(out).toString().trim().split('\n').at(-1)));
    });
  });
}

/** Why the runtime section cannot run here, or undefined when it can. */
async function unavailable(host) {
  if (!host) return 'no Docker engine: DOCKER_HOST unset and no /run/pipewright/podman.sock (run scripts/engine-up.sh)';
  try {
    const probe = await child('engine-probe', { host, image: TEST_IMAGE });
    if (!probe.image) return `test image ${TEST_IMAGE} missing on ${host} (run scripts/build-test-image.sh)`;
  } catch (error) {
    return `engine at ${host} not reachable: ${error.message.split('\n')[0]}`;
  }
  return undefined;
}

export async function runtimeBench({ work, tasks, runs, log, parallel = 8 }) {
  const host = dockerHost();
  const reason = await unavailable(host);
  if (reason) {
    log(`runtime: skipped — ${reason}`);
    return { skipped: reason };
  }
  // compile the DAG with pipewright itself: the runtime executes the Compose artifact
  const dir = join(work, 'runtime');
  mkdirSync(join(dir, 'pipelines'), { recursive: true });
  writeFileSync(join(dir, 'pipelines', 'bench-runtime.yaml'), specText(runtimeSpec(tasks, TEST_IMAGE)));
  await child('compile', { dir });
  const composeFile = join(dir, 'generated', 'compose', 'bench-runtime.compose.yaml');
  if (!existsSync(composeFile)) throw new Error(`runtime: ${composeFile} was not generated`);

  const samples = { raw: [], rawAttach: [], run1: [], runN: [] };
  for (let r = 0; r < runs; r++) {
    samples.raw.push(await child('raw-docker', { host, composeFile }));
    log(`  raw dockerode run ${r + 1}/${runs}: ${samples.raw.at(-1).ms.toFixed(0)} ms`);
    samples.rawAttach.push(await child('raw-attach', { host, composeFile }));
    log(`  raw dockerode with attach + inspect run ${r + 1}/${runs}: ${samples.rawAttach.at(-1).ms.toFixed(0)} ms`);
    samples.run1.push(await child('run', { host, composeFile, dir, concurrency: 1 }));
    log(`  pipewright concurrency 1 run ${r + 1}/${runs}: ${samples.run1.at(-1).ms.toFixed(0)} ms`);
    samples.runN.push(await child('run', { host, composeFile, dir, concurrency: parallel }));
    log(`  pipewright concurrency ${parallel} run ${r + 1}/${runs}: ${samples.runN.at(-1).ms.toFixed(0)} ms`);
  }
  const m = (k) => median(samples[k].map((s) => s.ms));
  const rawSequentialMs = m('raw');
  const rawAttachSequentialMs = m('rawAttach');
  const runSequentialMs = m('run1');
  const runParallelMs = m('runN');
  return {
    host,
    tasks,
    parallelConcurrency: parallel,
    rawSequentialMs,
    runSequentialMs,
    runParallelMs,
    rawPerTaskMs: rawSequentialMs / tasks,
    runPerTaskMs: runSequentialMs / tasks,
    overheadRatio: runSequentialMs / rawSequentialMs,
    // against the peer that reads output and exit codes the way the executor does: pipewright's own cost
    rawAttachSequentialMs,
    overheadVsAttachRatio: runSequentialMs / rawAttachSequentialMs,
    samples,
  };
}
