/**
 * The Kubernetes plan + apply flow, shared by `pipewright plan|apply --target kubernetes` and the reconcile daemon
 * (src/loop/kubernetes-target.ts): desired state from the committed generated/k8s of a directory, live state from
 * the namespace and its inventory, one plan, then (applyMade) the staged server-side apply of src/reconcile/apply.
 */
import type { ProjectConfig } from '../config/types.js';
import { KubeClient } from '../kube/client.js';
import { loadClusterAccess } from '../kube/kubeconfig.js';
import { applyPlan } from './apply.js';
import { INVENTORY_NAME } from './inventory.js';
import { dryRunAll, listLive, readInventory, requireNamespace } from './live.js';
import { type LoadDesiredOptions, loadDesired } from './load-desired.js';
import { refOf } from './object.js';
import { type Action, type DesiredObject, type Plan, planActions, refsToDryRun } from './plan.js';

export interface PlanFlowOptions {
  /** Directory holding the specs and the committed <out>/k8s. */
  cwd: string;
  out: string;
  specPaths: string[];
  config?: ProjectConfig;
  /** pipewright.yaml's positions and the environment whose tree is the desired state (load-desired.ts). */
  project?: LoadDesiredOptions['project'];
  env: Record<string, string | undefined>;
  context?: string;
  /** Default: the context's namespace, else `default`. */
  namespace?: string;
  /** Used when namespace is not given, before the context's (an environment's namespace). */
  defaultNamespace?: string;
  inventory?: string;
  forceConflicts: boolean;
  allowEmpty: boolean;
  /** Reuse compile's persistent per-spec cache to check generated/k8s (load-desired.ts). */
  useCache?: boolean;
  /** Dry-run the objects to create too (default true; apply turns it off: refsToDryRun). */
  dryRunCreates?: boolean;
  /**
   * The desired objects when the caller has them already (the reconcile daemon reads a verified commit's
   * generated/k8s once, not at every cycle); otherwise loaded and checked against compile here.
   */
  desired?: DesiredObject[];
}

export interface Made {
  plan: Plan;
  client: KubeClient;
  inventory: Awaited<ReturnType<typeof readInventory>>;
  live: Awaited<ReturnType<typeof listLive>>;
}

/** The plan for one namespace; the caller closes made.client. */
export async function makePlan(options: PlanFlowOptions): Promise<Made> {
  const given = options.namespace ?? options.defaultNamespace;
  const desired =
    options.desired ??
    (
      await loadDesired({
        cwd: options.cwd,
        out: options.out,
        specPaths: options.specPaths,
        ...(options.config ? { config: options.config } : {}),
        ...(options.project ? { project: options.project } : {}),
        ...(given !== undefined ? { namespace: given } : {}),
        ...(options.useCache ? { useCache: true, env: options.env } : {}),
        allowEmpty: options.allowEmpty,
      })
    ).desired;
  const access = loadClusterAccess({ env: options.env, ...(options.context ? { context: options.context } : {}) });
  const namespace = given ?? access.namespace ?? 'default';
  const client = new KubeClient(access);
  try {
    await requireNamespace(client, namespace);
    const inventory = await readInventory(client, namespace, options.inventory ?? INVENTORY_NAME);
    const kinds = [...desired.map((d) => refOf(d.object, namespace)), ...(inventory?.refs ?? [])].map((r) => ({
      group: r.group,
      kind: r.kind,
    }));
    const live = await listLive(client, namespace, kinds);
    const base = { namespace, desired, live, inventory };
    const dryRuns = await dryRunAll(
      client,
      namespace,
      desired,
      refsToDryRun(base, { creates: options.dryRunCreates ?? true }),
      {
        force: options.forceConflicts,
      },
    );
    const plan = planActions({ ...base, dryRuns, allowEmpty: options.allowEmpty });
    return { plan, client, inventory, live };
  } catch (e) {
    client.close();
    throw e;
  }
}

/** Carry a plan out (callers check refusal/blockers first); record() sees every object action. */
export async function applyMade(
  made: Made,
  options: {
    inventory?: string;
    forceConflicts: boolean;
    record(action: Action, result: 'ok' | 'failed', message?: string): void;
  },
): Promise<void> {
  await applyPlan(made.client, made.plan, made.inventory, made.live, {
    inventoryName: options.inventory ?? INVENTORY_NAME,
    force: options.forceConflicts,
    record: options.record,
  });
}

/** Ledger details of one object action. */
export function ledgerDetails(a: Action): Record<string, string> {
  return { namespace: a.ref.namespace, group: a.ref.group, kind: a.ref.kind, name: a.ref.name };
}
