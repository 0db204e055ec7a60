#!/usr/bin/env node
/**
 * `pipewright reconcile` benchmarks (issue 14's goals). One daemon process follows a scratch repository with P
 * scheduled pipelines:
 *   1. cycle time when nothing changed (the daemon's own lastCycle.durationMs, median of the 10 cycles after the
 *      first good one)                                                                goal: <= 1 s at 1,000
 *   2. memory: the daemon's resident set (VmRSS) after those cycles, and its peak (VmHWM)
 *   3. delay from due time to the first container started, on an idle engine: a `* * * * *` pipeline
 *      (catchup false), container State.StartedAt minus the interval end, median over M minutes
 *                                                                                      goal: <= 1 s median
 *      next to its floor: raw dockerode create + start of the same image and command, request → StartedAt
 *   4. HTTP: /healthz asked every 100 ms for the whole bench (start-up and first verification included); every
 *      request must be answered
 *
 *   source scripts/engine-up.sh && npm run build
 *   node bench/reconcile-loop.mjs <scratch-dir> [pipelines=1000] [minutes=3]
 * or as the `reconcile` section of `npm run bench` (skipped when the engine does not answer).
 * The P pipelines are scheduled yearly from startDate 2099-01-01, so none is due (a yearly schedule alone is not:
 * catchup false still runs the latest finished interval at start-up); only `bench-every-minute` runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';

const image = 'localhost/pipewright-test:1';
const DEFAULT_SOCKET = '/run/pipewright/podman.sock';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function engine() {
  const host = process.env.DOCKER_HOST ?? (existsSync(DEFAULT_SOCKET) ? `unix://${DEFAULT_SOCKET}` : undefined);
  return host ? { host, docker: new Docker({ socketPath: host.replace(/^unix:\/\//, '') }) } : undefined;
}

/** Why the bench cannot run here (no engine, no test image), or undefined. */
export async function reconcileLoopUnavailable() {
  const e = engine();
  if (!e) return 'no Docker engine: DOCKER_HOST unset and no /run/pipewright/podman.sock (run scripts/engine-up.sh)';
  try {
    await e.docker.ping();
  } catch (error) {
    return `engine at ${e.host} not reachable: ${error.message}`;
  }
  try {
    await e.docker.getImage(image).inspect();
  } catch {
    return `test image ${image} missing on ${e.host} (run scripts/build-test-image.sh)`;
  }
  return undefined;
}

function makeRepo(repo, P, cli) {
  mkdirSync(join(repo, 'pipelines'), { recursive: true });
  const git = (...args) =>
    execFileSync('git', args, {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@b.invalid',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@b.invalid',
      },
    });
  git('init', '-q', '-b', 'main');
  const spec = (name, schedule, command = 'echo "$PIPEWRIGHT_TS"', startDate) => `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: ${name}
  version: 1.0.0
  owner: bench
spec:
  schedule: "${schedule}"
  catchup: false${startDate ? `\n  startDate: "${startDate}"` : ''}
  defaults: { image: "${image}" }
  tasks:
    main: { command: [sh, -c, '${command}'] }
`;
  for (let i = 0; i < P; i++)
    writeFileSync(
      join(repo, 'pipelines', `bench-p${String(i).padStart(5, '0')}.yaml`),
      spec(`bench-p${i}`, '0 0 1 1 *', undefined, '2099-01-01'),
    );
  writeFileSync(
    join(repo, 'pipelines', 'bench-every-minute.yaml'),
    spec('bench-every-minute', '* * * * *', 'sleep 5') /* lives long enough to be inspected */,
  );
  execFileSync(process.execPath, [cli, 'compile', '--quiet'], { cwd: repo, stdio: 'ignore' });
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
}

/** The floor of "container started": raw dockerode create + start of the same image and command. */
async function rawStartMs(docker, samples) {
  const out = [];
  for (let i = 0; i < samples; i++) {
    const t = Date.now();
    const c = await docker.createContainer({
      Image: image,
      Cmd: ['sh', '-c', 'sleep 5'],
      name: `pipewright-bench-raw-${process.pid}-${i}`,
      Labels: { 'pipewright.dev/bench': 'reconcile-loop' },
    });
    try {
      await c.start();
      const info = await c.inspect();
      out.push(Date.parse(info.State.StartedAt) - t);
    } finally {
      await c.remove({ force: true });
    }
  }
  return out;
}

/** Runs the bench; returns its result object. */
export async function reconcileLoopBench({
  scratch,
  pipelines: P = 1000,
  minutes: M = 3,
  dist = resolve(import.meta.dirname, '..', 'dist'),
  log = (m) => process.stderr.write(`${m}\n`),
}) {
  const { docker } = engine();
  const cli = join(dist, 'cli.js');
  rmSync(scratch, { recursive: true, force: true });
  const repo = join(scratch, 'origin');
  log(`reconcile: scratch repository with ${P} + 1 pipelines`);
  makeRepo(repo, P, cli);

  const stateDir = join(scratch, 'state');
  const benchStart = Date.now();
  const daemon = spawn(
    process.execPath,
    [
      cli,
      'reconcile',
      '--repo',
      repo,
      '--ref',
      'main',
      '--interval',
      '2s',
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      stateDir,
      '--log-format',
      'json',
    ],
    { cwd: scratch, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let port;
  daemon.stderr.setEncoding('utf8');
  daemon.stderr.on('data', (chunk) => {
    for (const line of chunk.split('\n')) {
      try {
        const e = JSON.parse(line);
        if (typeof e.listen === 'string') port = Number(e.listen.split(':').at(-1));
      } catch {}
    }
  });
  const daemonLog = createWriteStream(join(scratch, 'daemon.log'));
  daemon.stderr.on('data', (chunk) => daemonLog.write(chunk));
  const status = async () => (await fetch(`http://127.0.0.1:${port}/status.json`)).json();
  // /healthz every 100 ms for the whole bench: every request must be answered (no reset, no timeout)
  const health = { asked: 0, answered: 0, failures: [], slowestMs: 0 };
  let probing = true;
  const prober = (async () => {
    while (port === undefined) await sleep(20);
    while (probing) {
      const t = performance.now();
      health.asked++;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(10_000) });
        await res.text();
        if (res.status === 200) health.answered++;
        else health.failures.push(`status ${res.status}`);
      } catch (error) {
        if (!probing) break;
        health.failures.push(error.cause?.code ?? error.name ?? String(error));
      }
      health.slowestMs = Math.max(health.slowestMs, performance.now() - t);
      await sleep(100);
    }
  })();
  // 3 (from the start, so that no run's container is gone before it is looked at): due time → container started.
  // A run whose interval ended before the daemon served its commit is a start-up run, not a due one.
  let servedAt;
  const delays = [];
  let watching = true;
  const watcher = (async () => {
    const seen = new Set();
    while (watching) {
      await sleep(250);
      if (servedAt === undefined || !existsSync(join(stateDir, 'state.json'))) continue;
      let state;
      try {
        state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
      } catch {
        continue; // renamed into place while read
      }
      for (const run of state.pipelines['bench-every-minute']?.runs ?? []) {
        if (seen.has(run.runId) || run.status === 'queued' || Date.parse(run.end) <= servedAt) continue;
        const [c] = await docker.listContainers({
          all: true,
          filters: { label: [`pipewright.dev/run-id=${run.runId}`] },
        });
        const info = c ? await docker.getContainer(c.Id).inspect() : undefined;
        // podman reports a created-but-not-started container with StartedAt 0001-01-01: not started yet
        if (!info?.State?.StartedAt || Date.parse(info.State.StartedAt) <= 0) continue;
        seen.add(run.runId);
        delays.push(Date.parse(info.State.StartedAt) - Date.parse(run.end));
      }
    }
  })();
  try {
    while (port === undefined) await sleep(100);
    // 1 + 2: cycles with nothing changed, after the first cycle that served the commit.
    let first;
    for (;;) {
      const s = await status();
      if (s.lastGood && s.lastCycle?.commit) {
        first = s.lastCycle;
        break;
      }
      await sleep(200);
    }
    servedAt = Date.parse(first.at) + first.durationMs;
    const serveMs = servedAt - benchStart;
    log(`reconcile: serving after ${serveMs} ms; measuring 10 no-change cycles`);
    const durations = [];
    let lastAt = first.at;
    while (durations.length < 10) {
      const s = await status();
      if (s.lastCycle && s.lastCycle.at !== lastAt) {
        lastAt = s.lastCycle.at;
        durations.push(s.lastCycle.durationMs);
      }
      await sleep(200);
    }
    const procStatus = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(procStatus)?.[1]);
    const hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(procStatus)?.[1]);

    log(`reconcile: due time → container started over ${M} minute boundaries`);
    const until = Date.now() + (M + 1) * 60_000 + 30_000;
    while (delays.length < M && Date.now() < until) await sleep(500);
    watching = false;
    await watcher;
    probing = false;
    await prober;
    const finalStatus = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
    // the floor, with the daemon idle between its minute runs (the every-minute run sleeps 5 s)
    log('reconcile: raw dockerode create + start (the floor)');
    const raw = await rawStartMs(docker, Math.max(3, M));
    const dueToStart = median(delays);
    const rawMedian = median(raw);
    return {
      pipelines: P,
      serveMs,
      firstCycleMs: first.durationMs,
      cycleMsMedian: median(durations),
      cycleMs: durations,
      goalCycleMs: 1000,
      rssMiB: Math.round((rssKiB / 1024) * 10) / 10,
      peakRssMiB: Math.round((hwmKiB / 1024) * 10) / 10,
      rssMiBAtEnd: Math.round((Number(/VmRSS:\s+(\d+)/.exec(finalStatus)?.[1]) / 1024) * 10) / 10,
      dueToStartMsMedian: dueToStart,
      dueToStartMs: delays,
      goalDueToStartMs: 1000,
      rawCreateStartMsMedian: rawMedian,
      rawCreateStartMs: raw,
      dueToStartOverRaw: dueToStart / rawMedian,
      healthz: health,
      loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    };
  } finally {
    probing = false;
    watching = false;
    daemon.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [scratch, pipelinesArg = '1000', minutesArg = '3'] = process.argv.slice(2);
  if (!scratch) {
    process.stderr.write('usage: node bench/reconcile-loop.mjs <scratch-dir> [pipelines] [minutes]\n');
    process.exit(2);
  }
  const reason = await reconcileLoopUnavailable();
  if (reason) {
    process.stderr.write(`reconcile-loop: cannot run: ${reason}\n`);
    process.exit(1);
  }
  const result = await reconcileLoopBench({
    scratch: resolve(scratch),
    pipelines: Number(pipelinesArg),
    minutes: Number(minutesArg),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
