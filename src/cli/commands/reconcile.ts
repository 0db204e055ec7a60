import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { ReconcileSettings } from '../../config/types.js';
import { UserError } from '../../diagnostics/diagnostic.js';
import { printable } from '../../history/revs.js';
import { Daemon, lockStateDir, type TargetName } from '../../loop/daemon.js';
import { checkFollowRef, checkSource, Follower, resolveSource } from '../../loop/follow.js';
import { ListenError, parseListen, startHttp } from '../../loop/http.js';
import { KubernetesTarget } from '../../loop/kubernetes-target.js';
import { createLogger } from '../../loop/log.js';
import { loadDaemonState, StateFileError } from '../../loop/state.js';
import { parseDuration } from '../../model/duration.js';
import { environmentNames, unknownEnvironmentMessage } from '../../model/environments.js';
import { LineageConfigError, resolveLineageConfig } from '../../observe/lineage/config.js';
import { createTransport, type Transport } from '../../observe/lineage/transport.js';
import { PipewrightMetrics } from '../../observe/metrics.js';
import { DockerExecutor, dockerFromHost, EngineError } from '../../runtime/docker-executor.js';
import { LockHeldError } from '../../runtime/lock-file.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type CliIO, type Command, userPath } from '../io.js';
import { VERSION } from '../main.js';

const HELP = `Usage: pipewright reconcile [--repo PATH|URL] [--ref REF] [--interval 1m] [--target docker|kubernetes]
                             [--env NAME] [--namespace N] [--context C]
                             [--listen 127.0.0.1:9464] [--state-dir .pipewright/reconcile] [--grace 30s]
                             [--log-format text|json] [--max-catchup N] [--concurrency N] [--pull] [--once]

A long-running GitOps loop. Every --interval: fetch --ref from --repo (a local repository or a remote URL) into a
private mirror, check the commit out into a private work tree, and verify it: its specs must be valid and its
generated/ exactly what \`pipewright compile\` writes. A bad commit (or a ref that does not exist, an unreachable
remote) is reported and the last good commit stays in service. Then the target is reconciled:

  docker   a scheduler over generated/compose/*: for each enabled pipeline with a schedule, a run (the same
           runtime as \`pipewright run --executor docker\`) per due data interval. Logical date = start of the
           interval ({{ ds }} is its date in the pipeline's time zone, {{ ts }} the instant); after downtime
           catchup: true runs every missed interval since startDate, oldest first (at most --max-catchup per cycle),
           catchup: false only the latest; at most spec.concurrency active runs; nothing after endDate; enabled:
           false never starts; an SLA miss (not succeeded by the scheduled time + sla) is logged, counted and shown.
           Pipelines removed from the branch are unscheduled and the leftover containers of their runs removed.
  kubernetes  every cycle, the plan + apply of \`pipewright apply --target kubernetes\` over generated/k8s of
           the commit in service (KUBECONFIG; --namespace/--context): changed objects are updated, objects of
           removed pipelines pruned, nothing changed means zero writes. A refused plan (conflict, foreign object,
           pruning everything) or a failed apply fails the cycle (stage plan/apply in /status.json and the
           metrics); the next cycle tries again. Plan counts are under \`kubernetes\` in /status.json.

--env NAME serves one environment of pipewright.yaml (docs/environments.md): the scheduler runs
generated/<env>/compose/*, the kubernetes target applies generated/<env>/k8s into the environment's namespace
(as apply --env: another --namespace fails the cycle). A commit whose pipewright.yaml declares environments needs --env; a commit that does not
declare NAME is refused like a stale one (the last good commit stays in service).

State lives under --state-dir (mirror, work trees, state.json, runs/, ledger.jsonl): kill -9 and a restart neither
lose nor repeat a run (recorded before started; interrupted runs are resumed and their containers adopted).
SIGTERM/SIGINT: stop scheduling, let running tasks finish for up to --grace, exit 0; what is still running then
is adopted by the next start.

HTTP on --listen (loopback by default): /healthz, /readyz (200 when the last cycle succeeded), /metrics
(Prometheus), /status.json and a read-only status page at /.
OpenLineage events of every run it starts go where \`pipewright run\` sends them: the \`lineage\` section of
pipewright.yaml or the OPENLINEAGE_* environment variables (docs/observability.md); a failing endpoint never
blocks a run.
repo, ref, interval, target, env, namespace, context, listen, state-dir, grace, log-format and max-catchup may also be set in
pipewright.yaml under \`reconcile:\` (docs/config.md, docs/reconcile.md); flags win.

Options:
  --repo <p|url>        repository to follow (default: the project directory)
  --ref <ref>           branch, tag or full commit id to follow (default main)
  --interval <d>        time between git fetches, e.g. 30s, 5m (default 1m)
  --target <t>          docker (default) or kubernetes (alias k8s)
  --env <name>          environment of pipewright.yaml to serve (generated/<env>/…)
  --namespace <n>       kubernetes: namespace to reconcile (default: the context's namespace, else default)
  --context <c>         kubernetes: kubeconfig context (default: its current-context)
  --listen <h:p>        HTTP address (default 127.0.0.1:9464; port 0 picks a free one)
  --state-dir <dir>     where the daemon keeps its state (default .pipewright/reconcile)
  --grace <d>           how long SIGTERM waits for running tasks (default 30s)
  --log-format <f>      text (default, human lines) or json (one JSON object per line, pino)
  --max-catchup <n>     catch-up runs recorded per pipeline and cycle (default 100)
  --concurrency <n>     tasks running at once inside one run (default 4)
  --pull                pull missing images (default: a missing image is reported, its runs wait)
  --once                run one cycle, wait for the runs it started, exit (0 cycle ok, 1 failed)

Exit codes: 0 stopped by SIGTERM/SIGINT (or --once succeeded), 1 --once cycle failed or the daemon could not start
(state directory locked by another daemon, address in use, unreadable state file), 2 usage error.
`;

function duration(text: string, flag: string): number {
  const seconds = /^\d+ms$/.test(text) ? Number(text.slice(0, -2)) / 1000 : parseDuration(text);
  if (seconds === undefined || seconds <= 0)
    throw new UserError(`${flag} must be a duration such as 30s, 5m, 1h (got '${text}')`, 2);
  return seconds;
}

function count(text: string, flag: string, max: number): number {
  if (!/^[1-9]\d*$/.test(text) || Number(text) > max)
    throw new UserError(`${flag} must be a whole number from 1 to ${max} (got '${text}')`, 2);
  return Number(text);
}

export const command: Command = {
  summary:
    'follow a git branch and keep the world equal to it: docker scheduler or kubernetes plan + apply, HTTP status',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        repo: { type: 'string' },
        ref: { type: 'string' },
        interval: { type: 'string' },
        target: { type: 'string' },
        env: { type: 'string' },
        namespace: { type: 'string' },
        context: { type: 'string' },
        listen: { type: 'string' },
        'state-dir': { type: 'string' },
        grace: { type: 'string' },
        'log-format': { type: 'string' },
        'max-catchup': { type: 'string' },
        concurrency: { type: 'string' },
        pull: { type: 'boolean' },
        once: { type: 'boolean' },
      },
      'reconcile',
    );
    if (positionals.length > 0) throw new UserError(`reconcile takes no arguments (got ${positionals.join(' ')})`, 2);
    const settings: ReconcileSettings = io.project?.config?.reconcile ?? {};
    const repoText = values.repo === undefined ? (settings.repo ?? '.') : userPath(io, values.repo);
    const sourceProblem = checkSource(repoText);
    if (sourceProblem) throw new UserError(`--repo: ${sourceProblem}`, 2);
    const source = resolveSource(repoText, io.cwd);
    const ref = values.ref ?? settings.ref ?? 'main';
    const refProblem = checkFollowRef(ref);
    if (refProblem) throw new UserError(`--ref: ${refProblem}`, 2);
    const intervalSeconds = duration(values.interval ?? settings.interval ?? '1m', '--interval');
    const graceSeconds = duration(values.grace ?? settings.grace ?? '30s', '--grace');
    const targetText = oneOf(
      values.target ?? settings.target,
      ['docker', 'kubernetes', 'k8s'] as const,
      '--target',
      'docker',
    );
    const target: TargetName = targetText === 'k8s' ? 'kubernetes' : targetText;
    const environment = values.env ?? settings.env;
    if (environment !== undefined) {
      if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(environment) || environment.length > 30)
        throw new UserError(
          `--env: '${printable(environment)}' is not an environment name (lowercase letters, digits and '-', at most 30)`,
          2,
        );
      // Following this project itself: its pipewright.yaml is the one to check the name against, now.
      const own = io.project?.config;
      if (io.project && resolve(io.project.root) === source && !environmentNames(own).includes(environment))
        throw new UserError(`--env: ${unknownEnvironmentMessage(environment, own)}`, 2);
    }
    const namespace = values.namespace ?? settings.namespace;
    const context = values.context ?? settings.context;
    if (target !== 'kubernetes' && (namespace !== undefined || context !== undefined))
      throw new UserError('--namespace and --context apply to --target kubernetes only', 2);
    const logFormat = oneOf(
      values['log-format'] ?? settings.logFormat,
      ['text', 'json'] as const,
      '--log-format',
      'text',
    );
    const maxCatchup = count(values['max-catchup'] ?? String(settings.maxCatchup ?? 100), '--max-catchup', 100_000);
    const taskConcurrency = count(values.concurrency ?? '4', '--concurrency', 1000);
    const listen = parseListen(values.listen ?? settings.listen ?? '127.0.0.1:9464');
    if (typeof listen === 'string') throw new UserError(listen, 2);
    const stateDir = resolve(
      io.cwd,
      values['state-dir'] === undefined
        ? (settings.stateDir ?? join('.pipewright', 'reconcile'))
        : userPath(io, values['state-dir']),
    );

    const log = createLogger(logFormat, (text) => io.stderr(text));
    mkdirSync(stateDir, { recursive: true });
    let unlock: () => void;
    try {
      unlock = lockStateDir(stateDir);
    } catch (error) {
      if (error instanceof LockHeldError)
        throw new UserError(`another reconcile daemon (process ${error.owner}) uses ${stateDir}`);
      throw error;
    }
    let server: Server | undefined;
    let transport: Transport | undefined;
    try {
      let state: ReturnType<typeof loadDaemonState>;
      try {
        state = loadDaemonState(stateDir);
      } catch (error) {
        if (error instanceof StateFileError) throw new UserError(error.message);
        throw error;
      }
      const metrics = new PipewrightMetrics();
      let lineage: ReturnType<typeof resolveLineageConfig>;
      try {
        lineage = resolveLineageConfig(io.project?.config?.lineage, io.env, io.cwd);
      } catch (error) {
        if (error instanceof LineageConfigError) throw new UserError(error.message, 2);
        throw error;
      }
      transport = lineage ? createTransport(lineage.transport, io.stderr) : undefined;
      const common = {
        source,
        ref,
        ...(environment !== undefined ? { environment } : {}),
        stateDir,
        follower: new Follower(join(stateDir, 'mirror.git'), join(stateDir, 'trees')),
        log,
        metrics,
        ...(lineage && transport
          ? { lineage: { config: lineage, transport, producer: `https://pipewright.dev/pipewright/${VERSION}` } }
          : {}),
        env: io.env,
        maxCatchup,
        taskConcurrency,
        state,
      };
      let daemon: Daemon;
      if (target === 'kubernetes') {
        const reconciler = new KubernetesTarget({
          stateDir,
          env: io.env,
          log,
          metrics,
          ...(environment !== undefined ? { environment } : {}),
          ...(namespace !== undefined ? { namespace } : {}),
          ...(context !== undefined ? { context } : {}),
        });
        daemon = new Daemon({ ...common, target, reconciler });
      } else {
        let engine: ReturnType<typeof dockerFromHost>;
        try {
          engine = dockerFromHost(io.env.DOCKER_HOST);
        } catch (error) {
          if (error instanceof EngineError) throw new UserError(error.message);
          throw error;
        }
        const executor = new DockerExecutor({ ...engine, pull: values.pull === true, keepFailed: false });
        daemon = new Daemon({ ...common, target, executor, docker: engine.docker });
      }
      try {
        server = await startHttp(listen, {
          status: () => daemon.status(),
          ready: () => daemon.ready(),
          now: () => new Date(),
          metrics,
        });
      } catch (error) {
        if (error instanceof ListenError) throw new UserError(error.message);
        throw error;
      }
      const address = server.address();
      log.info(
        {
          repo: source,
          ref,
          target,
          ...(environment !== undefined ? { env: environment } : {}),
          ...(target === 'kubernetes' ? { namespace: namespace ?? null, context: context ?? null } : {}),
          interval: `${intervalSeconds}s`,
          listen: typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address),
          stateDir,
        },
        `reconcile started: following ${ref} of ${source}`,
      );

      if (values.once) {
        const result = await daemon.cycle();
        await daemon.stop(24 * 3600 * 1000);
        await closeLineage(transport, 10_000, log);
        return result.ok ? 0 : 1;
      }

      const stopped = new Promise<void>((resolve) => {
        if (io.signal?.aborted) resolve();
        io.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      let stop = false;
      void stopped.then(() => {
        stop = true;
      });
      // The fetch cycle every --interval. Due runs do not wait for it: the daemon's own timer starts a scheduler
      // pass at the instant the next interval becomes due (src/loop/daemon.ts), and a finished run starts the next.
      while (!stop) {
        const next = Date.now() + intervalSeconds * 1000;
        await daemon.cycle();
        if (stop) break;
        const wait = Math.max(0, next - Date.now());
        await Promise.race([stopped, new Promise((r) => setTimeout(r, Math.min(wait, 2 ** 31 - 1)).unref())]);
      }
      const running = daemon.activeRuns();
      log.info(
        { running, grace: `${graceSeconds}s` },
        `stopping: no new runs; waiting up to ${graceSeconds}s for ${running} running run${running === 1 ? '' : 's'}`,
      );
      const finished = await daemon.stop(graceSeconds * 1000);
      if (!finished) {
        log.warn(
          { running: daemon.activeRuns() },
          'grace period over: runs still running are adopted by the next start',
        );
        await closeLineage(transport, 2_000, log);
        server.close();
        server.closeAllConnections();
        unlock();
        // Their tasks keep running in the engine; state.json and the runs' state record them for the next start.
        process.exit(0);
      }
      await closeLineage(transport, 10_000, log);
      log.info('stopped');
      return 0;
    } finally {
      if (server) {
        server.close();
        server.closeAllConnections();
      }
      unlock();
    }
  },
};

/** Deliver what the lineage transport still holds, bounded; what is not delivered is logged, never waited for. */
async function closeLineage(
  transport: Transport | undefined,
  timeoutMs: number,
  log: { warn: (message: string) => void },
): Promise<void> {
  if (!transport) return;
  for (const problem of await transport.close(timeoutMs))
    log.warn(`lineage: ${problem}; the runs' results are unchanged`);
}
