/**
 * The reconcile loop. Each cycle: follow the ref (fetch, resolve to a SHA), check the commit out into a private
 * work tree and verify it (valid specs, generated/ exactly what compile writes) — a bad commit is refused with its
 * reasons and the last good one stays in service — then reconcile the target:
 *   docker      the scheduler below, over generated/compose/* (generated/<env>/compose/* with --env) of the good commit;
 *   kubernetes  the plan + apply of src/reconcile (src/loop/kubernetes-target.ts).
 * A commit is verified once (in a worker thread, src/loop/verify-worker.ts, so the HTTP endpoints keep answering);
 * a cycle whose fetch finds the same commit costs the fetch and a scheduler pass over cached due times.
 *
 * Docker scheduler: due intervals come from the pure calendar (src/loop/calendar.ts); each one is recorded in the
 * daemon state (run id, `queued`, watermark) before anything starts, and runs go through the same runtime as
 * `pipewright run` (executeRun + the docker executor), at most spec.concurrency active per pipeline, oldest first.
 * Per pipeline the scheduler keeps the instant its next interval becomes due (the calendar's answer, valid until
 * then for the same schedule and watermark): a pass asks the calendar only for pipelines whose instant has come,
 * and a timer armed for the earliest instant starts a pass at that moment, whatever the fetch cycle is doing.
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
import { CalendarError, dueIntervals, localDate, slaState } from './calendar.js';
import { readComposePipeline, type ScheduledPipeline } from './desired.js';
import { FollowError, type Follower } from './follow.js';
import { type DaemonState, type PipelineEntry, type RunEntry, saveDaemonState, trimRuns } from './state.js';
import { gapKey, verifyOffThread } from './verify-worker.js';

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
  /** The environment of pipewright.yaml whose artifacts are served (generated/<env>/…). */
  environment?: string;
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
  environment?: string;
  lastGood?: { commit: string; at: string };
  refused?: { commit: string; reasons: string[] };
  lastCycle?: CycleResult;
  pipelines: PipelineStatus[];
  removed: string[];
  /** --target kubernetes: the last plan's counts, whether it was applied, its error. */
  kubernetes?: object;
}

/** The commit in service: its work tree and the pipelines of its artifacts. */
interface Served {
  commit: string;
  tree: string;
  pipelines: ScheduledPipeline[];
  byName: Map<string, ScheduledPipeline>;
}

/**
 * The calendar's last answer for one pipeline. Valid while the schedule and the watermark are the same and the clock
 * has not reached `checkAt` (no interval can end before then); `checkAt` undefined: nothing will ever be due (past
 * endDate, or `problem`).
 */
interface CalendarEntry {
  key: string;
  computedAt: number;
  checkAt?: number;
  /** What the status page shows as next due (absent while catching up or when nothing will be due). */
  nextDue?: Date;
  problem?: string;
}

/** A pass yields to the event loop after this much work, so HTTP requests are answered during long passes. */
const SLICE_MS = 15;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Daemon {
  private readonly now: () => Date;
  private readonly state: DaemonState;
  private served: Served | undefined;
  private refused: { commit: string; reasons: string[] } | undefined;
  private lastCycle: CycleResult | undefined;
  private readonly calendar = new Map<string, CalendarEntry>();
  /** Longest gap per schedule (gapKey), for the expected-interval metric; null: none. */
  private readonly gaps = new Map<string, number | null>();
  /** Removed pipelines whose leftovers were pruned with nothing of theirs left running or queued. */
  private readonly pruned = new Set<string>();
  /** Runs executing in this process, by run id. */
  private readonly active = new Map<string, Promise<void>>();
  private stopping = false;
  /** Scheduler passes run one at a time; at most one more waits. */
  private passes: Promise<unknown> = Promise.resolve();
  private waiting: Promise<string | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;

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

  private get environmentOption(): { environment?: string } {
    return this.options.environment !== undefined ? { environment: this.options.environment } : {};
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
    const served = this.served;
    if (served) {
      try {
        if (this.options.target === 'kubernetes') {
          await this.options.reconciler!.reconcile(served.tree, served.commit);
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
      ...(this.served ? { commit: this.served.commit } : {}),
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
    if (!this.served && this.state.lastGood) {
      const commit = this.state.lastGood.commit;
      try {
        const tree = await follower.tree(commit);
        const read = await this.readCommit('read', commit, tree);
        if (read.ok) this.useCommit(commit, tree, read.pipelines);
      } catch (error) {
        log.warn({ commit }, `cannot reload the last good commit: ${(error as Error).message}`);
      }
    }
    let sha: string;
    try {
      sha = await follower.fetch(this.options.source, this.options.ref);
    } catch (error) {
      const message = error instanceof FollowError ? error.message : `git: ${(error as Error).message}`;
      log.error({ stage: 'git', serving: this.served?.commit.slice(0, 12) ?? null }, message);
      return { stage: 'git', error: message };
    }
    // The commit in service: nothing to verify or read again.
    if (sha === this.served?.commit) return undefined;
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
    const verdict = await this.readCommit('verify', sha, tree);
    this.options.metrics?.setGeneratedStale(verdict.ok ? 0 : verdict.staleFiles);
    const serving = this.served?.commit;
    if (!verdict.ok) {
      this.refused = { commit: sha, reasons: verdict.reasons };
      log.error(
        { stage: 'compile', commit: sha, serving: serving ?? null },
        `refusing commit ${sha.slice(0, 12)}; ${serving ? `still serving ${serving.slice(0, 12)}` : 'nothing to serve yet'}:\n${verdict.reasons.join('\n')}`,
      );
      follower.pruneTrees(this.treesInUse());
      return { stage: 'compile', error: `commit ${sha.slice(0, 12)} refused: ${verdict.reasons.join('; ')}` };
    }
    this.useCommit(sha, tree, verdict.pipelines);
    this.refused = undefined;
    this.state.lastGood = { commit: sha, at: this.now().toISOString() };
    this.persist();
    log.info(
      { commit: sha, previous: serving ?? null, pipelines: verdict.pipelines.length },
      `serving commit ${sha.slice(0, 12)} (${verdict.pipelines.length} pipeline${verdict.pipelines.length === 1 ? '' : 's'})`,
    );
    follower.pruneTrees(this.treesInUse());
    return undefined;
  }

  /** Verify (or only read) a commit in a worker thread; the schedules' gaps arrive later, for the metrics. */
  private readCommit(mode: 'verify' | 'read', commit: string, tree: string) {
    return verifyOffThread(
      {
        mode,
        tree,
        ...this.environmentOption,
        now: this.now().getTime(),
        knownGaps: Object.fromEntries(this.gaps),
      },
      (gaps) => {
        for (const [key, gap] of Object.entries(gaps)) this.gaps.set(key, gap);
        if (this.served?.commit === commit) this.publishGaps(this.served.pipelines);
      },
    );
  }

  private useCommit(commit: string, tree: string, pipelines: ScheduledPipeline[]): void {
    const byName = new Map(pipelines.map((p) => [p.name, p]));
    for (const gone of this.served?.pipelines ?? []) {
      if (!byName.has(gone.name)) this.options.metrics?.setExpectedInterval(gone.name, undefined);
    }
    this.served = { commit, tree, pipelines, byName };
    this.publishGaps(pipelines);
  }

  /** The expected-interval metric of every pipeline whose schedule's gap is known. */
  private publishGaps(pipelines: ScheduledPipeline[]): void {
    for (const p of pipelines) {
      if (!p.enabled || !p.schedule) {
        this.options.metrics?.setExpectedInterval(p.name, undefined);
        continue;
      }
      const gap = this.gaps.get(gapKey(p.schedule));
      if (gap !== undefined) this.options.metrics?.setExpectedInterval(p.name, gap ?? undefined);
    }
  }

  /** Commits whose work trees must stay: the served one and those of active runs. */
  private treesInUse(): Set<string> {
    const keep = new Set<string>();
    if (this.served) keep.add(this.served.commit);
    for (const p of Object.values(this.state.pipelines))
      for (const r of p.runs) if (r.commit && (r.status === 'running' || r.status === 'queued')) keep.add(r.commit);
    return keep;
  }

  /**
   * Docker: record due intervals, start what may start, prune what left the branch. Returns a problem or undefined.
   * Passes run one at a time; a call while one runs queues one more pass (calls meanwhile share it).
   */
  schedule(): Promise<string | undefined> {
    if (this.waiting) return this.waiting;
    const pass = this.passes.then(() => {
      this.waiting = undefined;
      return this.schedulePass();
    });
    this.waiting = pass;
    this.passes = pass.catch((error: unknown) =>
      this.options.log.error({ stage: 'schedule' }, `schedule: ${(error as Error).message}`),
    );
    return pass;
  }

  private async schedulePass(): Promise<string | undefined> {
    const served = this.served;
    if (this.options.target !== 'docker' || !served) return undefined;
    const now = this.now();
    const nowMs = now.getTime();
    const { log } = this.options;
    let recorded = false;
    let slice = performance.now();
    // Within one pass the clock is one instant: pipelines with the same schedule and watermark (common: many
    // pipelines at @daily) get the same answer, asked once.
    const answers = new Map<string, ReturnType<typeof dueIntervals>>();
    for (const p of served.pipelines) {
      this.state.pipelines[p.name] ??= { runs: [] };
      const entry = this.state.pipelines[p.name]!;
      if (entry.removedAt) {
        delete entry.removedAt;
        this.pruned.delete(p.name);
        recorded = true;
      }
      if (!p.enabled || !p.schedule) {
        this.calendar.delete(p.name);
        continue;
      }
      const key = JSON.stringify([p.schedule, entry.after ?? null]);
      const known = this.calendar.get(p.name);
      // Still valid: same schedule and watermark, the clock not before the answer (clocks may be set back) and not
      // yet at the instant something becomes due.
      if (known?.key === key && known.computedAt <= nowMs && (known.checkAt === undefined || known.checkAt > nowMs))
        continue;
      let due: ReturnType<typeof dueIntervals>;
      try {
        due =
          answers.get(key) ??
          dueIntervals(p.schedule, {
            now,
            ...(entry.after ? { after: new Date(entry.after) } : {}),
            limit: this.options.maxCatchup,
          });
        answers.set(key, due);
      } catch (error) {
        const message = error instanceof CalendarError ? error.message : `calendar: ${(error as Error).message}`;
        this.calendar.set(p.name, { key, computedAt: nowMs, problem: message });
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
      this.calendar.set(p.name, {
        key: JSON.stringify([p.schedule, entry.after ?? null]),
        computedAt: nowMs,
        // catching up: the next pass continues (the next cycle, or when a run finishes), no timer for it
        ...(due.truncated
          ? { checkAt: nowMs }
          : due.nextDue
            ? { checkAt: due.nextDue.getTime(), nextDue: due.nextDue }
            : {}),
      });
      if (performance.now() - slice > SLICE_MS) {
        await yieldToLoop();
        slice = performance.now();
      }
    }
    // Pipelines that left the branch: unscheduled, queued runs cancelled.
    const removed: string[] = [];
    for (const [name, entry] of Object.entries(this.state.pipelines)) {
      if (served.byName.has(name)) continue;
      this.calendar.delete(name);
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
    this.updateSla(now, served);
    let problem: string | undefined;
    for (const p of served.pipelines) {
      const entry = this.state.pipelines[p.name];
      if (!entry?.runs.some((r) => r.status === 'queued' || (r.status === 'running' && !this.active.has(r.runId))))
        continue;
      const startProblem = await this.startRuns(p, served);
      problem ??= startProblem;
    }
    // Runs of removed pipelines that were running when the daemon stopped still finish (from their own commit).
    for (const name of removed) this.resumeOrphans(name);
    await this.prune(removed.filter((name) => !this.pruned.has(name)));
    for (const entry of Object.values(this.state.pipelines)) trimRuns(entry);
    this.armTimer();
    return problem;
  }

  /** Wake the scheduler at the earliest instant a pipeline's next interval becomes due. */
  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopping) return;
    const nowMs = this.now().getTime();
    let earliest = Number.POSITIVE_INFINITY;
    for (const c of this.calendar.values())
      if (c.checkAt !== undefined && c.checkAt > nowMs && c.checkAt < earliest) earliest = c.checkAt;
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => void this.schedule(), Math.min(earliest - nowMs, 2 ** 31 - 1));
    this.timer.unref();
  }

  private updateSla(now: Date, served: Served): void {
    let changed = false;
    for (const p of served.pipelines) {
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
  private async startRuns(p: ScheduledPipeline, served: Served): Promise<string | undefined> {
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
      r.commit = served.commit;
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

  private resumeOrphans(name: string): void {
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
        // a slot is free: queued runs of the pipeline may start now
        if (!this.stopping) void this.schedule();
      });
    this.active.set(r.runId, promise);
  }

  private async execute(pipeline: string, r: RunEntry): Promise<void> {
    const { log } = this.options;
    const served = this.served!;
    const commit = r.commit ?? served.commit;
    const tree = commit === served.commit ? served.tree : await this.options.follower.tree(commit);
    const p =
      commit === served.commit
        ? served.byName.get(pipeline)
        : readComposePipeline(tree, pipeline, this.options.environment);
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
    const p = this.served?.byName.get(pipeline);
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
      const runs = this.state.pipelines[name]?.runs ?? [];
      const ours = new Set(runs.map((r) => r.runId));
      // nothing of it can leave a container any more once this prune is done: not listed again
      if (!runs.some((r) => r.status === 'running' || r.status === 'queued')) this.pruned.add(name);
      if (ours.size === 0) continue;
      let list: Awaited<ReturnType<typeof docker.listContainers>>;
      try {
        list = await docker.listContainers({
          all: true,
          filters: { label: [`${LABEL.managedBy}=pipewright`, `${LABEL.pipeline}=${name}`] },
        });
      } catch (error) {
        this.options.log.warn({ pipeline: name }, `cannot list containers to prune: ${(error as Error).message}`);
        this.pruned.delete(name);
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
          this.pruned.delete(name);
          this.options.log.warn(
            { pipeline: name },
            `cannot remove container ${c.Id.slice(0, 12)}: ${(error as Error).message}`,
          );
        }
      }
    }
  }

  /** Stop scheduling; resolves true when every run finished within `graceMs`, false when some are left running. */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const all = Promise.all(this.active.values()).then(() => true);
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref());
    return Promise.race([all, timeout]);
  }

  activeRuns(): number {
    return this.active.size;
  }

  status(): DaemonStatus {
    const desired = this.served?.pipelines ?? [];
    const names = this.served?.byName ?? new Map<string, ScheduledPipeline>();
    const pipelines: PipelineStatus[] = desired.map((p) => {
      const entry: PipelineEntry = this.state.pipelines[p.name] ?? { runs: [] };
      // the scheduler's answer (docker); kubernetes schedules in the cluster (CronJobs)
      const calendar = p.enabled && p.schedule ? this.calendar.get(p.name) : undefined;
      const nextDue = calendar?.nextDue;
      const lastRun = entry.runs.findLast((r) => r.status !== 'queued');
      const problem = calendar?.problem;
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
      ...this.environmentOption,
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
