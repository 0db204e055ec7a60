/**
 * `pipewright reconcile --target kubernetes`: every cycle, the plan + apply of `pipewright apply` (src/reconcile/
 * flow.ts) over generated/k8s of the commit in service, in its private work tree. The daemon verified that commit
 * (its generated/ is what compile writes), so its objects are read from the files its manifest lists once per commit,
 * not compiled again at every cycle (a compile of every spec on the daemon's main thread, each cycle). Nothing changed: a no-op plan
 * (one LIST per kind, zero writes). Every object action goes to the daemon's ledger with the commit; counts and
 * the last error are kept for /status.json, actions and drift go to the metrics. A refused or failed plan throws:
 * the daemon reports the cycle failed (stage plan or apply) and keeps the commit it serves.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openProjectAt } from '../config/index.js';
import { readManifest } from '../emit/write.js';
import { KubeApiError } from '../kube/client.js';
import { resolveEnvironment } from '../model/environments.js';
import type { PipewrightMetrics } from '../observe/metrics.js';
import { desiredFromFiles } from '../reconcile/desired.js';
import { applyMade, makePlan, objectLedger } from '../reconcile/flow.js';
import { blockers, type DesiredObject, hasChanges, type PlanSummary, summarize } from '../reconcile/plan.js';
import { readTextNoFollow } from '../spec/no-follow.js';
import type { TargetReconciler } from './daemon.js';

export interface KubernetesTargetOptions {
  stateDir: string;
  env: Record<string, string | undefined>;
  context?: string;
  namespace?: string;
  /** Reconcile generated/<env>/k8s, into the environment's namespace (as `apply --env`). */
  environment?: string;
  log: Logger;
  metrics?: PipewrightMetrics;
}

export interface KubernetesStatus {
  namespace?: string;
  commit?: string;
  at?: string;
  /** The last plan's counts (before it was applied). */
  plan?: PlanSummary;
  applied?: boolean;
  error?: { stage: 'plan' | 'apply'; message: string };
}

/** Thrown for a failed cycle; stage says where. */
export class KubernetesCycleError extends Error {
  constructor(
    readonly stage: 'plan' | 'apply',
    message: string,
  ) {
    super(message);
  }
}

function describe(error: unknown): string {
  if (error instanceof KubeApiError) return `the API server refused: ${error.status} ${error.reason}: ${error.message}`;
  return (error as Error).message;
}

/** The objects of a verified commit's generated/k8s (generated/<env>/k8s): the files its manifest lists. */
async function readDesired(tree: string, environment: string | undefined, namespace: string | undefined) {
  const out = join(tree, 'generated');
  const prefix = environment === undefined ? 'k8s/' : `${environment}/k8s/`;
  const manifest = await readManifest(out, 'generated');
  const paths = Object.keys(manifest?.files ?? {})
    .filter((p) => p.startsWith(prefix))
    .sort();
  const files: { path: string; text: string }[] = [];
  for (const p of paths) {
    const text = await readTextNoFollow(join(out, p), `generated/${p}`);
    if (text === undefined) throw new Error(`generated/${p} is listed in the manifest but missing`);
    files.push({ path: `generated/${p}`, text });
  }
  return desiredFromFiles(files, namespace);
}

export class KubernetesTarget implements TargetReconciler {
  private last: KubernetesStatus = {};
  /** The desired objects of the commit in service, read once. */
  private desired: { commit: string; objects: DesiredObject[] } | undefined;

  constructor(private readonly options: KubernetesTargetOptions) {
    if (options.namespace) this.last.namespace = options.namespace;
  }

  status(): KubernetesStatus {
    return this.last;
  }

  async reconcile(tree: string, commit: string): Promise<void> {
    const { log, metrics } = this.options;
    const at = new Date().toISOString();
    let made: Awaited<ReturnType<typeof makePlan>>;
    try {
      // the commit's own pipewright.yaml, as verifyTree read it (it refused a commit that does not declare --env)
      const opened = await openProjectAt(tree);
      const config = opened.ok ? opened.project.config : undefined;
      const configSource = opened.ok ? opened.project.configSource : undefined;
      const { environment } = this.options;
      const envNamespace =
        environment !== undefined && config && configSource
          ? resolveEnvironment(config, environment, configSource).environment?.namespace
          : undefined;
      const given = this.options.namespace ?? envNamespace;
      if (this.desired?.commit !== commit)
        this.desired = { commit, objects: await readDesired(tree, environment, given) };
      made = await makePlan({
        desired: this.desired.objects,
        ...(config ? { config } : {}),
        cwd: tree,
        out: 'generated',
        specPaths: ['pipelines'],
        project: { ...(configSource ? { configSource } : {}), ...(environment !== undefined ? { environment } : {}) },
        env: this.options.env,
        ...(this.options.context ? { context: this.options.context } : {}),
        ...(this.options.namespace ? { namespace: this.options.namespace } : {}),
        ...(envNamespace ? { defaultNamespace: envNamespace } : {}),
        forceConflicts: false,
        allowEmpty: false,
      });
    } catch (error) {
      return this.fail({ ...this.last, commit, at }, 'plan', describe(error));
    }
    const { plan, client } = made;
    try {
      const s = summarize(plan);
      const drift: Record<string, number> = {};
      for (const a of plan.actions) {
        metrics?.observeApplyAction('kubernetes', a.ref.kind, a.type);
        drift[a.ref.kind] = (drift[a.ref.kind] ?? 0) + (a.type === 'unchanged' ? 0 : 1);
      }
      metrics?.setDrift('kubernetes', drift);
      const base: KubernetesStatus = { namespace: plan.namespace, commit, at, plan: s, applied: false };
      const blocked = blockers(plan);
      if (plan.refusal) return this.fail(base, 'plan', `nothing applied: ${plan.refusal}`);
      if (blocked.length > 0) {
        return this.fail(
          base,
          'plan',
          `nothing applied: ${blocked.length} object${blocked.length === 1 ? '' : 's'} blocked the plan: ${blocked.map((a) => `${a.type} ${a.ref.kind}/${a.ref.name}${a.reason ? ` (${a.reason})` : ''}`).join('; ')}`,
        );
      }
      if (!hasChanges(plan)) {
        this.last = base;
        log.debug({ namespace: plan.namespace, commit }, 'kubernetes: nothing to apply');
        return;
      }
      const failures: string[] = [];
      const ledger = objectLedger(join(this.options.stateDir, 'ledger.jsonl'), commit, {
        cwd: tree,
        env: this.options.env,
      });
      try {
        try {
          await applyMade(made, {
            forceConflicts: false,
            record: (action, result, message) => {
              if (result === 'failed' && message) failures.push(message);
              ledger.record(action, result, message);
            },
          });
        } finally {
          ledger.flush();
        }
      } catch (error) {
        return this.fail(base, 'apply', describe(error));
      }
      this.last = { ...base, applied: true };
      log.info(
        { namespace: plan.namespace, commit, ...s },
        `kubernetes: applied ${commit.slice(0, 12)} to namespace ${plan.namespace}: ${s.create} created, ${s.update} updated, ${s.replace} replaced, ${s.prune} pruned`,
      );
    } finally {
      client.close();
    }
  }

  private fail(status: KubernetesStatus, stage: 'plan' | 'apply', message: string): never {
    this.last = { ...status, error: { stage, message } };
    throw new KubernetesCycleError(stage, message);
  }
}
