// One measurement in a fresh Node process: `node bench/child.mjs <op> '<json options>'`. Prints one JSON line:
// { ms, maxRssKB, ...details }. A fresh process per run gives every run the same cold heap and an honest peak RSS
// (process.resourceUsage().maxRSS covers the whole life of the process: imports, corpus, work).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';

// PIPEWRIGHT_BENCH_DIST (set by run.mjs --dist) measures another build, e.g. of a committed snapshot.
const DIST = process.env.PIPEWRIGHT_BENCH_DIST
  ? new URL(`file://${resolve(process.env.PIPEWRIGHT_BENCH_DIST)}/`)
  : new URL('../dist/', import.meta.url);
const dist = (path) => import(new URL(path, DIST).href);

function specFiles(dir) {
  return readdirSync(join(dir, 'pipelines'))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, 'pipelines', f));
}

function captureIo(cwd) {
  const out = [];
  const err = [];
  return {
    io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd, env: { NO_COLOR: '1' }, isTTY: false },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

const ops = {
  /**
   * The floor: `yaml` parse of every input + `yaml` stringify of every object compile emits. The emitted objects are
   * produced with our own stages per spec, outside the timed sections (they are the input of the floor, not part of it).
   */
  async baseline({ dir, outDir = 'generated' }) {
    const { loadSpec } = await dist('spec/load.js');
    const { validateSpecs } = await dist('spec/validate.js');
    const { normalizePipeline } = await dist('model/normalize.js');
    const { TARGET_DEFINITIONS } = await dist('targets/index.js');
    const targets = ['compose', 'k8s', 'gitlab'];
    let ms = 0;
    let documents = 0;
    const irs = [];
    for (const file of specFiles(dir)) {
      let t = performance.now();
      const source = readFileSync(file, 'utf8');
      parse(source);
      ms += performance.now() - t;
      // untimed: the objects compile would emit for this spec
      const doc = loadSpec(file, source);
      const checked = validateSpecs([doc]).checked[0];
      if (!checked) throw new Error(`baseline: ${file} is not a valid spec`);
      const ir = normalizePipeline(checked.spec, file);
      irs.push(ir);
      const emitted = targets.flatMap((target) => TARGET_DEFINITIONS[target].emit(ir).files);
      t = performance.now();
      for (const f of emitted) for (const d of f.documents) stringify(d);
      ms += performance.now() - t;
      documents += emitted.reduce((n, f) => n + f.documents.length, 0);
    }
    const project = targets.flatMap((target) => TARGET_DEFINITIONS[target].emitProject?.(irs, { outDir }) ?? []);
    const t = performance.now();
    for (const f of project) for (const d of f.documents) stringify(d);
    ms += performance.now() - t;
    return { ms, specs: irs.length, documents };
  },

  /** `pipewright compile` in-process (the real command: discover, read, compile, write, manifest). */
  async compile({ dir, out = 'generated' }) {
    const { runCli } = await dist('cli/main.js');
    const cap = captureIo(dir);
    // As for a user: the persistent cache's machine-local key lives in a cache home (a bench-private one; without
    // one there is no key and no cache, and a "warm" compile would compile everything again).
    if (process.env.PIPEWRIGHT_BENCH_CACHE_HOME) cap.io.env.XDG_CACHE_HOME = process.env.PIPEWRIGHT_BENCH_CACHE_HOME;
    const t = performance.now();
    const code = await runCli(['compile', 'pipelines', '--out', out, '--format', 'json'], cap.io);
    const ms = performance.now() - t;
    if (code !== 0) throw new Error(`compile exited ${code}: ${cap.stderr().slice(0, 2000)}`);
    const report = JSON.parse(cap.stdout());
    return {
      ms,
      pipelines: report.pipelines.length,
      written: report.written.length,
      unchanged: report.unchanged.length,
      errors: report.diagnostics.filter((d) => d.severity === 'error').length,
    };
  },

  /** Schema + rules over already-loaded documents, the ajv validator compiled once before timing. */
  async validate({ dir }) {
    const { loadSpec } = await dist('spec/load.js');
    const { validateSpecs } = await dist('spec/validate.js');
    const { pipelineValidator } = await dist('spec/schema.js');
    const sources = specFiles(dir).map((file) => [file, readFileSync(file, 'utf8')]);
    pipelineValidator(); // compiles (and caches) the ajv validator
    let t = performance.now();
    const docs = sources.map(([file, source]) => loadSpec(file, source));
    const loadMs = performance.now() - t;
    t = performance.now();
    const result = validateSpecs(docs);
    const ms = performance.now() - t;
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    if (errors > 0) throw new Error(`validate: ${errors} errors in the corpus`);
    return { ms, loadMs, specs: docs.length, specsPerSec: docs.length / (ms / 1000) };
  },

  /**
   * The floor of a semantic changelog: read every spec blob the first-parent walk must look at (the root's specs and
   * each commit's changed ones, one `git cat-file --batch`) and `yaml` parse each once. No diffing, no output.
   */
  async 'history-floor'({ cwd, root }) {
    const t = performance.now();
    const git = (args, input) => {
      const r = spawnSync('git', args, { cwd, input, maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const blobs = new Set();
    for (const line of git(['ls-tree', '-r', root, '--', 'pipelines']).toString().split('\n')) {
      const m = /^\d+ blob ([0-9a-f]{40})\t/.exec(line);
      if (m) blobs.add(m[1]);
    }
    const raw = git(['log', '--first-parent', '--format=', '--raw', '--no-abbrev', `${root}..HEAD`, '--', 'pipelines']);
    for (const line of raw.toString().split('\n')) {
      const m = /^:\d+ \d+ [0-9a-f]{40} ([0-9a-f]{40}) /.exec(line);
      if (m && !/^0+$/.test(m[1])) blobs.add(m[1]);
    }
    const out = git(['cat-file', '--batch'], `${[...blobs].join('\n')}\n`);
    let offset = 0;
    let parsed = 0;
    while (offset < out.length) {
      const nl = out.indexOf(10, offset);
      const size = Number(out.subarray(offset, nl).toString().split(' ')[2]);
      parse(out.subarray(nl + 1, nl + 1 + size).toString('utf8'));
      parsed++;
      offset = nl + 1 + size + 1;
    }
    return { ms: performance.now() - t, blobs: parsed };
  },

  /** Any CLI command in-process (history: changelog, diff). */
  async cli({ cwd, argv, env, keepOutput = false }) {
    const { runCli } = await dist('cli/main.js');
    const cap = captureIo(cwd);
    // env: e.g. XDG_CACHE_HOME, where the history commands keep their blob cache (none without it)
    if (env) Object.assign(cap.io.env, env);
    const t = performance.now();
    const code = await runCli(argv, cap.io);
    const ms = performance.now() - t;
    if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${cap.stderr().slice(0, 2000)}`);
    return { ms, outputBytes: Buffer.byteLength(cap.stdout()), ...(keepOutput ? { stdout: cap.stdout() } : {}) };
  },

  /**
   * One-spec edits through the watch path: startWatch over the corpus (initial full build), then `edits` times:
   * rewrite one spec with a changed command word and time until the session reports the rebuild (after its outputs
   * are written). Debounce included: that is what a user waits for.
   */
  async watch({ dir, out = 'generated', edits = 5, debounceMs, pauseMs = 150, pacedEdits = 0, pacedPauseMs = 1000 }) {
    // the programmatic watch API (src/watch/watch.ts): the same engine and session as `pipewright watch`
    const { startWatch } = await dist('watch/watch.js');
    let t = performance.now();
    const session = startWatch({ cwd: dir, out, ...(debounceMs !== undefined ? { debounceMs } : {}) });
    const initial = await session.ready;
    const initialMs = performance.now() - t;
    const files = specFiles(dir);
    const samples = [];
    const sessionMs = [];
    // `edits` edits, each restored and settled `pauseMs` later; then `pacedEdits` more with `pacedPauseMs` between
    // them (a person saving: the watcher has been quiet for a while when the save arrives)
    const paced = [];
    const pacedSessionMs = [];
    try {
      for (let i = 0; i < edits + pacedEdits; i++) {
        const isPaced = i >= edits;
        if (isPaced) await new Promise((r) => setTimeout(r, pacedPauseMs));
        const file = files[Math.floor(((i + 0.5) * files.length) / (edits + pacedEdits))];
        const source = readFileSync(file, 'utf8');
        // a new first command word in one task: a real change, same layout
        const edited = source.replace(/^( *)- --date$/m, (line, indent) => `${indent}- --bench-edit-${i}\n${line}`);
        if (edited === source) throw new Error(`watch: cannot edit ${file}`);
        const rebuilt = new Promise((done, fail) => {
          const onError = (error) => {
            session.off('rebuild', onRebuild);
            fail(error);
          };
          const onRebuild = (event) => {
            session.off('rebuild', onRebuild).off('error', onError);
            done(event);
          };
          session.on('rebuild', onRebuild).on('error', onError);
        });
        t = performance.now();
        await writeFile(file, edited);
        const event = await rebuilt;
        (isPaced ? paced : samples).push(performance.now() - t);
        (isPaced ? pacedSessionMs : sessionMs).push(event.ms);
        if (event.written.length === 0 || event.failing.length > 0)
          throw new Error(`watch: edit ${i} wrote ${event.written.length} files, ${event.failing.length} failing`);
        await writeFile(file, source); // restore, and let that rebuild settle before the next edit
        await new Promise((r) => setTimeout(r, pauseMs));
        await session.idle();
      }
    } finally {
      await session.close();
    }
    samples.sort((a, b) => a - b);
    paced.sort((a, b) => a - b);
    return {
      ms: samples[Math.floor(samples.length / 2)],
      samples,
      sessionMs,
      ...(pacedEdits > 0 ? { pacedMs: paced[Math.floor(paced.length / 2)], paced, pacedSessionMs, pacedPauseMs } : {}),
      backend: session.backend,
      initialMs,
      initialWritten: initial.written.length,
    };
  },
};

/** The plan's containers one after the other: create, `run(container)` → exit code, remove; timed from the first create. */
async function rawSequential(host, composeFile, prefix, run) {
  const { readComposePlan } = await dist('runtime/plan.js');
  const { docker: d } = await docker(host);
  const plan = readComposePlan(composeFile);
  const suffix = `${process.pid}-${Date.now()}`;
  const t = performance.now();
  for (const task of plan.tasks) {
    const container = await d.createContainer({
      name: `pw-bench-${prefix}-${task.id}-${suffix}`,
      Image: task.image,
      Cmd: task.command,
      Tty: false,
      HostConfig: {},
    });
    const code = await run(container);
    if (code !== 0) throw new Error(`${prefix}: ${task.id} exited ${code}`);
    await container.remove();
  }
  return { ms: performance.now() - t, tasks: plan.tasks.length };
}

async function docker(host) {
  const { dockerFromHost } = await dist('runtime/docker-executor.js');
  return dockerFromHost(host);
}

Object.assign(ops, {
  async 'engine-probe'({ host, image }) {
    const { docker: d } = await docker(host);
    await d.ping();
    const present = await d
      .getImage(image)
      .inspect()
      .then(() => true)
      .catch(() => false);
    return { ms: 0, image: present };
  },

  /** The peer: the plan's containers one after the other with plain dockerode calls (create, wait, start, remove). */
  async 'raw-docker'({ host, composeFile }) {
    return rawSequential(host, composeFile, 'raw', async (container) => {
      const waited = container.wait({ condition: 'next-exit' });
      await container.start();
      return (await waited).StatusCode;
    });
  },

  /**
   * A second peer: the same containers with plain dockerode calls using the technique the docker executor uses —
   * output attached before the start (and read to its end), the exit code asked for by inspect as soon as the output
   * ended (10, 20, 40 ms … apart), `wait` attached as well; then remove. What pipewright adds to it is its own cost.
   */
  async 'raw-attach'({ host, composeFile }) {
    return rawSequential(host, composeFile, 'rawa', async (container) => {
      const waited = container.wait({ condition: 'next-exit' }).then((r) => r.StatusCode);
      const stream = await container.attach({ _query: { stream: true, stdout: true, stderr: true }, _body: {} });
      const ended = new Promise((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', resolve);
      });
      stream.resume();
      await container.start();
      await ended;
      const inspected = (async () => {
        for (let delay = 10; ; delay = Math.min(delay * 2, 1000)) {
          const info = await container.inspect();
          if (['exited', 'stopped', 'dead'].includes(info.State.Status)) return info.State.ExitCode;
          await new Promise((r) => setTimeout(r, delay));
        }
      })();
      return Promise.race([waited, inspected]);
    });
  },

  /** executeRun with the docker executor: state, ledger, scheduler, logs, cleanup — what `pipewright run` does. */
  async run({ host, composeFile, dir, concurrency }) {
    const { readComposePlan } = await dist('runtime/plan.js');
    const { DockerExecutor } = await dist('runtime/docker-executor.js');
    const { executeRun } = await dist('runtime/run.js');
    const { docker: d, endpoint } = await docker(host);
    const plan = readComposePlan(composeFile);
    const executor = new DockerExecutor({ docker: d, endpoint, pull: false, keepFailed: false });
    const runsDir = join(dir, '.pipewright', 'runs');
    const t = performance.now();
    await executor.preflight(plan.tasks);
    const state = await executeRun({
      plan,
      artifact: composeFile,
      logicalDate: '2024-01-01',
      params: {},
      executor,
      secrets: new Map(),
      runsDir,
      ledgerFile: join(dir, '.pipewright', 'ledger.jsonl'),
      cwd: dir,
      env: {},
      concurrency,
      reporter: { log() {}, note() {} },
      commit: null,
    });
    const ms = performance.now() - t;
    const bad = Object.entries(state.tasks).filter(([, s]) => s.status !== 'succeeded');
    if (state.status !== 'succeeded' || bad.length > 0)
      throw new Error(`run: ${state.status}; ${bad.map(([id, s]) => `${id}=${s.status}`).join(', ')}`);
    return { ms, tasks: Object.keys(state.tasks).length };
  },
});

const [op, json] = process.argv.slice(2);
if (!Object.hasOwn(ops, op)) {
  process.stderr.write(`bench/child.mjs: unknown op ${op}\n`);
  process.exit(2);
}
const result = await ops[op](JSON.parse(json ?? '{}'));
const usage = process.resourceUsage();
// cpuMs: user + system time of every thread of the process (worker threads included)
const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
process.stdout.write(`${JSON.stringify({ ...result, maxRssKB: usage.maxRSS, cpuMs })}\n`);
process.exit(0);
