/**
 * The reconcile loop. Each cycle: follow the ref (fetch, resolve to a SHA), check the commit out into a private
 * work tree and verify it (valid specs, generated/ exactly what compile writes) — a bad commit is refused with its
 * reasons and the last good one stays in service — then reconcile the target:
 *   docker      the scheduler below, over generated/compose/* of the good commit;
 *   kubernetes  the plan + apply of src/reconcile (src/loop/kubernetes-target.ts).
 *
 * Docker scheduler: due intervals come from the pure calendar (src/loop/calendar.ts); each one is recorded in the
 * daemon state (run id, `queued`, watermark) before anything starts, and runs go through the same runtime as
 * `pipewright run` (executeRun + the docker executor), at most spec.concurrency active per pipeline, oldest first.
 * A restart continues what the state file lists: running entries are resumed (the runtime adopts their containers),
 * queued ones start. Pipelines that left the branch are unscheduled, their queued runs cancelled and their leftover
 * containers (labelled managed-by pipewright, of runs this daemon recorded) removed.
 */
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { LineageConfig } from '../observe/lineage/config.js';
import { runLineageObserver } from '../observe/lineage/run-lineage.js';
import type { Transport } from '../observe/lineage/transport.js';
import type { PipewrightMetrics } from '../observe/metrics.js';
import { observeRunState } from '../observe/run-metrics.js';
import { type DockerExecutor, LABEL } from '../runtime/docker-executor.js';
import { acquireLock, LockHeldError } from '../runtime/lock-file.js';
import { resolveParams } from '../runtime/resolve.js';
import { executeRun, type RunReporter } from '../runtime/run.js';
import { resolveSecrets } from '../runtime/secrets.js';
import { loadRunState, newRunId, type RunState } from '../runtime/state.js';
import {
  bounds,
  CalendarError,
  dueIntervals,
  localDate,
  longestGapSeconds,
  nextDueTime,
  slaState,
} from './calendar.js';
import { readComposePipelines, type ScheduledPipeline, verifyTree } from './desired.js';
import { FollowError, type Follower } from './follow.js';
import { type DaemonState, type PipelineEntry, type RunEntry, saveDaemonState, trimRuns } from './state.js';

export type TargetName = 'docker' | 'kubernetes';

/** Reconciles a verified commit on a target other than docker (kubernetes). */
export interface TargetReconciler {
  /** Throws on failure; an error with a `stage` ('plan' | 'apply') says where. */
  reconcile(tree: string, commit: string): Promise<void>;
  /** What /status.json shows under `kubernetes` (plan counts, last error). */
  status?(): object;
}

export interface DaemonOptions {
  source: string;
  ref: string;
  stateDir: string;
  follower: Follower;
  target: TargetName;
  /** docker: the executor runs go through, and its engine (pruning). */
  executor?: DockerExecutor;
  docker?: Docker;
  /** kubernetes: plan + apply. */
  reconciler?: TargetReconciler;
  log: Logger;
  /** The one metrics registry (src/observe), served on /metrics. */
  metrics?: PipewrightMetrics;
  /** OpenLineage: every run the daemon starts emits its events through this transport (as `pipewright run` does). */
  lineage?: { config: LineageConfig; transport: Transport; producer: string };
  /** Environment for secrets and the ledger actor. */
  env: Record<string, string | undefined>;
  /** Catch-up bound per pipeline and cycle. */
  maxCatchup: number;
  /** Tasks running at once inside one run. */
  taskConcurrency: number;
  now?: () => Date;
  state: DaemonState;
}

export type CycleStage = 'git' | 'compile' | 'plan' | 'apply' | 'schedule' | 'other';

export interface CycleResult {
  ok: boolean;
  at: string;
  durationMs: number;
  commit?: string;
  stage?: CycleStage;
  error?: string;
}

export interface PipelineStatus {
  name: string;
  enabled: boolean;
  schedule?: string;
  timezone?: string;
  catchup?: boolean;
  concurrency: number;
  slaSeconds?: number;
  nextDue?: string;
  active: number;
  queued: number;
  lastRun?: RunEntry;
  slaMissed: number;
  problem?: string;
}

export interface DaemonStatus {
  source: string;
  ref: string;
  target: TargetName;
  lastGood?: { commit: string; at: string };
  refused?: { commit: string; reasons: string[] };
  lastCycle?: CycleResult;
  pipelines: PipelineStatus[];
  removed: string[];
  /** --target kubernetes: the last plan's counts, whether it was applied, its error. */
  kubernetes?: object;
}

export class Daemon {
  private readonly now: () => Date;
  private readonly state: DaemonState;
  /** Desired pipelines of the last good commit. */
  private desired: ScheduledPipeline[] | undefined;
  private desiredCommit: string | undefined;
  private tree: string | undefined;
  private refused: { commit: string; reasons: string[] } | undefined;
  private lastCycle: CycleResult | undefined;
  /** Per pipeline: why it cannot be scheduled (a schedule that never fires …). */
  private readonly problems = new Map<string, string>();
  /** Runs executing in this process, by run id. */
  private readonly active = new Map<string, Promise<void>>();
  private stopping = false;
  private wakeUp: () => void = () => {};

  constructor(private readonly options: DaemonOptions) {
    this.now = options.now ?? (() => new Date());
    this.state = options.state;
  }

  private get runsDir(): string {
    return join(this.options.stateDir, 'runs');
  }

  private persist(): void {
    saveDaemonState(this.options.stateDir, this.state);
  }

  /** One full cycle: follow + verify + reconcile. Never throws. */
  async cycle(): Promise<CycleResult> {
    const started = Date.now();
    const at = this.now().toISOString();
    let failure: { stage: CycleStage; error: string } | undefined;
    try {
      failure = await this.follow();
    } catch (error) {
      failure = { stage: 'other', error: (error as Error).message };
    }
    if (this.tree && this.desiredCommit) {
      try {
        if (this.options.target === 'kubernetes') {
          await this.options.reconciler!.reconcile(this.tree, this.desiredCommit);
        } else {
          const problem = await this.schedule();
          if (problem && !failure) failure = { stage: 'schedule', error: problem };
        }
      } catch (error) {
        const reported = (error as { stage?: unknown }).stage;
        const stage: CycleStage =
          this.options.target !== 'kubernetes' ? 'schedule' : reported === 'plan' ? 'plan' : 'apply';
        if (!failure) failure = { stage, error: (error as Error).message };
        this.options.log.error({ stage }, `reconcile failed: ${(error as Error).message}`);
      }
    }
    const result: CycleResult = {
      ok: failure === undefined,
      at,
      durationMs: Date.now() - started,
      ...(this.desiredCommit ? { commit: this.desiredCommit } : {}),
      ...(failure ?? {}),
    };
    this.lastCycle = result;
    this.options.metrics?.observeReconcile({
      durationSeconds: result.durationMs / 1000,
      finishedAtMs: Date.now(),
      ...(failure ? { errorStage: failure.stage } : {}),
    });
    return result;
  }

  /** Fetch the ref; verify a new commit; keep the last good one on any failure. */
  private async follow(): Promise<{ stage: CycleStage; error: string } | undefined> {
    const { log, follower } = this.options;
    // After a restart: serve the recorded good commit until the ref says otherwise.
    if (!this.tree && this.state.lastGood) {
      const commit = this.state.lastGood.commit;
      try {
        const tree = await follower.tree(commit);
        this.useCommit(commit, tree, readComposePipelines(tree));
      } catch (error) {
        log.warn({ commit }, `cannot reload the last good commit: ${(error as Error).message}`);
      }
    }
    let sha: string;
    try {
      sha = await follower.fetch(this.options.source, this.options.ref);
    } catch (error) {
      const message = error instanceof FollowError ? error.message : `git: ${(error as Error).message}`;
      log.error({ stage: 'git', serving: this.desiredCommit?.slice(0, 12) ?? null }, message);
      return { stage: 'git', error: message };
    }
    if (sha === this.desiredCommit) return undefined;
    if (this.refused?.commit === sha) {
      return { stage: 'compile', error: `commit ${sha.slice(0, 12)} refused: ${this.refused.reasons.join('; ')}` };
    }
    let tree: string;
    try {
      tree = await follower.tree(sha);
    } catch (error) {
      log.error({ stage: 'git', commit: sha }, (error as Error).message);
      return { stage: 'git', error: (error as Error).message };
    }
    const verdict = await verifyTree(tree);
    this.options.metrics?.setGeneratedStale(verdict.ok ? 0 : verdict.staleFiles);
    if (!verdict.ok) {
      this.refused = { commit: sha, reasons: verdict.reasons };
      log.error(
        { stage: 'compile', commit: sha, serving: this.desiredCommit ?? null },
        `refusing commit ${sha.slice(0, 12)}; ${this.desiredCommit ? `still serving ${this.desiredCommit.slice(0, 12)}` : 'nothing to serve yet'}:\n${verdict.reasons.join('\n')}`,
      );
      follower.pruneTrees(this.treesInUse());
      return { stage: 'compile', error: `commit ${sha.slice(0, 12)} refused: ${verdict.reasons.join('; ')}` };
    }
    const previous = this.desiredCommit;
    this.useCommit(sha, tree, verdict.pipelines);
    this.refused = undefined;
    this.state.lastGood = { commit: sha, at: this.now().toISOString() };
    this.persist();
    log.info(
      { commit: sha, previous: previous ?? null, pipelines: verdict.pipelines.length },
      `serving commit ${sha.slice(0, 12)} (${verdict.pipelines.length} pipeline${verdict.pipelines.length === 1 ? '' : 's'})`,
    );
    follower.pruneTrees(this.treesInUse());
    return undefined;
  }

  private useCommit(commit: string, tree: string, pipelines: ScheduledPipeline[]): void {
    this.desiredCommit = commit;
    this.tree = tree;
    const names = new Set(pipelines.map((p) => p.name));
    for (const gone of (this.desired ?? []).filter((p) => !names.has(p.name))) {
      this.options.metrics?.setExpectedInterval(gone.name, undefined);
    }
    this.desired = pipelines;
    for (const p of pipelines) {
      let gap: number | undefined;
      try {
        gap = p.enabled && p.schedule ? longestGapSeconds(p.schedule, this.now()) : undefined;
      } catch {
        gap = undefined; // a schedule that never fires is reported by schedule()
      }
      this.options.metrics?.setExpectedInterval(p.name, gap);
    }
  }

  /** Commits whose work trees must stay: the served one and those of active runs. */
  private treesInUse(): Set<string> {
    const keep = new Set<string>();
    if (this.desiredCommit) keep.add(this.desiredCommit);
    for (const p of Object.values(this.state.pipelines))
      for (const r of p.runs) if (r.commit && (r.status === 'running' || r.status === 'queued')) keep.add(r.commit);
    return keep;
  }

  /** Docker: record due intervals, start what may start, prune what left the branch. Returns a problem or undefined. */
  async schedule(): Promise<string | undefined> {
    const now = this.now();
    const { log } = this.options;
    const desired = this.desired ?? [];
    const names = new Set(desired.map((p) => p.name));
    let recorded = false;
    this.problems.clear();
    for (const p of desired) {
      this.state.pipelines[p.name] ??= { runs: [] };
      const entry = this.state.pipelines[p.name]!;
      if (entry.removedAt) {
        delete entry.removedAt;
        recorded = true;
      }
      if (!p.enabled || !p.schedule) continue;
      let due: ReturnType<typeof dueIntervals>;
      try {
        due = dueIntervals(p.schedule, {
          now,
          ...(entry.after ? { after: new Date(entry.after) } : {}),
          limit: this.options.maxCatchup,
        });
      } catch (error) {
        const message = error instanceof CalendarError ? error.message : `calendar: ${(error as Error).message}`;
        this.problems.set(p.name, message);
        log.error({ pipeline: p.name }, message);
        continue;
      }
      for (const interval of due.due) {
        const ds = localDate(interval.start, p.schedule.timezone);
        entry.runs.push({
          start: interval.start.toISOString(),
          end: interval.end.toISOString(),
          ds,
          runId: newRunId(ds, this.runsDir),
          status: 'queued',
          queuedAt: now.toISOString(),
        });
        entry.after = interval.start.toISOString();
        recorded = true;
      }
      if (due.truncated) log.info({ pipeline: p.name }, 'catching up: more intervals follow in the next cycle');
    }
    // Pipelines that left the branch: unscheduled, queued runs cancelled.
    const removed: string[] = [];
    for (const [name, entry] of Object.entries(this.state.pipelines)) {
      if (names.has(name)) continue;
      if (!entry.removedAt) {
        entry.removedAt = now.toISOString();
        recorded = true;
        log.info({ pipeline: name }, `pipeline ${name} is no longer on the branch: unscheduled`);
      }
      for (const r of entry.runs) {
        if (r.status === 'queued') {
          r.status = 'cancelled';
          r.finishedAt = now.toISOString();
          r.error = 'the pipeline was removed from the branch';
          recorded = true;
        }
      }
      removed.push(name);
    }
    if (recorded) this.persist(); // intent before any start
    this.updateSla(now);
    let problem: string | undefined;
    for (const p of desired) {
      const startProblem = await this.startRuns(p);
      problem ??= startProblem;
    }
    // Runs of removed pipelines that were running when the daemon stopped still finish (from their own commit).
    for (const name of removed) await this.resumeOrphans(name);
    await this.prune(removed);
    for (const entry of Object.values(this.state.pipelines)) trimRuns(entry);
    return problem;
  }

  private updateSla(now: Date): void {
    let changed = false;
    for (const p of this.desired ?? []) {
      if (p.slaSeconds === undefined) continue;
      for (const r of this.state.pipelines[p.name]?.runs ?? []) {
        if (r.sla === 'met' || r.sla === 'missed' || r.status === 'cancelled') continue;
        const succeededAt = r.status === 'succeeded' && r.finishedAt ? new Date(r.finishedAt) : undefined;
        const sla = slaState({ start: new Date(r.start), end: new Date(r.end) }, p.slaSeconds, succeededAt, now);
        if (sla === r.sla) continue;
        r.sla = sla;
        changed = true;
        if (sla === 'missed') {
          this.options.log.warn(
            { pipeline: p.name, runId: r.runId, logicalDate: r.start, ds: r.ds },
            `SLA missed: ${p.name} ${r.ds} had not succeeded ${p.slaSeconds}s after its scheduled time ${r.end}`,
          );
          this.options.metrics?.slaMissed(p.name);
        }
      }
    }
    if (changed) this.persist();
  }

  /** Start (or resume) runs of one pipeline up to its concurrency, oldest first. */
  private async startRuns(p: ScheduledPipeline): Promise<string | undefined> {
    const entry = this.state.pipelines[p.name];
    if (!entry) return undefined;
    // Running entries not executing here were interrupted (crash, SIGTERM): resume them first, whatever the limit.
    for (const r of entry.runs) {
      if (r.status === 'running' && !this.active.has(r.runId) && !this.stopping) this.launch(p.name, r);
    }
    if (!p.enabled || this.stopping) return undefined;
    let activeCount = entry.runs.filter((r) => r.status === 'running').length;
    for (const r of entry.runs) {
      if (activeCount >= p.plan.concurrency) break;
      if (r.status !== 'queued') continue;
      const problem = await this.preflight(p);
      if (problem) return problem;
      r.status = 'running';
      r.startedAt = this.now().toISOString();
      r.commit = this.desiredCommit!;
      r.specHash = p.plan.specHash;
      this.persist(); // intent: the run id is recorded as running before the runtime acts
      this.options.metrics?.observeSchedulerLag(p.name, (Date.parse(r.startedAt) - Date.parse(r.end)) / 1000);
      this.launch(p.name, r);
      activeCount++;
    }
    return undefined;
  }

  private readonly preflighted = new Map<string, string>();

  /** The engine is reachable and the plan's images are present (once per spec hash). */
  private async preflight(p: ScheduledPipeline): Promise<string | undefined> {
    if (this.preflighted.get(p.name) === p.plan.specHash) return undefined;
    try {
      await this.options.executor!.preflight(p.plan.tasks);
    } catch (error) {
      const message = `${p.name}: ${(error as Error).message}`;
      this.options.log.error({ pipeline: p.name }, message);
      return message;
    }
    this.preflighted.set(p.name, p.plan.specHash);
    return undefined;
  }

  private async resumeOrphans(name: string): Promise<void> {
    if (this.stopping) return;
    for (const r of this.state.pipelines[name]?.runs ?? []) {
      if (r.status === 'running' && !this.active.has(r.runId)) this.launch(name, r);
    }
  }

  /** Execute (or continue) one recorded run in the background. */
  private launch(pipeline: string, r: RunEntry): void {
    const promise = this.execute(pipeline, r)
      .catch((error: unknown) => {
        if (error instanceof LockHeldError) {
          this.options.log.warn({ pipeline, runId: r.runId }, 'the run is being executed by another live process');
          return;
        }
        r.status = 'failed';
        r.finishedAt = this.now().toISOString();
        r.error = (error as Error).message;
        this.options.log.error({ pipeline, runId: r.runId, ds: r.ds }, `run could not execute: ${r.error}`);
      })
      .finally(() => {
        this.active.delete(r.runId);
        if (!this.stopping || r.status !== 'running') this.persist();
        this.wakeUp();
      });
    this.active.set(r.runId, promise);
  }

  private async execute(pipeline: string, r: RunEntry): Promise<void> {
    const { log } = this.options;
    const commit = r.commit ?? this.desiredCommit!;
    const tree = commit === this.desiredCommit ? this.tree! : await this.options.follower.tree(commit);
    const plans = commit === this.desiredCommit ? this.desired! : readComposePipelines(tree);
    const p = plans.find((x) => x.name === pipeline);
    if (!p) throw new Error(`commit ${commit.slice(0, 12)} has no pipeline ${pipeline}`);
    const plan = p.plan;
    const previous: RunState | undefined = loadRunState(this.runsDir, r.runId);
    if (previous && previous.status !== 'running') {
      // Finished before the daemon could record it.
      this.finish(pipeline, r, previous.status);
      return;
    }
    if (previous && previous.specHash !== plan.specHash) {
      throw new Error(
        `run ${r.runId} was started from spec hash ${previous.specHash.slice(0, 12)}, commit ${commit.slice(0, 12)} has ${plan.specHash.slice(0, 12)}`,
      );
    }
    const params = previous ? { values: previous.params, problems: [] } : resolveParams(plan, {});
    if (params.problems.length > 0) throw new Error(params.problems.join('; '));
    const secrets = resolveSecrets(plan, { env: this.options.env });
    if (secrets.missing.length > 0) {
      throw new Error(
        `missing secret values: ${secrets.missing.map((s) => `${s.ref} (set ${s.variable})`).join(', ')}`,
      );
    }
    const child = log.child({ pipeline, runId: r.runId, ds: r.ds });
    const reporter: RunReporter = {
      log: (task, stream, line) => child.info({ task, stream }, line),
      note: (task, message) => child.info(task ? { task } : {}, message),
    };
    child.info(
      { logicalDate: r.start, scheduledAt: r.end, commit: commit.slice(0, 12) },
      `${previous ? 'resuming' : 'starting'} ${pipeline} for ${r.ds} (interval ${r.start} .. ${r.end})`,
    );
    const state = await executeRun({
      plan,
      artifact: `${p.artifact} @ ${commit.slice(0, 12)}`,
      logicalDate: r.ds,
      logicalTime: r.start,
      runId: r.runId,
      params: params.values,
      executor: this.options.executor!,
      secrets: secrets.byTask,
      runsDir: this.runsDir,
      ledgerFile: join(this.options.stateDir, 'ledger.jsonl'),
      cwd: tree,
      env: this.options.env,
      concurrency: this.options.taskConcurrency,
      reporter,
      commit,
      ...(previous ? { resume: previous } : {}),
      ...(this.options.lineage
        ? {
            observer: runLineageObserver({
              plan,
              config: this.options.lineage.config,
              transport: this.options.lineage.transport,
              root: tree,
              commit,
              producer: this.options.lineage.producer,
            }),
          }
        : {}),
    });
    // SLA misses are counted by the scheduler against the scheduled time (finish/updateSla), not here.
    if (this.options.metrics) observeRunState(this.options.metrics, { ...plan, slaSeconds: undefined }, state);
    this.finish(pipeline, r, state.status);
  }

  private finish(pipeline: string, r: RunEntry, status: RunState['status']): void {
    if (status === 'running') return;
    r.status = status;
    r.finishedAt = this.now().toISOString();
    const p = this.desired?.find((x) => x.name === pipeline);
    if (p?.slaSeconds !== undefined && r.sla !== 'missed') {
      const succeededAt = status === 'succeeded' ? new Date(r.finishedAt) : undefined;
      r.sla = slaState({ start: new Date(r.start), end: new Date(r.end) }, p.slaSeconds, succeededAt, this.now());
      if (r.sla === 'missed') this.options.metrics?.slaMissed(pipeline);
    }
    (status === 'succeeded' ? this.options.log.info : this.options.log.warn).call(
      this.options.log,
      { pipeline, runId: r.runId, ds: r.ds, status },
      `run ${r.runId} of ${pipeline} for ${r.ds} ${status}`,
    );
  }

  /** Remove leftover (not running) containers of removed pipelines, only those of runs this daemon recorded. */
  private async prune(removed: string[]): Promise<void> {
    const docker = this.options.docker;
    if (removed.length === 0 || !docker) return;
    for (const name of removed) {
      const ours = new Set(this.state.pipelines[name]?.runs.map((r) => r.runId) ?? []);
      if (ours.size === 0) continue;
      let list: Awaited<ReturnType<typeof docker.listContainers>>;
      try {
        list = await docker.listContainers({
          all: true,
          filters: { label: [`${LABEL.managedBy}=pipewright`, `${LABEL.pipeline}=${name}`] },
        });
      } catch (error) {
        this.options.log.warn({ pipeline: name }, `cannot list containers to prune: ${(error as Error).message}`);
        continue;
      }
      for (const c of list) {
        const runId = c.Labels[LABEL.runId] ?? '';
        if (!ours.has(runId) || c.State === 'running' || this.active.has(runId)) continue;
        try {
          await docker.getContainer(c.Id).remove({ force: false });
          this.options.log.info(
            { pipeline: name, container: c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12) },
            'pruned a leftover container of a removed pipeline',
          );
          this.options.metrics?.observeApplyAction('docker', 'container', 'prune');
        } catch (error) {
          this.options.log.warn(
            { pipeline: name },
            `cannot remove container ${c.Id.slice(0, 12)}: ${(error as Error).message}`,
          );
        }
      }
    }
  }

  /** The earliest time something becomes due (for the main loop's sleep). */
  nextWake(): Date | undefined {
    let earliest: number | undefined;
    const now = this.now();
    for (const p of this.desired ?? []) {
      if (!p.enabled || !p.schedule || this.problems.has(p.name)) continue;
      try {
        const { lower, upper } = bounds(p.schedule);
        const due = nextDueTime(p.schedule, now, lower, upper);
        if (due && (earliest === undefined || due.getTime() < earliest)) earliest = due.getTime();
      } catch {
        // reported by schedule()
      }
    }
    return earliest === undefined ? undefined : new Date(earliest);
  }

  /** Resolves when a run finishes (or `wake()` is called). */
  waitForChange(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  wake(): void {
    this.wakeUp();
  }

  /** Stop scheduling; resolves true when every run finished within `graceMs`, false when some are left running. */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    const all = Promise.all(this.active.values()).then(() => true);
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref());
    return Promise.race([all, timeout]);
  }

  activeRuns(): number {
    return this.active.size;
  }

  status(): DaemonStatus {
    const now = this.now();
    const desired = this.desired ?? [];
    const names = new Set(desired.map((p) => p.name));
    const pipelines: PipelineStatus[] = desired.map((p) => {
      const entry: PipelineEntry = this.state.pipelines[p.name] ?? { runs: [] };
      let nextDue: Date | undefined;
      if (p.enabled && p.schedule && !this.problems.has(p.name)) {
        try {
          const { lower, upper } = bounds(p.schedule);
          nextDue = nextDueTime(p.schedule, now, lower, upper);
        } catch {
          nextDue = undefined;
        }
      }
      const lastRun = [...entry.runs].reverse().find((r) => r.status !== 'queued');
      const problem = this.problems.get(p.name);
      return {
        name: p.name,
        enabled: p.enabled,
        ...(p.schedule
          ? { schedule: p.schedule.cron, timezone: p.schedule.timezone, catchup: p.schedule.catchup }
          : {}),
        concurrency: p.plan.concurrency,
        ...(p.slaSeconds !== undefined ? { slaSeconds: p.slaSeconds } : {}),
        ...(nextDue ? { nextDue: nextDue.toISOString() } : {}),
        active: entry.runs.filter((r) => r.status === 'running').length,
        queued: entry.runs.filter((r) => r.status === 'queued').length,
        ...(lastRun ? { lastRun } : {}),
        slaMissed: entry.runs.filter((r) => r.sla === 'missed').length,
        ...(problem ? { problem } : {}),
      };
    });
    return {
      source: this.options.source,
      ref: this.options.ref,
      target: this.options.target,
      ...(this.state.lastGood ? { lastGood: this.state.lastGood } : {}),
      ...(this.refused ? { refused: this.refused } : {}),
      ...(this.lastCycle ? { lastCycle: this.lastCycle } : {}),
      ...(this.options.reconciler?.status ? { kubernetes: this.options.reconciler.status() } : {}),
      pipelines,
      removed: Object.keys(this.state.pipelines)
        .filter((n) => !names.has(n))
        .sort(),
    };
  }

  ready(): boolean {
    return this.lastCycle?.ok === true;
  }
}

/** One daemon per state directory. */
export function lockStateDir(stateDir: string): () => void {
  return acquireLock(join(stateDir, 'daemon'), 0);
}
