// `pipewright diff A B` where ONE of N specs changed, at a small and a large N (issue 17, goal 1a: the time at
// N = 1,000 ≤ 1.5× the time at N = 10, lineage impact included). Each repository: the bench corpus (bench/corpus.mjs)
// compiled and committed at once with its generated/ (as a project that runs the gate does: the base passed a full
// check, and its generated/index/ holds the spec index diff reads), then one commit editing one spec — a task's output
// renamed (its readers become lineage impact) and a command flag added — with its recompiled outputs. Probes,
// interleaved per round:
//   diff warm   — `diff HEAD~1 HEAD --format json` in a fresh process, the user cache directory primed by one run
//                 before the rounds (what a developer or a CI runner with a kept cache directory sees);
//   diff cold   — the same with an empty cache directory every run (a fresh CI runner: no per-machine cache; the
//                 unchanged specs' summaries come from the base's committed spec index);
//   git diff    — `git diff HEAD~1 HEAD -- pipelines`, the peer.
// After the rounds, one run at the large N of `diff --no-index` with an empty cache directory: the path without the
// index (every unchanged spec parsed once), for reference.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCorpus } from './corpus.mjs';

function git(cwd, args) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A repository of `pipelines` × `tasks` specs with a last commit changing one of them; returns what it changed. */
export async function createDiffRepo(dir, { seed = 1, pipelines, tasks, compile }) {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Bench']);
  git(dir, ['config', 'user.email', 'bench@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  const files = writeCorpus(dir, { seed, pipelines, tasks });
  await compile(dir);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `${pipelines} pipelines`]);
  const file = files[Math.floor(files.length / 2)];
  const text = readFileSync(join(dir, file), 'utf8');
  const name = file.replace(/^pipelines\/|\.yaml$/g, '');
  // the output of the first task that another task reads (inputs are `warehouse://<name>.<task>`)
  const read = /- warehouse:\/\/[^.\s]+\.(\S+)$/m.exec(text.slice(text.indexOf('inputs:')));
  if (!read) throw new Error(`diff-scale: no task input in ${file}`);
  const output = `warehouse://${name}.${read[1]}`;
  const edited = text
    .replace(new RegExp(`(outputs:\\n\\s*- )${output.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), `$1${output}-v2`)
    .replace(/^( *)- --date$/m, (line, indent) => `${indent}- --bench-edit\n${line}`);
  if (!edited.includes(`${output}-v2`) || !edited.includes('--bench-edit'))
    throw new Error(`diff-scale: cannot edit ${file}`);
  writeFileSync(join(dir, file), edited);
  await compile(dir);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `edit ${name}`]);
  return { dir, file, removedOutput: output };
}

/**
 * The section body: `child` runs a bench/child.mjs op, `external` a command, `rounds` interleaves probes.
 * Returns the numbers for results.json and the table rows.
 */
export async function diffScaleBench({ work, sizes, tasks, runs, seed, child, external, rounds, log }) {
  const out = { tasks, sizes: {} };
  const probes = {};
  const repos = {};
  for (const n of sizes) {
    const dir = join(work, `diff-scale-${n}x${tasks}`);
    log(`diff-scale: ${n} × ${tasks} repository, one spec changed`);
    const compileHome = join(work, 'diff-scale-compile-cache');
    const compile = async (cwd) => {
      const t = performance.now();
      await child('cli', { cwd, argv: ['compile', '--quiet'], env: { XDG_CACHE_HOME: compileHome } });
      log(`diff-scale: compiled ${n} × ${tasks} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    };
    const repo = await createDiffRepo(dir, { seed, pipelines: n, tasks, compile });
    const warmHome = mkdtempSync(join(work, `diff-scale-cache-${n}-`));
    repos[n] = { ...repo, warmHome };
    const argv = ['diff', 'HEAD~1', 'HEAD', '--format', 'json'];
    // prime the warm cache directory once, and check the report holds the lineage impact
    const primed = await child('cli', { cwd: dir, argv, env: { XDG_CACHE_HOME: warmHome }, keepOutput: true });
    const report = JSON.parse(primed.stdout);
    const impacts = report.pipelines.flatMap((p) => p.impacts);
    if (report.pipelines.length !== 1 || !impacts.some((i) => i.output === repo.removedOutput))
      throw new Error(`diff-scale: unexpected report at ${n}: ${primed.stdout.slice(0, 500)}`);
    repos[n].impacts = impacts.length;
    probes[`diff warm ${n}`] = () => child('cli', { cwd: dir, argv, env: { XDG_CACHE_HOME: warmHome } });
    probes[`diff cold ${n}`] = async () => {
      const home = mkdtempSync(join(work, `diff-scale-cold-${n}-`));
      try {
        return await child('cli', { cwd: dir, argv, env: { XDG_CACHE_HOME: home } });
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    };
    probes[`git diff ${n}`] = () => external('git', ['diff', 'HEAD~1', 'HEAD', '--', 'pipelines'], dir);
  }
  const samples = await rounds(runs, probes);
  const [, largest] = sizes;
  const noIndexHome = mkdtempSync(join(work, 'diff-scale-no-index-'));
  try {
    const r = await child('cli', {
      cwd: repos[largest].dir,
      argv: ['diff', 'HEAD~1', 'HEAD', '--format', 'json', '--no-index'],
      env: { XDG_CACHE_HOME: noIndexHome },
    });
    out.noIndexColdMs = r.ms;
    log(`diff-scale: --no-index, cold cache, at ${largest}: ${(r.ms / 1000).toFixed(2)} s`);
  } finally {
    rmSync(noIndexHome, { recursive: true, force: true });
  }
  const med = (name, key = 'ms') => {
    const list = samples[name].map((x) => x[key]).sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)];
  };
  for (const n of sizes) {
    out.sizes[n] = {
      file: repos[n].file,
      impacts: repos[n].impacts,
      warmMs: med(`diff warm ${n}`),
      warmWallMs: med(`diff warm ${n}`, 'wallMs'),
      coldMs: med(`diff cold ${n}`),
      coldWallMs: med(`diff cold ${n}`, 'wallMs'),
      gitDiffMs: med(`git diff ${n}`),
    };
  }
  const [small, large] = sizes;
  out.warmRatio = out.sizes[large].warmMs / out.sizes[small].warmMs;
  out.warmWallRatio = out.sizes[large].warmWallMs / out.sizes[small].warmWallMs;
  out.coldRatio = out.sizes[large].coldMs / out.sizes[small].coldMs;
  out.samples = samples;
  return out;
}
