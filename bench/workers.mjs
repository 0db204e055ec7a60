// `--only workers` of bench/run.mjs: the per-spec stages of validate, compile and check on worker threads (issue 17,
// goal 2). Each round runs every probe once, --jobs 1 and --jobs 2 back to back in fresh processes, so both see the
// same load: cold compile (no output directory, no cache), validate, and check of the tree just written. The two
// trees are hashed and must be byte-identical. CPU time (all threads) is reported beside wall time: on a shared
// machine the wall-time ratio depends on what else runs, the CPU overhead of the workers does not.
// The machine's own ceiling for this work: two single-threaded compiles, each of half the specs, run at once (two
// processes share nothing but the hardware); the full --jobs 1 compile over that wall time is the best any split of
// the same work over two threads could reach here.
// Every probe starts after `sync`: the previous probe's ~280 MB of written outputs (and the removed tree) are on disk
// before the clock starts, so the kernel's writeback of one probe does not take CPU from the next (it cost a --jobs 2
// compile 1-2 s of its wall time on 2 cores, and never the same in two runs).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** sha256 over every file under `dir` (sorted paths and bytes): equal trees, equal hashes. */
export function treeHash(dir) {
  const hash = createHash('sha256');
  const walk = (rel) => {
    const entries = readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path);
      else
        hash
          .update(`${path}\0`)
          .update(readFileSync(join(dir, path)))
          .update('\0');
    }
  };
  walk('');
  return hash.digest('hex');
}

/** Flush dirty pages to disk (untimed, before a probe). */
export function settle() {
  spawnSync('sync', { stdio: 'ignore' });
}

/** Per-round ratios a / b (the two probes of a round ran back to back, under the same load). */
export function roundRatios(a, b) {
  return a.map((x, i) => x.ms / b[i].ms);
}

/**
 * @param {{ dir: string, runs: number, child: Function, log: Function, rounds: Function }} options
 *   `child` and `rounds` are bench/run.mjs's (a fresh process per probe; interleaved rounds).
 */
/**
 * The CLI of the project in `dir` as a bench probe (a fresh process after `settle`), and a cold compile probe: the
 * output directory removed first, the tree written handed to `tree(jobs, hash)`. Shared with bench/environments.mjs.
 */
export function cliProbes({ dir, child }, tree) {
  const out = join(dir, 'generated');
  const cli = (argv) => {
    settle();
    return child('cli', { cwd: dir, argv });
  };
  const compile = (jobs) => async () => {
    rmSync(out, { recursive: true, force: true });
    const r = await cli(['compile', 'pipelines', '--jobs', String(jobs), '--format', 'json']);
    tree(jobs, treeHash(out));
    return r;
  };
  return { cli, compile };
}

export async function workersBench({ dir, runs, child, rounds }) {
  const hashes = { 1: new Set(), 2: new Set() };
  const { cli, compile } = cliProbes({ dir, child }, (jobs, hash) => hashes[jobs].add(hash));
  // the two halves: every other spec (sorted), copied into two projects of their own
  const specs = readdirSync(join(dir, 'pipelines')).sort();
  const halves = [0, 1].map((h) => {
    const half = join(dir, `..`, `workers-half-${h}`);
    rmSync(half, { recursive: true, force: true });
    mkdirSync(join(half, 'pipelines'), { recursive: true });
    specs.forEach((f, i) => {
      if (i % 2 === h) copyFileSync(join(dir, 'pipelines', f), join(half, 'pipelines', f));
    });
    return half;
  });
  const halvesAtOnce = async () => {
    for (const half of halves) rmSync(join(half, 'generated'), { recursive: true, force: true });
    settle();
    const t0 = process.hrtime.bigint();
    const both = await Promise.all(
      halves.map((half) =>
        child('cli', { cwd: half, argv: ['compile', 'pipelines', '--jobs', '1', '--format', 'json'] }),
      ),
    );
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: both.reduce((n, r) => n + (r.cpuMs ?? 0), 0) };
  };
  const s = await rounds(runs, {
    'compile --jobs 1': compile(1),
    'two half compiles at once (--jobs 1 each)': halvesAtOnce,
    'compile --jobs 2': compile(2),
    'validate --jobs 1': () => cli(['validate', 'pipelines', '--jobs', '1', '--format', 'json']),
    'validate --jobs 2': () => cli(['validate', 'pipelines', '--jobs', '2', '--format', 'json']),
    'check --jobs 1': () => cli(['check', 'pipelines', '--jobs', '1']),
    'check --jobs 2': () => cli(['check', 'pipelines', '--jobs', '2']),
  });
  const all = new Set([...hashes[1], ...hashes[2]]);
  if (all.size !== 1) throw new Error(`workers: --jobs 1 and --jobs 2 wrote different trees (${[...all].join(', ')})`);
  return s;
}
