/**
 * The Kubernetes plan + apply flow, shared by `pipewright plan|apply --target kubernetes` and the reconcile daemon
 * (src/loop/kubernetes-target.ts): desired state from the committed generated/k8s of a directory, live state from
 * the namespace and its inventory, one plan, then (applyMade) the staged server-side apply of src/reconcile/apply.
 */
import type { ProjectConfig } from '../config/types.js';
import { KubeClient } from '../kube/client.js';
import { loadClusterAccess } from '../kube/kubeconfig.js';
import { appendLedgerBatch, type LedgerEntry, type LedgerOptions } from '../runtime/ledger.js';
import { applyPlan } from './apply.js';
import { isSubset } from './field-diff.js';
import { INVENTORY_NAME } from './inventory.js';
import { dryRunAll, getLive, listLive, readInventory, requireNamespace } from './live.js';
import { type LoadDesiredOptions, loadDesired } from './load-desired.js';
import { desiredHash, placeObject } from './normalize.js';
import { APPLIED_HASH_ANNOTATION, type KubeObject, type ObjectRef, refKey, refOf } from './object.js';
import { type Action, type DesiredObject, isOurs, isUpToDate, type Plan, planActions, refsToDryRun } from './plan.js';
import { stillVerified, VerifiedRecords, verifiedOf } from './verified.js';

/**
 * Above this many objects to compare in full, one LIST of everything (today's path) is cheaper than a GET of each
 * (at 1,000 pipelines a full LIST carries 141 MiB; a GET of one object costs a round trip).
 */
const GET_AT_MOST = 200;

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

/**
 * Live state: with records of what this machine verified (verified.ts), a metadata-only LIST and a full GET of only
 * the objects of ours not verified since their last write (or a full LIST when they are many); without, a full LIST.
 */
async function readLive(
  client: KubeClient,
  namespace: string,
  kinds: { group: string; kind: string }[],
  desired: readonly DesiredObject[],
  inventory: Made['inventory'],
  records: VerifiedRecords | undefined,
): Promise<{ live: Map<string, KubeObject>; verified?: Set<string> }> {
  if (!records) return { live: await listLive(client, namespace, kinds) };
  const live = await listLive(client, namespace, kinds, { metadataOnly: true });
  const verified = new Set<string>();
  const compare: ObjectRef[] = [];
  for (const d of desired) {
    const ref = refOf(d.object, namespace);
    const key = refKey(ref);
    const meta = live.get(key);
    if (!meta || !isOurs(meta, inventory, key)) continue;
    const hash = desiredHash(placeObject(d.object, namespace));
    if (meta.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash && stillVerified(records.get(key), meta, hash))
      verified.add(key);
    else compare.push(ref);
  }
  if (compare.length > GET_AT_MOST) return { live: await listLive(client, namespace, kinds), verified };
  const full = await getLive(client, compare);
  for (const ref of compare) {
    const key = refKey(ref);
    const object = full.get(key);
    if (object) live.set(key, object);
    else live.delete(key);
  }
  return { live, verified };
}

/** After a plan: record the objects of ours found up to date by a full comparison; forget the others. */
function recordVerified(
  records: VerifiedRecords,
  namespace: string,
  desired: readonly DesiredObject[],
  live: ReadonlyMap<string, KubeObject>,
  inventory: Made['inventory'],
  verified: ReadonlySet<string>,
): void {
  const keep = new Set<string>();
  for (const d of desired) {
    const key = refKey(refOf(d.object, namespace));
    const object = live.get(key);
    if (!object || !isOurs(object, inventory, key)) continue;
    keep.add(key);
    if (verified.has(key)) continue;
    const placed = placeObject(d.object, namespace);
    records.set(key, isUpToDate(placed, object) ? verifiedOf(object, desiredHash(placed)) : undefined);
  }
  records.retain(keep);
}

export interface Made {
  plan: Plan;
  client: KubeClient;
  inventory: Awaited<ReturnType<typeof readInventory>>;
  live: Awaited<ReturnType<typeof listLive>>;
  /** What this machine verified about the live objects (with the cache only); apply adds what it writes. */
  records?: VerifiedRecords;
}

/** The plan for one namespace; the caller closes made.client. */
export async function makePlan(options: PlanFlowOptions): Promise<Made> {
  const given = options.namespace ?? options.defaultNamespace;
  const clusterAccess = () =>
    loadClusterAccess({ env: options.env, ...(options.context ? { context: options.context } : {}) });
  // the namespace objects are placed in, known before loading when the kubeconfig is readable (the desired cache
  // keeps the objects' hashes there); a kubeconfig error is reported after the desired state's, as always
  let early: ReturnType<typeof loadClusterAccess> | undefined;
  try {
    early = clusterAccess();
  } catch {
    early = undefined;
  }
  const place = given ?? (early ? (early.namespace ?? 'default') : undefined);
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
        ...(place !== undefined ? { placeNamespace: place } : {}),
        ...(options.useCache ? { useCache: true, env: options.env } : {}),
        allowEmpty: options.allowEmpty,
      })
    ).desired;
  const access = early ?? clusterAccess();
  const namespace = given ?? access.namespace ?? 'default';
  const client = new KubeClient(access);
  try {
    await requireNamespace(client, namespace);
    const inventory = await readInventory(client, namespace, options.inventory ?? INVENTORY_NAME);
    const kinds = [...desired.map((d) => refOf(d.object, namespace)), ...(inventory?.refs ?? [])].map((r) => ({
      group: r.group,
      kind: r.kind,
    }));
    const records = options.useCache
      ? await VerifiedRecords.open({
          cwd: options.cwd,
          env: options.env,
          server: access.server,
          namespace,
          inventory: options.inventory ?? INVENTORY_NAME,
        })
      : undefined;
    const { live, verified } = await readLive(client, namespace, kinds, desired, inventory, records);
    const base = { namespace, desired, live, inventory, ...(verified ? { verified } : {}) };
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
    if (records && verified) {
      recordVerified(records, namespace, desired, live, inventory, verified);
      await records.save();
    }
    return { plan, client, inventory, live, ...(records ? { records } : {}) };
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
  const { records } = made;
  try {
    await applyPlan(made.client, made.plan, made.inventory, made.live, {
      inventoryName: options.inventory ?? INVENTORY_NAME,
      force: options.forceConflicts,
      record: options.record,
      // the server's answer is the object as stored: verified when it holds every field sent (annotation included)
      ...(records
        ? {
            applied(action: Action, stored: KubeObject) {
              const hash = action.object?.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
              const ok = hash !== undefined && isSubset(action.object, stored);
              records.set(refKey(action.ref), ok ? verifiedOf(stored, hash) : undefined);
            },
          }
        : {}),
    });
  } finally {
    await records?.save();
  }
}

/** Ledger details of one object action. */
function ledgerDetails(a: Action): Record<string, string> {
  return { namespace: a.ref.namespace, group: a.ref.group, kind: a.ref.kind, name: a.ref.name };
}

/** Object actions per ledger batch: one lock, write and fsync per batch instead of per object. */
const LEDGER_BATCH = 100;

/**
 * The ledger side of applyMade, shared by `apply` and the reconcile daemon: `record` is applyMade's record callback
 * (one `k8s.<type>` entry per object action, with the commit applied); entries are appended in batches of
 * LEDGER_BATCH, and `flush` — to be called when apply ends, however it ends — writes the rest.
 */
export function objectLedger(
  file: string,
  commit: string | null,
  options: LedgerOptions,
): { record(action: Action, result: 'ok' | 'failed', message?: string): void; flush(): void } {
  const pending: (LedgerEntry & { at: Date })[] = [];
  const flush = () => {
    appendLedgerBatch(file, pending.splice(0), options);
  };
  return {
    record(action, result, message) {
      pending.push({
        action: `k8s.${action.type}`,
        pipeline: action.pipeline ?? '',
        version: action.version ?? '',
        specHash: action.specHash ?? '',
        commit,
        result,
        details: { ...ledgerDetails(action), ...(message ? { error: message } : {}) },
        at: new Date(),
      });
      if (pending.length >= LEDGER_BATCH) flush();
    },
    flush,
  };
}
