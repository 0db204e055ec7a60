// The merge-request gate (issue 17, goal 1): validate --base + check --base + diff of a one-spec change at N × M
// (default 1,000 × 50) ≤ 3 s in total. Builds a git repository of the bench corpus with its compiled generated/
// committed (the base, which passes a full check), then a merge-request commit that changes one task of one spec and
// recompiles it, and times, as separate `node dist/cli.js` processes in that repository: `validate --base <base>`,
// `check --base <base>`, `diff <base> HEAD`, and one full `check` as the reference. Every command must exit 0 and the
// gate commands must report the incremental mode (a silent fall-back to a full run would fake nothing but a slow pass).
// Cold, as on a fresh CI runner: every measured process gets its own empty cache directory (XDG_CACHE_HOME, HOME), so
// neither the compile cache nor diff's blob cache of an earlier run can help; diff reads the base's spec index.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipelineName, writeCorpus } from './corpus.mjs';
import { median } from './stats.mjs';

const here = new URL('.', import.meta.url).pathname;

function git(dir, ...args) {
  const r = spawnSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Preloaded into each measured process: on exit it writes the process's CPU time (user + system, all threads) to
 * fd 3. On a shared machine wall time mostly measures the queue for a core; CPU time is what the command costs.
 */
const CPU_PRELOAD = `const { writeSync } = require('node:fs');
process.on('exit', () => { const u = process.cpuUsage(); try { writeSync(3, JSON.stringify({ userMs: u.user / 1000, systemMs: u.system / 1000 })); } catch {} });
`;

/** Runs the CLI as a process; wall time, CPU time, exit code and stderr (the gate's mode line). */
function cli(cliPath, dir, preload, argv, env = process.env) {
  return new Promise((resolvePromise, reject) => {
    const t = performance.now();
    const p = spawn(process.execPath, ['--require', preload, cliPath, ...argv], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let bytes = 0;
    const err = [];
    const cpu = [];
    p.stdout.on('data', (d) => {
      bytes += d.length;
    });
    p.stderr.on('data', (d) => err.push(d));
    p.stdio[3].on('data', (d) => cpu.push(d));
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = performance.now() - t;
      const stderr = Buffer.concat(err).toString();
      const usage = JSON.parse(Buffer.concat(cpu).toString() || '{}');
      const cpuMs = (usage.userMs ?? Number.NaN) + (usage.systemMs ?? Number.NaN);
      if (code !== 0) reject(new Error(`pipewright ${argv.join(' ')}: exit ${code}\n${stderr.slice(-2000)}`));
      else resolvePromise({ ms, cpuMs, outputBytes: bytes, stderr });
    });
  });
}

/**
 * @param {{ work: string, pipelines: number, tasks: number, seed: number, runs: number, log: (m: string) => void }} o
 */
export async function gateBench({ work, pipelines, tasks, seed, runs, log }) {
  const dist = process.env.PIPEWRIGHT_BENCH_DIST ?? join(here, '..', 'dist');
  const cliPath = resolve(dist, 'cli.js');
  const dir = join(work, `gate-${pipelines}x${tasks}`);
  const preload = join(work, 'gate-cpu-usage.cjs');
  writeFileSync(preload, CPU_PRELOAD);
  log(`gate: ${pipelines} × ${tasks} repository in ${dir}`);
  writeCorpus(dir, { seed, pipelines, tasks });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'bench');
  git(dir, 'config', 'user.email', 'bench@example.invalid');
  const compile = async () => cli(cliPath, dir, preload, ['compile', '--no-cache', '--quiet']);
  const t0 = performance.now();
  await compile();
  log(`gate: compiled the base in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base: specs and generated/');
  const base = git(dir, 'rev-parse', 'HEAD');

  // the merge request: one task of one spec edited (a one-line change), generated/ recompiled, committed
  const name = pipelineName(Math.floor(pipelines / 2));
  const file = join(dir, 'pipelines', `${name}.yaml`);
  const before = readFileSync(file, 'utf8');
  const after = before.replace(/retries: (\d+)/, (_, n) => `retries: ${Number(n) === 0 ? 1 : 0}`);
  if (after === before) throw new Error(`gate: no retries: line to edit in ${file}`);
  writeFileSync(file, after);
  await compile();
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `change ${name}`);
  const changed = git(dir, 'diff', '--name-only', base, 'HEAD').split('\n');
  log(`gate: the change touches ${changed.length} files (${changed.join(', ')})`);

  // a fresh, empty cache directory for every measured process: a CI runner that keeps nothing between jobs
  const cold = (argv) => async () => {
    const home = mkdtempSync(join(work, 'gate-cold-home-'));
    try {
      return await cli(cliPath, dir, preload, argv, {
        ...process.env,
        HOME: home,
        XDG_CACHE_HOME: join(home, '.cache'),
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };
  const probes = {
    'validate --base': cold(['validate', '--base', base, '--quiet']),
    'check --base': cold(['check', '--base', base]),
    diff: cold(['diff', base, 'HEAD', '--format', 'json']),
  };
  const samples = Object.fromEntries(Object.keys(probes).map((k) => [k, []]));
  for (let r = 0; r < runs; r++) {
    for (const [probe, run] of Object.entries(probes)) {
      const s = await run();
      if (probe !== 'diff' && !s.stderr.includes(`incremental: 1 of ${pipelines} specs changed`))
        throw new Error(`gate: ${probe} did not run incrementally: ${s.stderr.split('\n')[0]}`);
      samples[probe].push({ ms: s.ms, cpuMs: s.cpuMs });
      log(`  ${probe} run ${r + 1}/${runs}: ${(s.ms / 1000).toFixed(2)} s (CPU ${(s.cpuMs / 1000).toFixed(2)} s)`);
    }
  }
  // the reference: the full check on the same tree (one sample: it takes a minute at 1,000 × 50)
  const full = await cli(cliPath, dir, preload, ['check']);
  log(`  full check: ${(full.ms / 1000).toFixed(1)} s (CPU ${(full.cpuMs / 1000).toFixed(1)} s)`);
  const ms = (k) => median(samples[k].map((s) => s.ms));
  const cpu = (k) => median(samples[k].map((s) => s.cpuMs));
  const total = ms('validate --base') + ms('check --base') + ms('diff');
  return {
    pipelines,
    tasks,
    changedFiles: changed,
    validateBaseMs: ms('validate --base'),
    checkBaseMs: ms('check --base'),
    diffMs: ms('diff'),
    totalMs: total,
    fullCheckMs: full.ms,
    cpuMs: {
      validateBase: cpu('validate --base'),
      checkBase: cpu('check --base'),
      diff: cpu('diff'),
      fullCheck: full.cpuMs,
    },
    cpuTotalMs: cpu('validate --base') + cpu('check --base') + cpu('diff'),
    goalMs: 3000,
    met: total <= 3000,
    samples,
  };
}
