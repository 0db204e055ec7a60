import { join, resolve } from 'node:path';
import { UserError } from '../../diagnostics/diagnostic.js';
import { ProjectError } from '../../emit/project.js';
import { LineageConfigError, resolveLineageConfig } from '../../observe/lineage/config.js';
import { runLineageObserver } from '../../observe/lineage/run-lineage.js';
import { createTransport } from '../../observe/lineage/transport.js';
import { PipewrightMetrics } from '../../observe/metrics.js';
import { pushMetrics, writeMetricsTextfile } from '../../observe/publish.js';
import { observeRunState } from '../../observe/run-metrics.js';
import { ArtifactError, loadRunArtifact } from '../../runtime/artifact.js';
import { DockerExecutor, dockerFromHost, EngineError } from '../../runtime/docker-executor.js';
import type { Executor } from '../../runtime/executor.js';
import { appendLedger, gitCommit, LedgerError } from '../../runtime/ledger.js';
import { LocalExecutor } from '../../runtime/local-executor.js';
import { LockHeldError } from '../../runtime/lock-file.js';
import { PlanError, type RunPlan } from '../../runtime/plan.js';
import { datesSummary, type RunJson, runJson, runVerdict, summaryTable } from '../../runtime/report.js';
import { dateRange, dateRangeLength, isLogicalDate, outsideDateRange, resolveParams } from '../../runtime/resolve.js';
import { executeRun, type RunReporter } from '../../runtime/run.js';
import { readSecretsFile, resolveSecrets, SecretsFileError, unmaskableSecrets } from '../../runtime/secrets.js';
import { isRunId, listRuns, loadRunState, type RunState, runnerAlive } from '../../runtime/state.js';
import { ComposeInterpolationError } from '../../targets/compose/interpolate.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { ENV_OPTION, ENV_OPTION_HELP, projectOptions, selectEnvironment } from '../environment.js';
import { type CliIO, type Command, userPath } from '../io.js';
import { VERSION } from '../main.js';

/** Longest backfill in one command: ten years of daily runs. */
const MAX_BACKFILL_DATES = 3660;

const HELP = `Usage: pipewright run <pipeline> [--executor local|docker] [--date YYYY-MM-DD | --backfill FROM..TO]
                       [--param name=value]… [--concurrency N] [--resume <runId>] [--format text|json]
                       [--compile] [--out generated] [--env NAME] [--secrets-file FILE] [--pull] [--keep-failed] [--force]
                       [--ledger FILE] [--metrics-file FILE.prom] [--pushgateway URL]

Run a pipeline's DAG for a logical date: the committed Compose artifact generated/compose/<pipeline>.compose.yaml,
refused when it is stale for the spec (unless --compile runs the spec as it is, compiled in memory).

Tasks start as soon as their needs succeeded, at most --concurrency at once; retries wait retryDelay; a timeout kills
the task; a failed task blocks its descendants (upstream_failed) while independent branches finish; a failed
\`type: check\` task is reported as a quality-gate failure. Live output is prefixed with the task id, then a summary.

Executors:
  local    (default) each task is a host process in this directory (argv, no shell); the image is not used
  docker   one container per attempt on the engine at DOCKER_HOST (e.g. podman's API, see scripts/engine-up.sh)

Secrets: each secret ref is read from --secrets-file (KEY=value lines; key = PIPEWRIGHT_SECRET_<REF> or the ref),
else from the environment (PIPEWRIGHT_SECRET_<REF>, then the task's env name). Values are never printed or stored.

Run state lives in .pipewright/runs/<runId>/state.json. A run whose runner was killed is continued by
--resume <runId> or by running the same pipeline and date again: succeeded tasks are not re-run, running tasks
are re-attached or judged by their exit code. A date that already succeeded for the same spec hash and params is
skipped unless --force. Every run and task attempt is appended to the ledger (.pipewright/ledger.jsonl).

Options:
  --executor <e>        local (default) or docker
  --date <d>            logical date ({{ ds }}), default today (UTC)
  --backfill <a..b>     one run per date from a to b inclusive, in order, within spec.startDate..endDate
                        (dates outside are refused); ends with a summary line
  --param <k=v>         a pipeline parameter (repeatable); others take their defaults
  --concurrency <n>     tasks running at once (default 4)
  --resume <runId>      continue a recorded run (interrupted, or failed: failed tasks run again)
  --format <fmt>        text (default) or json (the result on stdout, task output on stderr)
  --compile             run the spec compiled in memory instead of the committed artifact
  --out <dir>           output directory holding the artifacts (default generated)
${ENV_OPTION_HELP}: runs generated/<env>/compose/…
  --secrets-file <f>    dotenv-like file with secret values
  --pull                docker: pull missing images (default: a missing image is an error)
  --keep-failed         docker: keep containers of failed tasks
  --force               run dates that already succeeded again
  --ledger <file>       ledger file (default .pipewright/ledger.jsonl)
  --metrics-file <f>    write the runs' metrics in the node-exporter textfile format (atomic; e.g.
                        /var/lib/prometheus/node-exporter/pipewright.prom); see docs/observability.md
  --pushgateway <url>   push the runs' metrics to a Prometheus Pushgateway (job="pipewright", pipeline=<name>)

Lineage: with the project config's \`lineage\` section or the OpenLineage environment variables (OPENLINEAGE_URL,
OPENLINEAGE_API_KEY, OPENLINEAGE__TRANSPORT__TYPE=console|file|http, OPENLINEAGE__TRANSPORT__LOG_FILE_PATH, …) every
pipeline run and task emits OpenLineage START and COMPLETE/FAIL/ABORT events (docs/observability.md). An endpoint that
is down is retried with back-off in the background and reported as a warning; it never fails or blocks the run.

Metrics that cannot be written or pushed (full disk, gateway down) are reported as a warning on stderr; the run's
result and exit code stay those of its tasks.

Exit codes: 0 every run succeeded (or was already done), 1 a task failed or the run could not start, 2 usage error.
`;

/** `--param name=value`… as a record (usage error on anything else). */
export function parseParams(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UserError(`--param must be name=value (got '${item}')`, 2);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `--backfill FROM..TO`: every date from FROM to TO inclusive, at most 3660 (usage error otherwise). */
export function backfillDates(text: string): string[] {
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (!m || !isLogicalDate(m[1]!) || !isLogicalDate(m[2]!) || dateRangeLength(m[1]!, m[2]!) === 0) {
    throw new UserError(`--backfill must be FROM..TO with FROM <= TO, dates YYYY-MM-DD (got '${text}')`, 2);
  }
  // counted before any list exists: a range of millions of dates is refused at once
  const count = dateRangeLength(m[1]!, m[2]!);
  if (count > MAX_BACKFILL_DATES)
    throw new UserError(
      `--backfill covers ${count.toLocaleString('en-US')} dates; at most ${MAX_BACKFILL_DATES} at once`,
      2,
    );
  return dateRange(m[1]!, m[2]!);
}

function sameParams(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a).sort();
  return keys.join('\0') === Object.keys(b).sort().join('\0') && keys.every((k) => a[k] === b[k]);
}

/** Errors of the runtime's own layers that are the user's to fix (exit 1, no stack). */
function asUserError(error: unknown): never {
  if (
    error instanceof ArtifactError ||
    error instanceof ProjectError ||
    error instanceof PlanError ||
    error instanceof EngineError ||
    error instanceof SecretsFileError ||
    error instanceof LedgerError ||
    error instanceof ComposeInterpolationError
  ) {
    throw new UserError(error.message);
  }
  if (error instanceof LockHeldError && error.lock.endsWith('runner.lock')) {
    throw new UserError(`this run is being executed by process ${error.owner} right now; wait for it to finish`);
  }
  throw error;
}

export const command: Command = {
  summary: "run a pipeline's DAG locally or on a Docker engine (backfill, resume)",
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        executor: { type: 'string' },
        date: { type: 'string' },
        backfill: { type: 'string' },
        param: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        resume: { type: 'string' },
        format: { type: 'string' },
        compile: { type: 'boolean' },
        out: { type: 'string' },
        'secrets-file': { type: 'string' },
        pull: { type: 'boolean' },
        'keep-failed': { type: 'boolean' },
        force: { type: 'boolean' },
        ledger: { type: 'string' },
        'metrics-file': { type: 'string' },
        pushgateway: { type: 'string' },
        ...ENV_OPTION,
      },
      'run',
    );
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    if (positionals.length > 1) throw new UserError(`run takes one pipeline name (got ${positionals.join(' ')})`, 2);
    const concurrencyText = values.concurrency ?? '4';
    if (!/^[1-9]\d{0,3}$/.test(concurrencyText)) {
      throw new UserError(`--concurrency must be a whole number from 1 (got '${concurrencyText}')`, 2);
    }
    const concurrency = Number(concurrencyText);
    const pushgateway = values.pushgateway;
    if (pushgateway !== undefined && !/^https?:\/\/[^/\s]/.test(pushgateway)) {
      throw new UserError(`--pushgateway must be an http:// or https:// URL (got '${pushgateway}')`, 2);
    }
    const metricsFile =
      values['metrics-file'] === undefined ? undefined : resolve(io.cwd, userPath(io, values['metrics-file']));
    const metrics = metricsFile !== undefined || pushgateway !== undefined ? new PipewrightMetrics() : undefined;
    let lineage: ReturnType<typeof resolveLineageConfig>;
    try {
      lineage = resolveLineageConfig(io.project?.config?.lineage, io.env, io.cwd);
    } catch (error) {
      if (error instanceof LineageConfigError) throw new UserError(error.message, 2);
      throw error;
    }
    const given = parseParams(values.param);
    const runsDir = join(io.cwd, '.pipewright', 'runs');
    const ledgerFile = resolve(
      io.cwd,
      values.ledger === undefined ? join('.pipewright', 'ledger.jsonl') : userPath(io, values.ledger),
    );

    // What to run: a recorded run, or a pipeline for one or more dates.
    let resumed: RunState | undefined;
    let pipeline = positionals[0];
    let dates: string[];
    if (values.resume !== undefined) {
      if (values.date !== undefined || values.backfill !== undefined) {
        throw new UserError('--resume continues a recorded run: it takes no --date or --backfill', 2);
      }
      if (!isRunId(values.resume))
        throw new UserError(`--resume: '${values.resume}' is not a run id (see \`pipewright runs\`)`, 2);
      resumed = loadRunState(runsDir, values.resume);
      if (!resumed) throw new UserError(`no run ${values.resume} under ${runsDir} (see \`pipewright runs\`)`);
      if (pipeline !== undefined && pipeline !== resumed.pipeline) {
        throw new UserError(`run ${resumed.runId} is a run of ${resumed.pipeline}, not ${pipeline}`);
      }
      pipeline = resumed.pipeline;
      dates = [resumed.logicalDate];
      if (values.param && !sameParams({ ...resumed.params, ...given }, resumed.params)) {
        throw new UserError(`run ${resumed.runId} was started with other params; start a new run to change them`);
      }
      if (values.executor !== undefined && values.executor !== resumed.executor) {
        throw new UserError(
          `run ${resumed.runId} runs on the ${resumed.executor} executor; it cannot switch to ${values.executor}`,
        );
      }
    } else {
      if (values.date !== undefined && values.backfill !== undefined)
        throw new UserError('use --date or --backfill, not both', 2);
      if (values.backfill !== undefined) {
        dates = backfillDates(values.backfill);
      } else {
        const date = values.date ?? new Date().toISOString().slice(0, 10);
        if (!isLogicalDate(date)) throw new UserError(`--date must be a calendar date YYYY-MM-DD (got '${date}')`, 2);
        dates = [date];
      }
    }
    if (pipeline === undefined) throw new UserError('run: which pipeline? (pipewright run <pipeline>)', 2);
    const executorName =
      resumed?.executor ?? oneOf(values.executor, ['local', 'docker'] as const, '--executor', 'local');

    const { plan, artifact } = await loadRunArtifact({
      pipeline,
      cwd: io.cwd,
      out: values.out === undefined ? 'generated' : userPath(io, values.out),
      specPaths: ['pipelines'],
      compile: values.compile === true,
      project: projectOptions(io, selectEnvironment(io, values.env, 'run')),
    }).catch(asUserError);
    if (resumed && resumed.specHash !== plan.specHash) {
      throw new UserError(
        `run ${resumed.runId} was started from spec hash ${resumed.specHash.slice(0, 12)}; ${artifact} now has ${plan.specHash.slice(0, 12)}. A run cannot continue on another spec: start a new run`,
      );
    }

    if (!resumed) {
      const outside = outsideDateRange(dates, plan);
      if (outside) throw new UserError(outside, 2);
    }

    const params = resumed ? { values: resumed.params, problems: [] as string[] } : resolveParams(plan, given);
    if (params.problems.length > 0) throw new UserError(params.problems.join('\n'), 2);

    let secretsFile: Map<string, string> | undefined;
    if (values['secrets-file'] !== undefined) {
      try {
        secretsFile = readSecretsFile(resolve(io.cwd, userPath(io, values['secrets-file'])));
      } catch (error) {
        asUserError(error);
      }
    }
    const secrets = resolveSecrets(plan, { ...(secretsFile ? { file: secretsFile } : {}), env: io.env });
    if (secrets.missing.length > 0) {
      const lines = secrets.missing.map(
        (s) =>
          `  ${s.ref}: set ${s.variable} (environment or --secrets-file)${s.env !== s.variable ? ` or ${s.env}` : ''}`,
      );
      throw new UserError(`missing secret value${secrets.missing.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    }
    for (const warning of unmaskableSecrets(plan, secrets.byTask)) io.stderr(`pipewright: warning: ${warning}\n`);

    let executor: Executor;
    if (executorName === 'docker') {
      let engine: ReturnType<typeof dockerFromHost>;
      try {
        engine = dockerFromHost(io.env.DOCKER_HOST);
      } catch (error) {
        asUserError(error);
      }
      executor = new DockerExecutor({
        ...engine,
        pull: values.pull === true,
        keepFailed: values['keep-failed'] === true,
      });
    } else {
      executor = new LocalExecutor({ cwd: io.cwd, hostEnv: io.env, runsDir });
    }
    await executor.preflight?.(plan.tasks).catch(asUserError);

    // Task output: stdout in text mode; stderr in json mode (stdout carries the result).
    const out = format === 'json' ? io.stderr : io.stdout;
    const width = Math.max(...plan.tasks.map((t) => t.id.length));
    const reporter: RunReporter = {
      log: (task, _stream, line) => out(`[${task.padEnd(width)}] ${line}\n`),
      note: (task, message) => out(`${task ? `[${task.padEnd(width)}]` : '[run]'} » ${message}\n`),
    };

    const transport = lineage ? createTransport(lineage.transport, io.stderr) : undefined;
    const observer =
      lineage && transport
        ? runLineageObserver({
            plan,
            config: lineage,
            transport,
            root: io.cwd,
            commit: gitCommit(io.cwd),
            producer: `https://pipewright.dev/pipewright/${VERSION}`,
          })
        : undefined;
    const results: RunJson[] = [];
    let ok = true;
    for (const date of dates) {
      if (io.signal?.aborted) break;
      const result = await runDate(date);
      results.push(result.json);
      if (result.json.status !== 'succeeded') ok = false;
    }
    if (transport) {
      // Bounded: what is not delivered 10 s after the last run is reported, never waited for.
      for (const problem of await transport.close(10_000)) {
        io.stderr(`pipewright: warning: lineage: ${problem}; the run's result is unchanged\n`);
      }
    }
    if (metrics) {
      const published = [
        ...(metricsFile !== undefined ? [await writeMetricsTextfile(metrics, metricsFile)] : []),
        ...(pushgateway !== undefined ? [await pushMetrics(metrics, pushgateway, { pipeline: plan.pipeline })] : []),
      ];
      for (const p of published) {
        if (p.ok) out(`[run] » metrics ${p.where === metricsFile ? 'written to' : 'pushed to'} ${p.where}\n`);
        else io.stderr(`pipewright: warning: ${p.message}; the run's result is unchanged\n`);
      }
    }
    if (values.backfill !== undefined) {
      const summary = datesSummary(results, dates.length);
      if (format === 'text') io.stdout(`\n${summary}\n`);
      else io.stderr(`${summary}\n`);
    }
    if (format === 'json')
      io.stdout(`${JSON.stringify(dates.length === 1 && !values.backfill ? results[0] : results, null, 2)}\n`);
    return ok ? 0 : 1;

    async function runDate(date: string): Promise<{ json: RunJson }> {
      let resume = resumed;
      if (!resume) {
        const earlier = listRuns(runsDir).filter(
          (r) =>
            r.pipeline === plan.pipeline &&
            r.logicalDate === date &&
            r.specHash === plan.specHash &&
            sameParams(r.params, params.values),
        );
        const done = earlier.filter((r) => r.status === 'succeeded').at(-1);
        if (done && !values.force) {
          out(
            `[run] » ${plan.pipeline} ${date}: already succeeded in run ${done.runId} for this spec hash; skipped (--force runs it again)\n`,
          );
          try {
            appendLedger(
              ledgerFile,
              {
                action: 'run.skip',
                pipeline: plan.pipeline,
                version: plan.version,
                specHash: plan.specHash,
                result: 'skipped',
                details: { runId: done.runId, logicalDate: date, reason: 'already succeeded' },
              },
              { cwd: io.cwd, env: io.env },
            );
          } catch (error) {
            asUserError(error);
          }
          return { json: runJson(done, { skipped: true }) };
        }
        // A run of this date whose runner died: continue it rather than starting over.
        const interrupted = earlier
          .filter((r) => r.status === 'running' && r.executor === executorName && !runnerAlive(runsDir, r.runId))
          .at(-1);
        if (interrupted) {
          out(`[run] » continuing interrupted run ${interrupted.runId} of ${plan.pipeline} ${date}\n`);
          resume = interrupted;
        }
      }
      if (!resume) {
        // spec.concurrency bounds the active runs of a pipeline (across runners on this machine).
        const active = listRuns(runsDir).filter(
          (r) => r.pipeline === plan.pipeline && r.status === 'running' && runnerAlive(runsDir, r.runId),
        );
        if (active.length >= plan.concurrency) {
          throw new UserError(
            `${plan.pipeline} allows ${plan.concurrency} active run${plan.concurrency === 1 ? '' : 's'} (spec.concurrency) and ${active.map((r) => `${r.runId} (${r.logicalDate})`).join(', ')} ${active.length === 1 ? 'is' : 'are'} running; wait or raise spec.concurrency`,
          );
        }
      }
      header(plan, date, resume);
      const state = await executeRun({
        plan,
        artifact,
        logicalDate: date,
        params: params.values,
        executor,
        secrets: secrets.byTask,
        runsDir,
        ledgerFile,
        cwd: io.cwd,
        env: io.env,
        concurrency,
        reporter,
        ...(resume ? { resume } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        ...(observer ? { observer } : {}),
      }).catch(asUserError);
      if (metrics) {
        try {
          observeRunState(metrics, plan, state, { aborted: io.signal?.aborted === true });
        } catch (error) {
          // e.g. a pipeline name shaped like a date, refused as a label value: metrics never fail the run.
          io.stderr(`pipewright: warning: metrics not recorded: ${(error as Error).message}\n`);
        }
      }
      if (format === 'text') io.stdout(`\n${summaryTable(state)}${runVerdict(state)}\n`);
      else io.stderr(`${runVerdict(state)}\n`);
      return { json: runJson(state) };
    }

    function header(p: RunPlan, date: string, resume: RunState | undefined): void {
      const how =
        executorName === 'local'
          ? `local executor: host processes in ${io.cwd}, images not used`
          : `docker executor at ${io.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}`;
      out(`${resume ? 'resuming' : 'running'} ${p.pipeline} ${p.version} for ${date} (${artifact}; ${how})\n`);
    }
  },
};
