// pipewright benchmarks: `npm run bench` (= build + this). Measures every part in one run against its floor or peer,
// medians of --runs fresh child processes, ratios from the same run; prints a table and writes bench/results.json.
//
//   node bench/run.mjs [--pipelines 1000] [--tasks 50] [--runs 3] [--quick] [--only compile,validate,...]
//                      [--memory-pipelines 5000] [--memory-wide-pipelines 10000] [--memory-wide-tasks 20] [--history-commits 1000] [--history-specs 100] [--history-tasks 10]
//                      [--runtime-tasks 50] [--environments-pipelines 300] [--keep] [--results bench/results.json] [--dist dist]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { cdk8sBench } from './cdk8s.mjs';
import { writeCorpus } from './corpus.mjs';
import { diffScaleBench } from './diff-scale.mjs';
import { environmentsBench, writeEnvironmentsProject } from './environments.mjs';
import { gateBench } from './gate.mjs';
import { createHistoryRepo } from './history.mjs';
import { k8sReconcileBench, k8sUnavailable } from './k8s-reconcile.mjs';
import { reconcileLoopBench, reconcileLoopUnavailable } from './reconcile-loop.mjs';
import { runtimeBench } from './runtime.mjs';
import { formatMiB, formatMs, median, table, verdict } from './stats.mjs';
import { roundRatios, workersBench } from './workers.mjs';

const SECTIONS = [
  'compile',
  'validate',
  'watch',
  'history',
  'diff-scale',
  'runtime',
  'memory',
  'reconcile',
  'gate',
  'workers',
  'environments',
  'k8s-reconcile',
  'cdk8s',
];
const here = new URL('.', import.meta.url).pathname;

const { values: flags } = parseArgs({
  options: {
    pipelines: { type: 'string' },
    tasks: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'memory-pipelines': { type: 'string' },
    'memory-wide-pipelines': { type: 'string' },
    'memory-wide-tasks': { type: 'string' },
    'history-commits': { type: 'string' },
    'history-specs': { type: 'string' },
    'history-tasks': { type: 'string' },
    'runtime-tasks': { type: 'string' },
    'environments-pipelines': { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
    results: { type: 'string' },
    dist: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('\n')
      .slice(0, 6)
      .join('\n') + '\n',
  );
  process.exit(0);
}
const quick = flags.quick;
const int = (v, fallback) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${v}`);
  return n;
};
const config = {
  seed: int(flags.seed, 1),
  pipelines: int(flags.pipelines, quick ? 40 : 1000),
  tasks: int(flags.tasks, quick ? 10 : 50),
  runs: int(flags.runs, quick ? 1 : 3),
  memoryPipelines: int(flags['memory-pipelines'], quick ? 200 : 5000),
  memoryWidePipelines: int(flags['memory-wide-pipelines'], quick ? 400 : 10000),
  memoryWideTasks: int(flags['memory-wide-tasks'], quick ? 5 : 20),
  historyCommits: int(flags['history-commits'], quick ? 60 : 1000),
  historySpecs: int(flags['history-specs'], quick ? 20 : 100),
  historyTasks: int(flags['history-tasks'], 10),
  runtimeTasks: int(flags['runtime-tasks'], quick ? 10 : 50),
  environmentsPipelines: int(flags['environments-pipelines'], quick ? 20 : 300),
  quick,
};
const only = flags.only ? flags.only.split(',') : SECTIONS;
for (const s of only)
  if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);
const resultsFile = flags.results ?? join(here, 'results.json');

if (flags.dist) process.env.PIPEWRIGHT_BENCH_DIST = resolve(flags.dist);
const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-'));
// The compile children's cache home (bench/child.mjs): a warm compile reuses the persistent cache as a user's does.
process.env.PIPEWRIGHT_BENCH_CACHE_HOME = join(work, 'cache-home');
const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Runs `node bench/child.mjs op opts` and returns its JSON report plus the wall time seen from here. */
function child(op, opts, nodeArgs = []) {
  return new Promise((resolvePromise, reject) => {
    const t = performance.now();
    const p = spawn(process.execPath, [...nodeArgs, join(here, 'child.mjs'), op, JSON.stringify(opts)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code, signal) => {
      const wallMs = performance.now() - t;
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) {
        reject(new Error(`child ${op} failed (${signal ?? code}): ${stderr.slice(-3000)}`));
        return;
      }
      const lines = Buffer.concat(out).toString().trim().split('\n');
      resolvePromise({ ...JSON.parse(lines[lines.length - 1]), wallMs });
    });
  });
}

/** Wall time of an external command with its stdout drained (as a consumer would read it). */
function external(cmd, args, cwd) {
  return new Promise((resolvePromise, reject) => {
    const t = performance.now();
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    const err = [];
    p.stdout.on('data', (d) => {
      bytes += d.length;
    });
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')}: exit ${code} ${Buffer.concat(err)}`));
      else resolvePromise({ ms: performance.now() - t, outputBytes: bytes });
    });
  });
}

/** `runs` rounds; each round calls every probe once (interleaved, so load drift hits all of them alike). */
async function rounds(runs, probes) {
  const samples = Object.fromEntries(Object.keys(probes).map((k) => [k, []]));
  for (let r = 0; r < runs; r++) {
    for (const [name, probe] of Object.entries(probes)) {
      samples[name].push(await probe(r));
      log(`  ${name} run ${r + 1}/${runs}: ${formatMs(samples[name].at(-1).ms)}`);
    }
  }
  return samples;
}
const med = (list, key = 'ms') => median(list.map((x) => x[key]));

/** Which code was measured: the dist directory and the commit (plus whether the source tree had local changes). */
function buildInfo() {
  const git = (args) => {
    const r = spawnSync('git', args, { cwd: join(here, '..'), encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  return {
    dist: process.env.PIPEWRIGHT_BENCH_DIST ?? join(here, '..', 'dist'),
    commit: git(['rev-parse', 'HEAD']),
    srcModified: (git(['status', '--porcelain', '--', 'src']) ?? '').split('\n').filter(Boolean).length,
  };
}

const results = {
  date: new Date().toISOString(),
  machine: {
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    memTotalMiB: Math.round(totalmem() / 2 ** 20),
    memFreeMiBAtStart: Math.round(freemem() / 2 ** 20),
    node: process.version,
    loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  },
  config,
  build: buildInfo(),
  sections: {},
};
const rows = [];
const row = (metric, value, goal = '', ok) => rows.push([metric, value, goal, goal ? verdict(ok) : '']);

const started = performance.now();
let failed = 0;
/** Runs one section; a failure (e.g. a stage broken mid-development) is reported in the table and the exit code. */
async function section(name, enabled, body) {
  if (!enabled) return;
  try {
    await body();
    writeResults();
  } catch (error) {
    failed++;
    log(`${name}: FAILED — ${error.stack ?? error}`);
    results.sections[name] = { ...results.sections[name], error: String(error.message ?? error).slice(0, 2000) };
    row(
      `${name}`,
      `FAILED: ${String(error.message ?? error)
        .split('\n')[0]
        .slice(0, 120)}`,
    );
    writeResults();
  }
}

/** Written after every section too, so a long run that is interrupted keeps what it measured. */
function writeResults() {
  results.totalSeconds = (performance.now() - started) / 1000;
  results.table = rows;
  mkdirSync(join(resultsFile, '..'), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
}

/** A cold start: no outputs and no persistent compile cache (`.pipewright/`) in the project. */
function rmOut(dir) {
  rmSync(join(dir, 'generated'), { recursive: true, force: true });
  rmSync(join(dir, '.pipewright'), { recursive: true, force: true });
}

try {
  let corpusDir;
  const needCorpus = only.some((s) => ['compile', 'validate', 'watch', 'workers', 'cdk8s'].includes(s));
  if (needCorpus) {
    corpusDir = join(work, `corpus-${config.pipelines}x${config.tasks}`);
    log(`generating ${config.pipelines} × ${config.tasks} corpus in ${corpusDir}`);
    writeCorpus(corpusDir, { seed: config.seed, pipelines: config.pipelines, tasks: config.tasks });
  }

  await section('validate', only.includes('validate'), async () => {
    log('validate: throughput');
    const s = await rounds(config.runs, { validate: () => child('validate', { dir: corpusDir }) });
    const ms = med(s.validate);
    const perSec = config.pipelines / (ms / 1000);
    results.sections.validate = { ms, specsPerSec: perSec, loadMs: med(s.validate, 'loadMs'), samples: s };
    row(`validate (schema + rules, ${config.pipelines} loaded specs)`, formatMs(ms));
    row('  validation throughput', `${perSec.toFixed(0)} specs/s`);
    row('  load (YAML → SpecDocument) for the same specs', formatMs(med(s.validate, 'loadMs')));
  });

  await section('history', only.includes('history'), async () => {
    const dir = join(work, 'history');
    log(`history: generating ${config.historyCommits} commits over ${config.historySpecs} specs`);
    const repo = createHistoryRepo(dir, {
      seed: config.seed + 6,
      specs: config.historySpecs,
      tasks: config.historyTasks,
      commits: config.historyCommits,
    });
    const warmHome = mkdtempSync(join(work, 'changelog-warm-'));
    await child('cli', { cwd: dir, argv: ['changelog', '--format', 'json'], env: { XDG_CACHE_HOME: warmHome } });
    const s = await rounds(config.runs, {
      'git log -p': () =>
        external('git', ['log', '-p', '--first-parent', `${repo.root}..HEAD`, '--', 'pipelines'], dir),
      'git diff': () => external('git', ['diff', repo.root, 'HEAD', '--', 'pipelines'], dir),
      'yaml floor': () => child('history-floor', { cwd: dir, root: repo.root }),
      // cold: an empty user cache directory every run (each distinct blob read and parsed once, entries written)
      changelog: async () => {
        const home = mkdtempSync(join(work, 'changelog-cold-'));
        try {
          return await child('cli', {
            cwd: dir,
            argv: ['changelog', '--format', 'json'],
            env: { XDG_CACHE_HOME: home },
          });
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      },
      // warm: the second run with the persistent blob cache (primed once before the rounds)
      'changelog warm': () =>
        child('cli', { cwd: dir, argv: ['changelog', '--format', 'json'], env: { XDG_CACHE_HOME: warmHome } }),
      diff: () => child('cli', { cwd: dir, argv: ['diff', repo.root, 'HEAD', '--format', 'json'] }),
    });
    const gitLog = med(s['git log -p']);
    const gitDiff = med(s['git diff']);
    const floor = med(s['yaml floor']);
    const changelog = med(s.changelog);
    const changelogWarm = med(s['changelog warm']);
    const diff = med(s.diff);
    results.sections.history = {
      commits: repo.commits,
      versionBumps: repo.bumps,
      gitLogMs: gitLog,
      gitDiffMs: gitDiff,
      changelogMs: changelog,
      changelogWallMs: med(s.changelog, 'wallMs'),
      diffMs: diff,
      diffWallMs: med(s.diff, 'wallMs'),
      yamlFloorMs: floor,
      yamlFloorBlobs: s['yaml floor'][0].blobs,
      changelogOverGitLog: changelog / gitLog,
      changelogOverYamlFloor: changelog / floor,
      diffOverGitLog: diff / gitLog,
      diffOverGitDiff: diff / gitDiff,
      changelogRssKB: med(s.changelog, 'maxRssKB'),
      changelogWarmMs: changelogWarm,
      changelogWarmOverGitLog: changelogWarm / gitLog,
      samples: s,
    };
    row(`git log -p (${repo.commits} commits, ${config.historySpecs} specs)`, formatMs(gitLog));
    row('changelog (whole history, empty blob cache)', formatMs(changelog));
    row('  changelog / git log -p', `${(changelog / gitLog).toFixed(1)}×`, '<= 3×', changelog / gitLog <= 3);
    row(`  floor: cat-file + yaml parse of the ${s['yaml floor'][0].blobs} blobs read`, formatMs(floor));
    row('  changelog / that floor', `${(changelog / floor).toFixed(1)}×`, '<= 2×', changelog / floor <= 2);
    row('changelog, second run (persistent blob cache)', formatMs(changelogWarm));
    row('  second run / git log -p', `${(changelogWarm / gitLog).toFixed(1)}×`, '<= 5×', changelogWarm / gitLog <= 5);
    row('diff root..HEAD', formatMs(diff));
    row('  diff / git log -p', `${(diff / gitLog).toFixed(1)}×`, '<= 3×', diff / gitLog <= 3);
    row('  diff / git diff root HEAD (same paths)', `${(diff / gitDiff).toFixed(1)}×`);
  });

  await section('diff-scale', only.includes('diff-scale'), async () => {
    const sizes = [10, config.pipelines];
    const r = await diffScaleBench({
      work,
      sizes,
      tasks: config.tasks,
      runs: config.runs,
      seed: config.seed,
      child,
      external,
      rounds,
      log,
    });
    results.sections['diff-scale'] = r;
    const [small, large] = sizes;
    for (const n of sizes)
      row(
        `diff HEAD~1 HEAD, 1 of ${n} × ${config.tasks} specs changed: warm / cold cache`,
        `${formatMs(r.sizes[n].warmMs)} / ${formatMs(r.sizes[n].coldMs)}`,
      );
    row(`  diff at ${large} / at ${small} (warm cache)`, `${r.warmRatio.toFixed(2)}×`, '<= 1.5×', r.warmRatio <= 1.5);
    row(
      `  diff at ${large} / at ${small} (cold cache: a fresh CI runner, spec index of the base)`,
      `${r.coldRatio.toFixed(2)}×`,
      '<= 1.5×',
      r.coldRatio <= 1.5,
    );
    row(
      `  diff --no-index at ${large}, cold cache (every unchanged spec parsed; reference)`,
      formatMs(r.noIndexColdMs),
    );
    row(`  git diff at ${large}`, formatMs(r.sizes[large].gitDiffMs));
  });

  await section('gate', only.includes('gate'), async () => {
    const g = await gateBench({
      work,
      pipelines: config.pipelines,
      tasks: config.tasks,
      seed: config.seed,
      runs: config.runs,
      log,
    });
    results.sections.gate = g;
    row(
      `merge-request gate, one-spec change (${config.pipelines} × ${config.tasks}): validate --base + check --base + diff`,
      formatMs(g.totalMs),
      '≤ 3 s',
      g.met,
    );
    row(
      '  validate --base / check --base / diff base HEAD',
      `${formatMs(g.validateBaseMs)} / ${formatMs(g.checkBaseMs)} / ${formatMs(g.diffMs)}`,
    );
    row('  full check of the same tree (reference, one run)', formatMs(g.fullCheckMs));
    row(
      '  CPU time of validate --base + check --base + diff (load-independent)',
      formatMs(g.cpuTotalMs),
      '≤ 3 s',
      g.cpuTotalMs <= 3000,
    );
  });

  await section('runtime', only.includes('runtime'), async () => {
    log(`runtime: ${config.runtimeTasks}-task DAG on the engine vs raw dockerode`);
    const r = await runtimeBench({ work, tasks: config.runtimeTasks, runs: config.runs, log });
    results.sections.runtime = r;
    if (r.skipped) {
      row('runtime', `skipped: ${r.skipped}`);
    } else {
      row(`raw dockerode, sequential (${config.runtimeTasks} containers)`, formatMs(r.rawSequentialMs));
      row('pipewright run, concurrency 1', formatMs(r.runSequentialMs));
      row('  overhead per task vs raw', `${r.overheadRatio.toFixed(2)}×`, '<= 1.2×', r.overheadRatio <= 1.2);
      if (r.rawAttachSequentialMs !== undefined) {
        row('raw dockerode, attach + inspect as the executor does', formatMs(r.rawAttachSequentialMs));
        row('  pipewright run vs that peer', `${r.overheadVsAttachRatio.toFixed(2)}×`);
      }
      row(`pipewright run, concurrency ${r.parallelConcurrency}`, formatMs(r.runParallelMs));
      row(
        '  parallel faster than raw sequential',
        `${(r.rawSequentialMs / r.runParallelMs).toFixed(2)}× faster`,
        '> 1×',
        r.runParallelMs < r.rawSequentialMs,
      );
    }
  });

  // Optional: needs a control plane (source scripts/k8s-up.sh); skipped with the reason when none answers.
  await section('k8s-reconcile', only.includes('k8s-reconcile'), async () => {
    const reason = k8sUnavailable();
    if (reason) {
      log(`k8s-reconcile: skipped — ${reason}`);
      results.sections['k8s-reconcile'] = { skipped: reason };
      row('k8s-reconcile', `skipped: ${reason}`);
      return;
    }
    const r = k8sReconcileBench({
      scratch: join(work, 'k8s-reconcile'),
      pipelines: config.pipelines,
      tasks: config.tasks,
      chain: quick ? 3 : 10,
      log,
    });
    results.sections['k8s-reconcile'] = r;
    row(
      `kubectl apply --server-side, cold (${r.objects} objects of ${config.pipelines} pipelines)`,
      formatMs(r.kubectlColdMs),
    );
    row('pipewright apply, cold', formatMs(r.coldApplyMs));
    row('  cold apply / kubectl', `${r.coldRatio.toFixed(2)}×`, '<= 1×', r.coldRatio <= 1);
    row('kubectl apply --server-side, no-op', formatMs(r.kubectlNoopMs));
    row('pipewright apply, no-op (0 writes)', formatMs(r.noopApplyMs));
    row('  no-op apply / kubectl', `${r.noopRatio.toFixed(2)}×`, '<= 0.5×', r.noopRatio <= 0.5);
    row(
      'pipewright plan after a one-pipeline change',
      formatMs(r.planAfterChangeMs),
      '< 2 s',
      r.planAfterChangeMs < 2000,
    );
    row(
      `release per task (${r.chain}-task chain) / kubectl create job + wait`,
      `${formatMs(r.releasePerTaskMs)} / ${formatMs(r.rawPerTaskMs)} = ${r.releaseRatio.toFixed(2)}×`,
    );
    row(
      '  hand-off per task (a Job complete → the next created): release / kubectl',
      `${formatMs(r.releaseJobs.handoffMs)} / ${formatMs(r.rawJobs.handoffMs)}`,
    );
  });

  await section('watch', only.includes('watch'), async () => {
    log('watch: one-spec edit latency');
    rmOut(corpusDir);
    const w = await child('watch', { dir: corpusDir, edits: quick ? 3 : 5, pacedEdits: quick ? 3 : 5 });
    results.sections.watch = w;
    row(`watch initial build (${w.backend} watcher)`, formatMs(w.initialMs));
    row('watch one-spec edit → outputs written (median)', formatMs(w.ms), '<= 100 ms', w.ms <= 100);
    row(`  same, edits ${w.pacedPauseMs / 1000} s apart (median)`, formatMs(w.pacedMs));
  });

  await section('cdk8s', only.includes('cdk8s'), async () => {
    log('cdk8s: pipewright compile --target k8s vs cdk8s synth of the same objects (bench/cdk8s.mjs)');
    const c = await cdk8sBench({
      corpusDir,
      work,
      runs: config.runs,
      distDir: flags.dist ?? join(here, '..', 'dist'),
      log,
    });
    const ours = med(c.samples.ours);
    const peer = med(c.samples.cdk8s);
    const cpu =
      c.samples.ours[0].cpuMs === undefined ? undefined : med(c.samples.ours, 'cpuMs') / med(c.samples.cdk8s, 'cpuMs');
    results.sections.cdk8s = { oursMs: ours, cdk8sMs: peer, ratio: ours / peer, cpuRatio: cpu, ...c };
    row(`pipewright compile --target k8s (${config.pipelines}×${config.tasks}, process)`, formatMs(ours));
    row('cdk8s synth, same objects (process)', formatMs(peer));
    row('  k8s compile / cdk8s synth', `${(ours / peer).toFixed(2)}×`, '<= 0.5×', ours / peer <= 0.5);
    if (cpu !== undefined) row('  same, CPU time (user + system)', `${cpu.toFixed(2)}×`);
  });

  await section('compile', only.includes('compile'), async () => {
    log('compile: baseline (yaml parse + stringify) vs cold vs warm');
    const s = await rounds(config.runs, {
      baseline: () => child('baseline', { dir: corpusDir }),
      cold: async () => {
        rmOut(corpusDir);
        return child('compile', { dir: corpusDir });
      },
      warm: () => child('compile', { dir: corpusDir }),
    });
    for (const w of s.warm) if (w.written !== 0) throw new Error(`warm compile wrote ${w.written} files`);
    const baseline = med(s.baseline);
    const cold = med(s.cold);
    const warm = med(s.warm);
    results.sections.compile = {
      baselineMs: baseline,
      coldMs: cold,
      warmMs: warm,
      coldOverBaseline: cold / baseline,
      warmOverCold: warm / cold,
      filesWritten: s.cold[0].written,
      samples: s,
    };
    row(`compile baseline (${config.pipelines}×${config.tasks})`, formatMs(baseline));
    row('compile cold (3 targets, fresh out dir)', formatMs(cold));
    row('  cold / baseline', `${(cold / baseline).toFixed(2)}×`, '<= 1.5×', cold / baseline <= 1.5);
    row('compile warm (nothing changed, new process)', formatMs(warm));
    row('  warm / cold', `${((100 * warm) / cold).toFixed(1)} %`, '<= 5 %', warm / cold <= 0.05);
    results.sections.memory = { rssKB: { [config.pipelines]: med(s.cold, 'maxRssKB') } };
  });

  await section('memory', only.includes('memory'), async () => {
    // issue 17 goal 4: big projects compile within Node's DEFAULT heap (no --max-old-space-size), peak RSS reported.
    // The child runs `pipewright compile` as users do (default --jobs: one worker per CPU), cold, into a fresh tree.
    const defaultHeapLimitMiB = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
    const sizes = [
      [config.memoryPipelines, config.tasks],
      [config.memoryWidePipelines, config.memoryWideTasks],
    ];
    const memory = { defaultHeapLimitMiB, runs: {} };
    for (const [pipelines, tasks] of sizes) {
      const dir = join(work, `corpus-${pipelines}x${tasks}`);
      log(`memory: generating ${pipelines} × ${tasks} corpus`);
      writeCorpus(dir, { seed: config.seed, pipelines, tasks });
      log(`memory: cold compile ${pipelines} × ${tasks} (default heap)`);
      let m;
      try {
        m = await child('compile', { dir });
      } catch (error) {
        m = { failed: String(error.message ?? error).slice(0, 1000) };
      }
      rmSync(dir, { recursive: true, force: true });
      memory.runs[`${pipelines}x${tasks}`] = m;
      const size = `${pipelines}×${tasks}`;
      row(
        `cold compile ${size}, default heap (${defaultHeapLimitMiB} MiB)`,
        m.failed
          ? `FAILED: ${m.failed.split('\n')[0].slice(0, 80)}`
          : `ok, ${m.pipelines} pipelines, ${m.written} files`,
        'completes',
        !m.failed && m.pipelines === pipelines,
      );
      if (!m.failed) {
        row(`  peak RSS ${size} (all threads)`, formatMiB(m.maxRssKB));
        row(`  time ${size}`, formatMs(m.ms));
      }
    }
    results.sections.memory = { ...results.sections.memory, ...memory };
  });

  await section('workers', only.includes('workers'), async () => {
    // issue 17 goal 2: per-spec stages on worker threads; jobs 1 vs jobs 2, cold, same run
    log(`workers: --jobs 1 vs --jobs 2 at ${config.pipelines} × ${config.tasks}`);
    const s = await workersBench({ dir: corpusDir, runs: config.runs, child, rounds });
    const w = { samples: s };
    for (const command of ['compile', 'validate', 'check']) {
      const one = s[`${command} --jobs 1`];
      const two = s[`${command} --jobs 2`];
      // the verdict: the median over rounds of each round's own ratio (both probes of a round ran back to back)
      const ratios = roundRatios(one, two);
      const speedup = median(ratios);
      w[command] = {
        jobs1Ms: med(one),
        jobs2Ms: med(two),
        speedup,
        roundRatios: ratios,
        ratioOfMedians: med(one) / med(two),
        jobs1CpuMs: med(one, 'cpuMs'),
        jobs2CpuMs: med(two, 'cpuMs'),
        jobs2MaxRssKB: med(two, 'maxRssKB'),
      };
      // CPU of all threads, and how many cores that kept busy on average (CPU / wall)
      const cores = (list) => median(list.map((x) => x.cpuMs / x.ms)).toFixed(2);
      const cpu = `cpu ${formatMs(med(one, 'cpuMs'))} (${cores(one)} cores) → ${formatMs(med(two, 'cpuMs'))} (${cores(two)} cores)`;
      row(
        `${command} ${config.pipelines}×${config.tasks} --jobs 1${command === 'compile' ? ' (cold)' : ''}`,
        formatMs(med(one)),
      );
      row(`${command} --jobs 2`, `${formatMs(med(two))} (${cpu})`);
      row(
        `  ${command}: jobs 1 / jobs 2 (median of rounds${ratios.length > 1 ? `: ${ratios.map((r) => r.toFixed(2)).join(', ')}` : ''})`,
        `${speedup.toFixed(2)}×`,
        '>= 1.7×',
        speedup >= 1.7,
      );
    }
    row('  compile --jobs 1 and --jobs 2 trees', 'byte-identical');
    const halves = s['two half compiles at once (--jobs 1 each)'];
    const ceilingRatios = roundRatios(s['compile --jobs 1'], halves);
    w.ceiling = {
      halvesAtOnceMs: med(halves),
      halvesCpuMs: med(halves, 'cpuMs'),
      ratio: median(ceilingRatios),
      roundRatios: ceilingRatios,
    };
    row(
      `  ceiling: compile --jobs 1 / two half compiles at once (median of rounds${ceilingRatios.length > 1 ? `: ${ceilingRatios.map((r) => r.toFixed(2)).join(', ')}` : ''})`,
      `${w.ceiling.ratio.toFixed(2)}× (${formatMs(med(halves))}, cpu ${formatMs(med(halves, 'cpuMs'))})`,
    );
    results.sections.workers = w;
  });

  await section('environments', only.includes('environments'), async () => {
    // issue 17 goal 2 for a project with environments: every spec in every environment on the pool; jobs 1 vs 2
    const dir = join(work, 'environments');
    const size = `${config.environmentsPipelines}×${config.tasks}×3 environments`;
    log(`environments: --jobs 1 vs --jobs 2 at ${size}`);
    writeEnvironmentsProject(dir, { seed: config.seed, pipelines: config.environmentsPipelines, tasks: config.tasks });
    const s = await environmentsBench({ dir, runs: config.runs, child, rounds });
    const e = { pipelines: config.environmentsPipelines, tasks: config.tasks, environments: 3, samples: s };
    for (const command of ['compile', 'validate', 'check']) {
      const one = s[`${command} --jobs 1`];
      const two = s[`${command} --jobs 2`];
      // as the workers section: the median over rounds of each round's own ratio
      const ratios = roundRatios(one, two);
      e[command] = {
        jobs1Ms: med(one),
        jobs2Ms: med(two),
        speedup: median(ratios),
        roundRatios: ratios,
        jobs1CpuMs: med(one, 'cpuMs'),
        jobs2CpuMs: med(two, 'cpuMs'),
        jobs2MaxRssKB: med(two, 'maxRssKB'),
      };
      const cpu = `cpu ${formatMs(med(one, 'cpuMs'))} → ${formatMs(med(two, 'cpuMs'))}`;
      row(`${command} ${size} --jobs 1${command === 'compile' ? ' (cold)' : ''}`, formatMs(med(one)));
      row(`${command} --jobs 2`, `${formatMs(med(two))} (${cpu})`);
      row(
        `  ${command}: jobs 1 / jobs 2 (median of rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
        `${e[command].speedup.toFixed(2)}×`,
        '>= 1.7×',
        e[command].speedup >= 1.7,
      );
    }
    row('  environments: compile --jobs 1 and --jobs 2 trees', 'byte-identical');
    results.sections.environments = e;
  });

  // `pipewright reconcile` (bench/reconcile-loop.mjs): needs the engine, waits for real minute boundaries.
  await section('reconcile', only.includes('reconcile'), async () => {
    const skipped = await reconcileLoopUnavailable();
    if (skipped) {
      results.sections.reconcile = { skipped };
      row('reconcile', `skipped: ${skipped}`);
      return;
    }
    const minutes = quick ? 1 : 3;
    log(`reconcile: daemon following ${config.pipelines} scheduled pipelines, ${minutes} due minutes`);
    const r = await reconcileLoopBench({
      scratch: join(work, 'reconcile'),
      pipelines: config.pipelines,
      minutes,
      dist: resolve(flags.dist ?? join(here, '..', 'dist')),
      log,
    });
    results.sections.reconcile = r;
    row(
      `reconcile: cycle, nothing changed (${config.pipelines} pipelines, median)`,
      formatMs(r.cycleMsMedian),
      '<= 1 s',
      r.cycleMsMedian <= 1000,
    );
    row('  daemon RSS after those cycles', `${r.rssMiB} MiB (peak ${r.peakRssMiB} MiB)`);
    row(
      '  due time → first container started (median)',
      formatMs(r.dueToStartMsMedian),
      '<= 1 s',
      r.dueToStartMsMedian <= 1000,
    );
    row('  raw dockerode create + start (floor)', formatMs(r.rawCreateStartMsMedian));
    row('  due → started / floor', `${r.dueToStartOverRaw.toFixed(2)}×`);
    row(
      '  /healthz answered during the bench',
      `${r.healthz.answered} / ${r.healthz.asked}`,
      'all',
      r.healthz.answered === r.healthz.asked,
    );
  });
} finally {
  if (!flags.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

results.complete = true;
writeResults();
process.stdout.write(
  `\n${table(rows)}\n\nmachine: ${results.machine.nproc} cpus (${results.machine.cpu}), ${results.machine.memTotalMiB} MiB, node ${results.machine.node}; load at start ${results.machine.loadavgAtStart}\n`,
);
process.stdout.write(`total ${results.totalSeconds.toFixed(0)} s; wrote ${resultsFile}\n`);
if (failed > 0) {
  process.stderr.write(`${failed} section(s) failed\n`);
  process.exitCode = 1;
}
