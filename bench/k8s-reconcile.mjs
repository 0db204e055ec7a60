#!/usr/bin/env node
/**
 * Reconciler and runner benchmarks on a control plane (issue 13's goals; not part of `npm run bench`, which needs no
 * cluster). Ratios from one run:
 *   1. cold apply of P pipelines × T tasks: `pipewright apply` vs `kubectl apply --server-side` of the same files
 *      (each into its own fresh namespace)                                               goal: ≤ 1×
 *   2. no-op apply (nothing changed): the same two commands again                       goal: ≤ 0.5× kubectl
 *   3. `pipewright plan` after one pipeline's spec changed (one task edit)              goal: < 2 s at 1,000
 *   4. release overhead per task: `pipewright release` of a J-task chain vs creating and watching the same J Jobs
 *      with kubectl (create + wait --for=condition=complete), per task
 *
 *   source scripts/k8s-up.sh && npm run build
 *   node bench/k8s-reconcile.mjs <scratch-dir> [pipelines=1000] [tasks=50] [chain=10]
 * Creates and deletes its own namespaces (bench-rec-*).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeCorpus } from './corpus.mjs';

const [scratch, pipelinesArg = '1000', tasksArg = '50', chainArg = '10'] = process.argv.slice(2);
if (!scratch || !process.env.KUBECONFIG) {
  process.stderr.write('usage: KUBECONFIG=… node bench/k8s-reconcile.mjs <scratch-dir> [pipelines] [tasks] [chain]\n');
  process.exit(2);
}
const kubectl = process.env.PIPEWRIGHT_KUBECTL ?? 'kubectl';
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli.js');
const opts = { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, encoding: 'utf8' };
const timed = (cmd, args) => {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, opts);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const namespaces = [];
const ns = (tag) => {
  const name = `bench-rec-${tag}-${Date.now().toString(36)}`;
  execFileSync(kubectl, ['create', 'namespace', name], { stdio: 'ignore' });
  namespaces.push(name);
  return name;
};

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
writeCorpus(scratch, { seed: 3, pipelines: Number(pipelinesArg), tasks: Number(tasksArg) });
execFileSync('git', ['init', '-q'], { cwd: scratch });
execFileSync('node', [cli, 'compile'], opts);
const out = join(scratch, 'generated', 'k8s');
const rows = [];
try {
  const ours = ns('pw');
  const theirs = ns('kubectl');
  const cold = [
    timed('node', [cli, 'apply', '--namespace', ours]),
    timed(kubectl, ['apply', '--server-side', '-n', theirs, '-f', out]),
  ];
  const noop = [
    timed('node', [cli, 'apply', '--namespace', ours]),
    timed(kubectl, ['apply', '--server-side', '-n', theirs, '-f', out]),
  ];
  rows.push(['cold apply', ...cold], ['no-op apply', ...noop]);

  // One pipeline changes: plan.
  const first = execFileSync('ls', [join(scratch, 'pipelines')], { encoding: 'utf8' })
    .trim()
    .split('\n')[0];
  const specPath = join(scratch, 'pipelines', first);
  writeFileSync(
    specPath,
    readFileSync(specPath, 'utf8').replace(/retries: (\d)/, (_, n) => `retries: ${(Number(n) + 1) % 3}`),
  );
  execFileSync('node', [cli, 'compile'], opts);
  rows.push(['plan after a one-pipeline change', timed('node', [cli, 'plan', '--namespace', ours]), null]);

  // Release overhead: a chain of J tasks (kwok ends each pod after 1 s).
  const chain = Number(chainArg);
  const chainDir = join(scratch, 'chain');
  mkdirSync(join(chainDir, 'pipelines'), { recursive: true });
  const tasks = Array.from(
    { length: chain },
    (_, i) => `    t${i}: { command: [echo, "${i}"]${i ? `, needs: [t${i - 1}]` : ''} }`,
  );
  writeFileSync(
    join(chainDir, 'pipelines', 'chain.yaml'),
    [
      'apiVersion: pipewright.dev/v1',
      'kind: Pipeline',
      'metadata: {name: chain, version: 1.0.0, owner: bench}',
      'spec:',
      '  defaults: {image: "busybox:1.36"}',
      '  tasks:',
      ...tasks,
      '',
    ].join('\n'),
  );
  const copts = { ...opts, cwd: chainDir };
  execFileSync('git', ['init', '-q'], copts);
  execFileSync('node', [cli, 'compile'], copts);
  const rel = ns('release');
  execFileSync('node', [cli, 'apply', '--namespace', rel], copts);
  const t0 = process.hrtime.bigint();
  execFileSync(
    'node',
    [cli, 'release', 'chain', '--namespace', rel, '--date', '2024-01-01', '--retention-days', '0'],
    copts,
  );
  const releaseMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const raw = ns('raw');
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < chain; i++) {
    execFileSync(kubectl, ['create', 'job', `raw-${i}`, '-n', raw, '--image=busybox:1.36', '--', 'echo', String(i)], {
      stdio: 'ignore',
    });
    execFileSync(kubectl, ['wait', '-n', raw, '--for=condition=complete', `job/raw-${i}`, '--timeout=120s'], {
      stdio: 'ignore',
    });
  }
  const rawMs = Number(process.hrtime.bigint() - t1) / 1e6;
  rows.push([`release, per task (${chain}-task chain)`, releaseMs / chain, rawMs / chain]);
} finally {
  for (const n of namespaces) execFileSync(kubectl, ['delete', 'namespace', n, '--wait=false'], { stdio: 'ignore' });
}
process.stdout.write(
  `${pipelinesArg} pipelines x ${tasksArg} tasks\n| measure | pipewright | kubectl | ratio |\n| --- | ---: | ---: | ---: |\n`,
);
for (const [name, a, b] of rows) {
  process.stdout.write(
    `| ${name} | ${Math.round(a)} ms | ${b === null ? '–' : `${Math.round(b)} ms`} | ${b === null ? '–' : (a / b).toFixed(2)} |\n`,
  );
}
