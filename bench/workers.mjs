// `--only workers` of bench/run.mjs: the per-spec stages of validate, compile and check on worker threads (issue 17,
// goal 2). Each round runs every probe once, --jobs 1 and --jobs 2 back to back in fresh processes, so both see the
// same load: cold compile (no output directory, no cache), validate, and check of the tree just written. The two
// trees are hashed and must be byte-identical. CPU time (all threads) is reported beside wall time: on a shared
// machine the wall-time ratio depends on what else runs, the CPU overhead of the workers does not.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * @param {{ dir: string, runs: number, child: Function, log: Function, rounds: Function }} options
 *   `child` and `rounds` are bench/run.mjs's (a fresh process per probe; interleaved rounds).
 */
export async function workersBench({ dir, runs, child, rounds }) {
  const out = join(dir, 'generated');
  const hashes = { 1: new Set(), 2: new Set() };
  const cli = (argv) => child('cli', { cwd: dir, argv });
  const compile = (jobs) => async () => {
    rmSync(out, { recursive: true, force: true });
    const r = await cli(['compile', 'pipelines', '--jobs', String(jobs), '--format', 'json']);
    hashes[jobs].add(treeHash(out));
    return r;
  };
  const s = await rounds(runs, {
    'compile --jobs 1': compile(1),
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
