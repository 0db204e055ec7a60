// Where a task's time goes in `pipewright run` (a diagnostic for the runtime section, not part of the table): runs the
// runtime DAG with the docker executor, sequentially, and records a timestamp for every engine request (start and
// answer, by endpoint), every fsync and rename (run state, ledger), and each scheduler transition; then prints, per
// phase, the median time per task. Usage (after `npm run build`, engine up):
//   node bench/runtime-trace.mjs [tasks=20] [--events]   (DOCKER_HOST from scripts/engine-up.sh)
import fs, { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeSpec, specText } from './corpus.mjs';

const tasks = Number(process.argv[2] ?? 20);
const printEvents = process.argv.includes('--events');
const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const t0 = performance.now();
const events = [];
const mark = (what, detail = '') => events.push({ at: performance.now() - t0, what, detail });

// fsync/rename: synchronous, so their time is the event loop's time
for (const name of ['fsyncSync', 'renameSync']) {
  const original = fs[name];
  fs[name] = (...args) => {
    const start = performance.now();
    try {
      return original(...args);
    } finally {
      events.push({ at: start - t0, what: name, ms: performance.now() - start });
    }
  };
}
syncBuiltinESMExports();

const { dockerFromHost, DockerExecutor } = await dist('runtime/docker-executor.js');
const { compileSpec } = await dist('emit/compile.js');
const { planFromComposeText } = await dist('runtime/plan.js');
const { executeRun } = await dist('runtime/run.js');

const host = process.env.DOCKER_HOST ?? 'unix:///run/pipewright/podman.sock';
const { docker, endpoint } = dockerFromHost(host);
// every engine request: when it was sent, when its answer (headers) came
const dial = docker.modem.dial.bind(docker.modem);
docker.modem.dial = (options, callback) => {
  const what = `${options.method} ${options.path.replace(/\/containers\/[0-9a-f]{64}|\/containers\/pw-[^/?]+/, '/containers/{id}').replace(/\?.*/, '')}`;
  const start = performance.now();
  return dial(options, (err, data) => {
    events.push({ at: start - t0, what, ms: performance.now() - start });
    callback(err, data);
  });
};

const dir = mkdtempSync(join(tmpdir(), 'pw-trace-'));
try {
  const name = 'bench-runtime';
  const unit = compileSpec(`pipelines/${name}.yaml`, specText(runtimeSpec(tasks, 'localhost/pipewright-test:1')), {
    targets: ['compose'],
    outDir: 'generated',
  });
  const compose = unit.outputs.find((o) => o.path === `compose/${name}.compose.yaml`).text;
  const plan = planFromComposeText(compose, `generated/compose/${name}.compose.yaml`);
  mkdirSync(join(dir, '.pipewright'), { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), compose);
  const executor = new DockerExecutor({ docker, endpoint, pull: false, keepFailed: false });
  await executor.preflight(plan.tasks);
  const start = performance.now();
  mark('run start');
  const state = await executeRun({
    plan,
    artifact: 'compose.yaml',
    logicalDate: '2024-01-01',
    params: {},
    executor,
    secrets: new Map(),
    runsDir: join(dir, '.pipewright', 'runs'),
    ledgerFile: join(dir, '.pipewright', 'ledger.jsonl'),
    cwd: dir,
    env: {},
    concurrency: 1,
    reporter: { log: (t, s, l) => mark('output', `${t} ${s} ${l}`), note: (t, m) => mark('note', `${t} ${m}`) },
    commit: null,
    observer: {
      taskStarted: (t) => mark('taskStarted', t),
      taskFinished: (t) => mark('taskFinished', t),
    },
  });
  const totalMs = performance.now() - start;
  mark('run end', state.status);
  if (printEvents)
    for (const e of events.sort((a, b) => a.at - b.at))
      console.log(
        `${e.at.toFixed(1).padStart(9)} ${e.ms !== undefined ? `${e.ms.toFixed(1).padStart(7)} ms` : '          '} ${e.what} ${e.detail ?? ''}`,
      );

  // per task: from its `attempt … started` note to the next task's (sequential run); engine calls and syncs summed
  const starts = events.filter((e) => e.what === 'note' && / attempt 1\/\d+ started$/.test(e.detail));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const per = new Map();
  starts.forEach((s, i) => {
    const end = starts[i + 1]?.at ?? events.find((e) => e.what === 'run end').at;
    const inTask = events.filter((e) => e.at >= s.at && e.at < end && e.ms !== undefined);
    const add = (k, v) => per.set(k, [...(per.get(k) ?? []), v]);
    add('task (start note → next start note)', end - s.at);
    const byWhat = new Map();
    for (const e of inTask) byWhat.set(e.what, (byWhat.get(e.what) ?? 0) + e.ms);
    for (const [k, v] of byWhat) add(k, v);
    const count = (w) => inTask.filter((e) => e.what === w).length;
    add('fsync count', count('fsyncSync'));
    const wait = inTask.find((e) => e.what === 'POST /containers/{id}/wait');
    const attach = inTask.find((e) => e.what === 'POST /containers/{id}/attach');
    const finished = events.find((e) => e.what === 'taskFinished' && e.at >= s.at && e.at < end);
    if (wait) add('wait answered → taskFinished hook', finished ? finished.at - (wait.at + wait.ms) : 0);
    if (attach && finished) add('attach sent → taskFinished hook', finished.at - attach.at);
  });
  console.log(
    `${state.status}: ${tasks} tasks sequentially in ${totalMs.toFixed(0)} ms (${(totalMs / tasks).toFixed(0)} ms a task)`,
  );
  console.log('median per task:');
  for (const [k, v] of per) console.log(`  ${median(v).toFixed(1).padStart(8)}  ${k}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
