#!/usr/bin/env node
/**
 * Reconciler and runner benchmarks on a control plane (issue 13's goals). Ratios from one run:
 *   1. cold apply of P pipelines × T tasks: `pipewright apply` vs `kubectl apply --server-side` of the same files
 *      (each into its own fresh namespace)                                               goal: ≤ 1×
 *   2. no-op apply (nothing changed): the same two commands again                       goal: ≤ 0.5× kubectl
 *   3. `pipewright plan` after one pipeline's spec changed (one task edit, compiled)    goal: < 2 s at 1,000
 *   4. release overhead per task: `pipewright release` of a J-task chain vs creating and watching the same J Jobs
 *      with kubectl (create + wait --for=condition=complete), per task
 *
 * Part of `npm run bench` as the optional section k8s-reconcile (`--only k8s-reconcile`; skipped, with the reason,
 * when no control plane answers), or alone:
 *   source scripts/k8s-up.sh && npm run build
 *   node bench/k8s-reconcile.mjs <scratch-dir> [pipelines=1000] [tasks=50] [chain=10]
 * Creates and deletes its own namespaces (bench-rec-*).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { writeCorpus } from './corpus.mjs';

const kubectlBin = () => process.env.PIPEWRIGHT_KUBECTL ?? 'kubectl';

/** Why the section cannot run here (no KUBECONFIG, no kubectl, no answer), or undefined when it can. */
export function k8sUnavailable() {
  if (!process.env.KUBECONFIG) return 'KUBECONFIG is not set (source scripts/k8s-up.sh)';
  const r = spawnSync(kubectlBin(), ['get', '--raw', '/version', '--request-timeout=5s'], { encoding: 'utf8' });
  if (r.error) return `${kubectlBin()}: ${r.error.message}`;
  if (r.status !== 0) return `the control plane does not answer: ${(r.stderr || '').trim().split('\n')[0]}`;
  return undefined;
}

/**
 * The Jobs of a namespace in creation order: mean time inside a Job (created → complete) and mean time from one
 * Job's completion to the next one's creation within the same chain (the hand-off), in ms (1 s resolution).
 */
function jobTimes(kubectl, namespace) {
  const list = JSON.parse(execFileSync(kubectl, ['get', 'jobs', '-n', namespace, '-o', 'json'], { encoding: 'utf8' }));
  const jobs = list.items
    .map((j) => ({
      name: j.metadata.name,
      chain: j.metadata.labels?.['pipewright.dev/logical-date'] ?? j.metadata.name.split('-')[1],
      created: Date.parse(j.metadata.creationTimestamp),
      completed: Date.parse(j.status?.completionTime ?? ''),
    }))
    .sort((a, b) => a.created - b.created || a.name.localeCompare(b.name));
  const inside = jobs.map((j) => j.completed - j.created).filter((v) => Number.isFinite(v));
  const handoffs = [];
  for (let i = 1; i < jobs.length; i++) {
    if (jobs[i].chain !== jobs[i - 1].chain) continue;
    const gap = jobs[i].created - jobs[i - 1].completed;
    if (Number.isFinite(gap)) handoffs.push(gap);
  }
  const mean = (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN);
  return { jobs: jobs.length, insideMs: mean(inside), handoffMs: mean(handoffs) };
}

/**
 * Runs the four measures in `scratch` (deleted first). Returns the measures in ms with the sizes and the load.
 */
export function k8sReconcileBench({ scratch, pipelines, tasks, chain, log = () => {}, dist }) {
  const kubectl = kubectlBin();
  const cli = resolve(
    dist ?? process.env.PIPEWRIGHT_BENCH_DIST ?? resolve(import.meta.dirname, '..', 'dist'),
    'cli.js',
  );
  const opts = { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, encoding: 'utf8' };
  const timed = (cmd, args, o = opts) => {
    const t0 = process.hrtime.bigint();
    execFileSync(cmd, args, o);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const namespaces = [];
  const ns = (tag) => {
    const name = `bench-rec-${tag}-${Date.now().toString(36)}`;
    execFileSync(kubectl, ['create', 'namespace', name], { stdio: 'ignore' });
    namespaces.push(name);
    return name;
  };
  const load = () => loadavg().map((l) => l.toFixed(2));

  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  log(`k8s-reconcile: ${pipelines} × ${tasks} corpus and compile`);
  writeCorpus(scratch, { seed: 3, pipelines, tasks });
  execFileSync('git', ['init', '-q'], { cwd: scratch });
  execFileSync('node', [cli, 'compile'], opts);
  const out = join(scratch, 'generated', 'k8s');
  const files = readdirSync(out);
  const bytes = files.reduce((n, f) => n + readFileSync(join(out, f)).length, 0);
  const objects = files.reduce((n, f) => n + (readFileSync(join(out, f), 'utf8').match(/^kind: /gm) ?? []).length, 0);
  const result = { pipelines, tasks, chain, objects, generatedBytes: bytes, loadBefore: load() };
  try {
    const ours = ns('pw');
    const theirs = ns('kubectl');
    log(`k8s-reconcile: cold apply of ${objects} objects (${(bytes / 1048576).toFixed(0)} MiB)`);
    result.coldApplyMs = timed('node', [cli, 'apply', '--namespace', ours]);
    result.kubectlColdMs = timed(kubectl, ['apply', '--server-side', '-n', theirs, '-f', out]);
    log('k8s-reconcile: no-op apply');
    result.noopApplyMs = timed('node', [cli, 'apply', '--namespace', ours]);
    result.kubectlNoopMs = timed(kubectl, ['apply', '--server-side', '-n', theirs, '-f', out]);

    // One pipeline changes (one task's retries): compile (the one spec recompiles), then plan.
    const first = readdirSync(join(scratch, 'pipelines')).sort()[0];
    const specPath = join(scratch, 'pipelines', first);
    writeFileSync(
      specPath,
      readFileSync(specPath, 'utf8').replace(/retries: (\d)/, (_, n) => `retries: ${(Number(n) + 1) % 3}`),
    );
    result.compileAfterChangeMs = timed('node', [cli, 'compile']);
    log('k8s-reconcile: plan after a one-pipeline change');
    const t0 = process.hrtime.bigint();
    const plan = execFileSync('node', [cli, 'plan', '--namespace', ours, '--format', 'json'], opts);
    result.planAfterChangeMs = Number(process.hrtime.bigint() - t0) / 1e6;
    result.planAfterChangeSummary = JSON.parse(plan).summary;

    // Release overhead: a chain of J tasks (kwok ends each pod after 1 s). The corpus's CronJobs (2 × P, a fifth of
    // them every 15 minutes) would fire runner Jobs in bursts that keep the Job controller busy for minutes — a release
    // measured in such a burst took 6× the raw chain measured after it — so they are deleted first, with their Jobs.
    // One DELETE of each collection (`kubectl delete --all` deletes object by object: 6.5 minutes for 2 × 1,000).
    for (const n of [ours, theirs])
      for (const kind of ['cronjobs', 'jobs'])
        execFileSync(
          kubectl,
          ['delete', '--raw', `/apis/batch/v1/namespaces/${n}/${kind}?propagationPolicy=Background`],
          {
            stdio: 'ignore',
          },
        );
    log(`k8s-reconcile: release of a ${chain}-task chain vs kubectl create job + wait`);
    const chainDir = join(scratch, 'chain');
    mkdirSync(join(chainDir, 'pipelines'), { recursive: true });
    const lines = Array.from(
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
        ...lines,
        '',
      ].join('\n'),
    );
    const copts = { ...opts, cwd: chainDir };
    execFileSync('git', ['init', '-q'], copts);
    execFileSync('node', [cli, 'compile'], copts);
    const rel = ns('release');
    execFileSync('node', [cli, 'apply', '--namespace', rel], copts);
    const raw = ns('raw');
    // Interleaved rounds (release, raw, release, raw): both see the same control plane.
    result.releaseRounds = [];
    result.rawRounds = [];
    for (const [round, date] of ['2024-01-01', '2024-01-02'].entries()) {
      result.releaseRounds.push(
        timed('node', [cli, 'release', 'chain', '--namespace', rel, '--date', date, '--retention-days', '0'], copts),
      );
      const t1 = process.hrtime.bigint();
      for (let i = 0; i < chain; i++) {
        const job = `raw-${round}-${i}`;
        execFileSync(kubectl, ['create', 'job', job, '-n', raw, '--image=busybox:1.36', '--', 'echo', String(i)], {
          stdio: 'ignore',
        });
        execFileSync(kubectl, ['wait', '-n', raw, '--for=condition=complete', `job/${job}`, '--timeout=600s'], {
          stdio: 'ignore',
        });
      }
      result.rawRounds.push(Number(process.hrtime.bigint() - t1) / 1e6);
    }
    result.releaseMs = result.releaseRounds.reduce((a, b) => a + b, 0) / result.releaseRounds.length;
    result.rawChainMs = result.rawRounds.reduce((a, b) => a + b, 0) / result.rawRounds.length;
    // Where the time goes, from the Jobs themselves (1 s resolution): inside a Job (created → complete: the Job
    // controller, the scheduler, kwok) versus between Jobs (a task complete → its dependant created: the runner's
    // own hand-off, or kubectl's process start-up).
    result.releaseJobs = jobTimes(kubectl, rel);
    result.rawJobs = jobTimes(kubectl, raw);
  } finally {
    for (const n of namespaces) spawnSync(kubectl, ['delete', 'namespace', n, '--wait=false'], { stdio: 'ignore' });
  }
  result.loadAfter = load();
  result.coldRatio = result.coldApplyMs / result.kubectlColdMs;
  result.noopRatio = result.noopApplyMs / result.kubectlNoopMs;
  result.releasePerTaskMs = result.releaseMs / chain;
  result.rawPerTaskMs = result.rawChainMs / chain;
  result.releaseRatio = result.releaseMs / result.rawChainMs;
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [scratch, pipelinesArg = '1000', tasksArg = '50', chainArg = '10'] = process.argv.slice(2);
  if (!scratch) {
    process.stderr.write(
      'usage: KUBECONFIG=… node bench/k8s-reconcile.mjs <scratch-dir> [pipelines] [tasks] [chain]\n',
    );
    process.exit(2);
  }
  const reason = k8sUnavailable();
  if (reason) {
    process.stderr.write(`k8s-reconcile: ${reason}\n`);
    process.exit(2);
  }
  const r = k8sReconcileBench({
    scratch: resolve(scratch),
    pipelines: Number(pipelinesArg),
    tasks: Number(tasksArg),
    chain: Number(chainArg),
    log: (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`),
  });
  const ms = (v) => `${Math.round(v)} ms`;
  process.stdout.write(
    [
      `${r.pipelines} pipelines x ${r.tasks} tasks: ${r.objects} objects, ${(r.generatedBytes / 1048576).toFixed(0)} MiB; load ${r.loadBefore.join(' ')} → ${r.loadAfter.join(' ')}`,
      '| measure | pipewright | kubectl | ratio | goal |',
      '| --- | ---: | ---: | ---: | --- |',
      `| cold apply | ${ms(r.coldApplyMs)} | ${ms(r.kubectlColdMs)} | ${r.coldRatio.toFixed(2)} | ≤ 1× |`,
      `| no-op apply | ${ms(r.noopApplyMs)} | ${ms(r.kubectlNoopMs)} | ${r.noopRatio.toFixed(2)} | ≤ 0.5× |`,
      `| plan after a one-pipeline change (compile before it: ${ms(r.compileAfterChangeMs)}) | ${ms(r.planAfterChangeMs)} | – | – | < 2 s |`,
      `| release, per task (${r.chain}-task chain) | ${ms(r.releasePerTaskMs)} | ${ms(r.rawPerTaskMs)} | ${r.releaseRatio.toFixed(2)} | – |`,
      `| release rounds (interleaved with kubectl's) | ${r.releaseRounds.map(ms).join(', ')} | ${r.rawRounds.map(ms).join(', ')} | | |`,
      `| per Job: created → complete (controller, kwok) | ${ms(r.releaseJobs.insideMs)} | ${ms(r.rawJobs.insideMs)} | | |`,
      `| per task: a Job complete → the next created (hand-off) | ${ms(r.releaseJobs.handoffMs)} | ${ms(r.rawJobs.handoffMs)} | | |`,
      `plan summary: ${JSON.stringify(r.planAfterChangeSummary)}`,
      '',
    ].join('\n'),
  );
}
