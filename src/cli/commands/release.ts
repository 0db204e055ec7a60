import { join, resolve } from 'node:path';
import { UserError } from '../../diagnostics/diagnostic.js';
import { KubeApiError, KubeClient, KubeUnreachableError } from '../../kube/client.js';
import { KubeConfigError, loadClusterAccess } from '../../kube/kubeconfig.js';
import { collectionPath, objectPath, resourceType } from '../../kube/resources.js';
import { parseDuration } from '../../model/duration.js';
import { dateIn, dueDates } from '../../release/dates.js';
import { KubernetesExecutor } from '../../release/kube-executor.js';
import {
  type JobObject,
  jobPhase,
  parseRunPlan,
  RUN_LABEL,
  RunPlanError,
  releaseRunId,
  stateFromJobs,
} from '../../release/run-plan.js';
import { appendLedger, LedgerError } from '../../runtime/ledger.js';
import { type RunJson, runJson, runVerdict, summaryTable } from '../../runtime/report.js';
import { isLogicalDate, resolveParams } from '../../runtime/resolve.js';
import { executeRun, type RunReporter } from '../../runtime/run.js';
import { type RunState, runnerIdentity, saveRunState } from '../../runtime/state.js';
import { runPlanName } from '../../targets/kubernetes/run-plan.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { ENV_OPTION, selectEnvironment } from '../environment.js';
import type { CliIO, Command } from '../io.js';
import { backfillDates, parseParams } from './run.js';

const HELP = `Usage: pipewright release <pipeline> --target kubernetes (--date YYYY-MM-DD | --backfill FROM..TO | --scheduled)
                          [--namespace N] [--env NAME] [--context C] [--param name=value]… [--concurrency N]
                          [--retention D | --retention-days N] [--format text|json] [--ledger FILE]

Run a pipeline on Kubernetes for logical dates: the runner the CronJob starts in-cluster (with its ServiceAccount),
also runnable from a laptop or CI with a kubeconfig. It reads the pipeline's run plan (ConfigMap <pipeline>-plan, put
there by \`pipewright apply\`) and creates each task's Job from its template, in DAG order, as soon as its needs
succeeded (at most --concurrency at once), with the PIPEWRIGHT_* values filled in. Jobs are named
<pipeline>-<task>-<ds_nodash>-<attempt> (at most 63 characters, hash-suffixed) and followed with watches that are
re-established after a fresh read whenever they end (410 Gone, timeouts, dropped connections).

A failed attempt is retried after retryDelay, up to the task's retries; a timeout is the Job's
activeDeadlineSeconds; a failed task marks its dependants upstream_failed while independent branches finish; a
failed \`type: check\` task is reported as a quality-gate failure. Idempotent and crash-safe: the Jobs are the run's
memory, so a runner killed and started again re-attaches to running Jobs by name and never re-runs a task that
succeeded (a date whose tasks all succeeded is skipped); stopped with Ctrl-C or SIGTERM it leaves running Jobs
running (exit 1). Results go to .pipewright/runs (\`pipewright runs\`) and the
ledger. After each run, this pipeline's Jobs that finished (by their completion time) longer ago than the retention
are deleted.

--scheduled (what the CronJob runs): the date of the latest schedule tick in the pipeline's time zone; with catchup
also every missed tick since startDate (at most --retention-days back: older runs are no longer in the cluster);
a disabled pipeline does nothing. An SLA miss (a scheduled run not succeeded by its tick + sla) is reported when that
time passes, while the run is still going (printed, and run.sla_miss in the ledger), then recorded in the run's record
with its outcome when it ends, and shown by \`pipewright runs\`. Runs of several dates overlap up to the pipeline's concurrency (spec.concurrency).

Options:
  --target <t>            kubernetes (alias k8s)
  --date <d>              one logical date
  --backfill <a..b>       every date from a to b inclusive
  --scheduled             the due date(s) from the schedule (see above)
  --namespace <n>         where the run plan was applied (default: the --env's namespace, else the context's, else default)
  --env <name>            environment of pipewright.yaml (required when it declares environments; docs/environments.md)
  --context <c>           kubeconfig context
  --param <k=v>           a pipeline parameter (repeatable); others take their defaults
  --concurrency <n>       task Jobs running at once (default 16)
  --retention <d>         delete this pipeline's Jobs that finished longer ago than d: a duration (30s, 12h, 7d;
                          default 7d). With --scheduled it also bounds how far back catchup looks
  --retention-days <n>    the same in whole days (0 keeps every Job)
  --format <fmt>          text (default) or json
  --ledger <file>         ledger file (default .pipewright/ledger.jsonl)

Exit codes: 0 every run succeeded (or was already done), 1 a task failed or the run could not start (no kubeconfig,
unreachable server, RBAC forbidden, no run plan), 2 usage error.
`;

function asUserError(error: unknown): never {
  if (
    error instanceof KubeConfigError ||
    error instanceof KubeUnreachableError ||
    error instanceof RunPlanError ||
    error instanceof LedgerError
  ) {
    throw new UserError(error.message);
  }
  if (error instanceof KubeApiError) {
    throw new UserError(
      error.status === 403
        ? `forbidden by RBAC: ${error.message}`
        : `the API server refused: ${error.status} ${error.reason}: ${error.message}`,
    );
  }
  throw error;
}

function whole(text: string | undefined, flag: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UserError(`${flag} must be a whole number >= ${min} (got '${text}')`, 2);
  return Number(text);
}

/**
 * Calls `onMiss` once when `dueBy` (epoch ms) passes, unless stopped first (at once when it has passed already).
 * Re-armed in steps: a timer cannot wait longer than 2^31-1 ms (~24.8 days) and an SLA may be up to a year.
 */
export function slaWatch(dueBy: number, onMiss: () => void): { stop(): void; readonly fired: boolean } {
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const wait = dueBy - Date.now();
    if (wait > 0) {
      timer = setTimeout(arm, Math.min(wait, 2 ** 31 - 1));
      return;
    }
    fired = true;
    onMiss();
  };
  timer = setTimeout(arm, 0);
  return {
    stop: () => clearTimeout(timer),
    get fired() {
      return fired;
    },
  };
}

export const command: Command = {
  summary: 'run a pipeline on Kubernetes: create its task Jobs for logical dates (the CronJob runs this)',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        target: { type: 'string' },
        date: { type: 'string' },
        backfill: { type: 'string' },
        scheduled: { type: 'boolean' },
        namespace: { type: 'string' },
        context: { type: 'string' },
        param: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        retention: { type: 'string' },
        'retention-days': { type: 'string' },
        format: { type: 'string' },
        ledger: { type: 'string' },
        ...ENV_OPTION,
      },
      'release',
    );
    if (values.target !== undefined && values.target !== 'kubernetes' && values.target !== 'k8s') {
      throw new UserError(
        `release runs --target kubernetes only (got '${values.target}'); other targets: \`pipewright run\``,
        2,
      );
    }
    if (positionals.length !== 1)
      throw new UserError('release takes one pipeline name (see `pipewright release --help`)', 2);
    const pipeline = positionals[0]!;
    const modes = [values.date !== undefined, values.backfill !== undefined, values.scheduled === true].filter(
      Boolean,
    ).length;
    if (modes !== 1) throw new UserError('give exactly one of --date, --backfill or --scheduled', 2);
    let dates: string[] = [];
    if (values.date !== undefined) {
      if (!isLogicalDate(values.date))
        throw new UserError(`--date must be a date YYYY-MM-DD (got '${values.date}')`, 2);
      dates = [values.date];
    } else if (values.backfill !== undefined) {
      dates = backfillDates(values.backfill);
    }
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const concurrency = whole(values.concurrency, '--concurrency', 16, 1);
    if (values.retention !== undefined && values['retention-days'] !== undefined)
      throw new UserError('give --retention or --retention-days, not both', 2);
    let retentionSeconds = whole(values['retention-days'], '--retention-days', 7, 0) * 86_400;
    if (values.retention !== undefined) {
      const seconds = parseDuration(values.retention);
      if (seconds === undefined)
        throw new UserError(`--retention must be a duration such as 30s, 12h or 7d (got '${values.retention}')`, 2);
      retentionSeconds = seconds;
    }
    const given = parseParams(values.param);
    const ledgerFile = resolve(io.cwd, values.ledger ?? join('.pipewright', 'ledger.jsonl'));
    const runsDir = join(io.cwd, '.pipewright', 'runs');
    const out = format === 'json' ? io.stderr : io.stdout;

    const environment = selectEnvironment(io, values.env, 'release');
    const access = (() => {
      try {
        return loadClusterAccess({ env: io.env, ...(values.context ? { context: values.context } : {}) });
      } catch (e) {
        return asUserError(e);
      }
    })();
    const namespace = values.namespace ?? environment?.namespace ?? access.namespace ?? 'default';
    const client = new KubeClient(access);
    try {
      const planName = runPlanName(pipeline);
      const cm = await client
        .request('GET', objectPath(resourceType('', 'ConfigMap'), namespace, planName))
        .catch(asUserError);
      if (cm.status === 404) {
        throw new UserError(
          `no run plan ConfigMap ${namespace}/${planName}: apply the pipeline first (pipewright apply --target kubernetes --namespace ${namespace})`,
        );
      }
      if (cm.status >= 300) {
        const body = (cm.body ?? {}) as { reason?: string; message?: string };
        asUserError(new KubeApiError(cm.status, body.reason ?? '', body.message ?? `HTTP ${cm.status}`));
      }
      const loaded = (() => {
        try {
          return parseRunPlan(`${namespace}/${planName}`, (cm.body as { data?: Record<string, string> }).data);
        } catch (e) {
          return asUserError(e);
        }
      })();
      const { plan, facts, templates } = loaded;
      const params = resolveParams(plan, given);
      if (params.problems.length > 0) throw new UserError(params.problems.join('\n'), 2);

      const jobsOf = async (date?: string): Promise<JobObject[]> => {
        const selector = `${RUN_LABEL.managedBy}=pipewright,${RUN_LABEL.pipeline}=${pipeline},${RUN_LABEL.logicalDate}${date ? `=${date}` : ''}`;
        const list = await client
          .ok<{ items?: JobObject[] }>('GET', collectionPath(resourceType('batch', 'Job'), namespace), {
            query: { labelSelector: selector },
            list: true,
          })
          .catch(asUserError);
        return list.items ?? [];
      };

      const ticks = new Map<string, Date>();
      if (values.scheduled) {
        if (!facts.enabled) {
          out(`[release] » ${pipeline} is disabled (spec.enabled: false): nothing to run\n`);
          return 0;
        }
        const now = new Date();
        const since = dateIn(new Date(now.getTime() - retentionSeconds * 1000), facts.timezone);
        const due = dueDates(facts, now, retentionSeconds > 0 ? since : '0000-00-00');
        const jobs = await jobsOf();
        for (const d of due) {
          const mine = jobs.filter((j) => j.metadata?.labels?.[RUN_LABEL.logicalDate] === d.date);
          const done = plan.tasks.every((t) =>
            mine.some(
              (j) =>
                j.metadata.annotations?.['pipewright.dev/task'] === t.id &&
                jobPhase(j).done &&
                (jobPhase(j) as { succeeded?: boolean }).succeeded,
            ),
          );
          if (!done || d === due.at(-1)) {
            dates.push(d.date);
            ticks.set(d.date, d.tick);
          }
        }
        if (dates.length === 0) {
          out(`[release] » ${pipeline}: no schedule tick is due\n`);
          return 0;
        }
      }

      const executor = new KubernetesExecutor({
        client,
        namespace,
        templates,
        retentionSeconds,
        ...(io.signal ? { stopSignal: io.signal } : {}),
      });
      const width = Math.max(9, ...plan.tasks.map((t) => t.id.length));
      const reporter: RunReporter = {
        log: (task, _stream, line) => out(`[${task.padEnd(width)}] ${line}\n`),
        note: (task, message) => out(`${task ? `[${task.padEnd(width)}]` : '[release]'} » ${message}\n`),
      };

      /** The SLA miss of a run, as soon as it is known: the output and the ledger (status: the run's then). */
      const reportMiss = (runId: string, date: string, dueBy: number, status = 'running'): void => {
        const due = new Date(dueBy).toISOString();
        const detectedAt = new Date().toISOString();
        out(`[release] » SLA missed: ${pipeline} ${date} is ${status} at ${detectedAt}, due by ${due}\n`);
        appendLedger(
          ledgerFile,
          {
            action: 'run.sla_miss',
            pipeline,
            version: plan.version,
            specHash: plan.specHash,
            result: 'missed',
            details: { runId, logicalDate: date, slaSeconds: facts.slaSeconds ?? null, dueBy: due, status, detectedAt },
          },
          { cwd: io.cwd, env: io.env },
        );
      };

      const runDate = async (date: string): Promise<RunJson> => {
        const runId = releaseRunId(pipeline, date);
        const jobs = await jobsOf(date);
        const now = new Date().toISOString();
        const base: RunState = {
          schemaVersion: 1,
          runId,
          pipeline: plan.pipeline,
          version: plan.version,
          specHash: plan.specHash,
          logicalDate: date,
          executor: 'kubernetes',
          params: params.values,
          artifact: `ConfigMap ${namespace}/${planName}`,
          status: 'running',
          createdAt: now,
          updatedAt: now,
          runner: runnerIdentity(),
          rounds: 1,
          tasks: {},
        };
        const fromCluster = stateFromJobs(base, plan, jobs);
        if (plan.tasks.every((t) => fromCluster.tasks[t.id]!.status === 'succeeded')) {
          out(`[release] » ${pipeline} ${date}: every task already succeeded (Jobs in ${namespace}); nothing re-run\n`);
          return runJson({ ...fromCluster, status: 'succeeded' }, { skipped: true });
        }
        out(
          `${jobs.length > 0 ? 'resuming' : 'releasing'} ${pipeline} ${plan.version} for ${date} in namespace ${namespace} (run ${runId})\n`,
        );
        const tick = ticks.get(date);
        const dueBy = tick && facts.slaSeconds !== undefined ? tick.getTime() + facts.slaSeconds * 1000 : undefined;
        // The miss is reported when the due time passes, while the run is still going (at once when it had passed
        // before the run started): one run.sla_miss ledger event per run, with the status at that moment.
        const sla = dueBy === undefined ? undefined : slaWatch(dueBy, () => reportMiss(runId, date, dueBy));
        const state = await executeRun({
          plan,
          artifact: base.artifact,
          logicalDate: date,
          params: params.values,
          executor,
          secrets: new Map(),
          runsDir,
          ledgerFile,
          cwd: io.cwd,
          env: io.env,
          concurrency,
          reporter,
          runId,
          ...(jobs.length > 0 ? { resume: fromCluster } : {}),
          ...(io.signal ? { signal: io.signal } : {}),
        })
          .catch(asUserError)
          .finally(() => sla?.stop());
        // Missed: not succeeded by the due time — succeeded later, or failed/stopped once it had passed. The ledger
        // event was written when it passed (or is now, when the run ended in the very moment it did).
        const ended = state.finishedAt ? Date.parse(state.finishedAt) : Date.now();
        if (dueBy !== undefined && ended > dueBy && !io.signal?.aborted) {
          const due = new Date(dueBy).toISOString();
          if (!sla?.fired) reportMiss(runId, date, dueBy, state.status);
          state.slaMiss = { dueBy: due, status: state.status };
          saveRunState(runsDir, state);
          out(
            `[release] » SLA missed: ${pipeline} ${date} ${state.status === 'succeeded' ? `finished ${state.finishedAt}` : `${state.status}`}, due by ${due}\n`,
          );
        }
        if (format === 'text') io.stdout(`\n${summaryTable(state)}${runVerdict(state)}\n`);
        else io.stderr(`${runVerdict(state)}\n`);
        return runJson(state);
      };

      // Dates in order, up to the pipeline's concurrency at once.
      const results: RunJson[] = new Array(dates.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < dates.length && !io.signal?.aborted; i = next++) results[i] = await runDate(dates[i]!);
      };
      await Promise.all(Array.from({ length: Math.min(Math.max(1, plan.concurrency), dates.length) }, worker));
      if (io.signal?.aborted) {
        out('[release] » stopped: running Jobs keep running; `pipewright release` again re-attaches to them\n');
        return 1;
      }
      if (format === 'json') io.stdout(`${JSON.stringify(results, null, 2)}\n`);
      return results.every((r) => r.status === 'succeeded') ? 0 : 1;
    } finally {
      client.close();
    }
  },
};
