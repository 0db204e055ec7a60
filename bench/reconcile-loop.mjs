#!/usr/bin/env node
/**
 * `pipewright reconcile` benchmarks (issue 14's goals; not part of `npm run bench`, it needs the engine and waits
 * for real minute boundaries). One daemon process follows a scratch repository with P scheduled pipelines:
 *   1. cycle time when nothing changed (the daemon's own lastCycle.durationMs, median of the cycles
 *      after the first good one)                                                      goal: <= 1 s at 1,000
 *   2. memory: the daemon's resident set (VmRSS) after those cycles
 *   3. delay from due time to the first container started, on an idle engine: a `* * * * *` pipeline
 *      (catchup false), container State.StartedAt minus the interval end, median over M minutes
 *                                                                                      goal: <= 1 s median
 *
 *   source scripts/engine-up.sh && npm run build
 *   node bench/reconcile-loop.mjs <scratch-dir> [pipelines=1000] [minutes=3]
 * The P pipelines are scheduled yearly from startDate 2099-01-01, so none is due (a yearly schedule alone is not:
 * catchup false still runs the latest finished interval at start-up); only `bench-every-minute` runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';

const [scratch, pipelinesArg = '1000', minutesArg = '3'] = process.argv.slice(2);
if (!scratch) {
  process.stderr.write('usage: node bench/reconcile-loop.mjs <scratch-dir> [pipelines] [minutes]\n');
  process.exit(2);
}
const P = Number(pipelinesArg);
const M = Number(minutesArg);
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli.js');
const image = 'localhost/pipewright-test:1';
const host = process.env.DOCKER_HOST ?? 'unix:///run/pipewright/podman.sock';
const docker = new Docker({ socketPath: host.replace(/^unix:\/\//, '') });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

rmSync(scratch, { recursive: true, force: true });
const repo = join(scratch, 'origin');
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
// A status request can be reset while a long first cycle (P specs verified) holds the daemon's event loop past the
// HTTP server's header timeout: that is "not known yet", asked again, not the end of the bench.
const status = async () => {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/status.json`)).json();
  } catch (error) {
    process.stderr.write(`status.json not answered (${error.cause?.code ?? error.message}); asking again\n`);
    return {};
  }
};
try {
  while (port === undefined) await sleep(100);
  // 1 + 2: cycles with nothing changed.
  let first;
  for (;;) {
    const s = await status();
    if (s.lastGood) {
      first = s.lastCycle?.at;
      break;
    }
    await sleep(500);
  }
  const durations = [];
  let lastAt = first;
  while (durations.length < 10) {
    const s = await status();
    if (s.lastCycle && s.lastCycle.at !== lastAt) {
      lastAt = s.lastCycle.at;
      durations.push(s.lastCycle.durationMs);
    }
    await sleep(200);
  }
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1]);

  // 3: due time → container started, for M minute boundaries.
  const delays = [];
  const seen = new Set();
  const until = Date.now() + (M + 1) * 60_000 + 30_000;
  while (delays.length < M && Date.now() < until) {
    const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
    for (const run of state.pipelines['bench-every-minute']?.runs ?? []) {
      // the run for the interval that ended before the daemon started is a start-up run, not a due-time one
      if (seen.has(run.runId) || run.status === 'queued' || Date.parse(run.end) <= benchStart) continue;
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
    await sleep(500);
  }
  const result = {
    pipelines: P,
    cycleMsMedian: median(durations),
    cycleMs: durations,
    goalCycleMs: 1000,
    rssMiB: Math.round((rssKiB / 1024) * 10) / 10,
    dueToStartMsMedian: median(delays),
    dueToStartMs: delays,
    goalDueToStartMs: 1000,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  daemon.kill('SIGTERM');
}
