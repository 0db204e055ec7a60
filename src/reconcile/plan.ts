/**
 * The reconciler's pure core (gitops-engine's `Reconcile(target, live)`): desired objects × live objects × the
 * inventory × server-side dry-run outcomes → one typed action per object. No I/O: the driver lists, dry-runs and
 * applies; this decides.
 *
 * Ownership: an object is ours when it is labelled `app.kubernetes.io/managed-by: pipewright` AND listed in the
 * namespace's inventory. Anything else with a desired name is `foreign` (refused, never touched); inventory entries
 * that are no longer desired are pruned only when still labelled ours.
 */
import { diffValues, type FieldChange, isSubset } from './field-diff.js';
import type { Inventory } from './inventory.js';
import { desiredHash, normalizeObject, placeObject, toApply } from './normalize.js';
import {
  APPLIED_HASH_ANNOTATION,
  compareRefs,
  isLabelledOurs,
  type KubeObject,
  type ObjectRef,
  refDisplay,
  refKey,
  refOf,
} from './object.js';

/** One object of generated/k8s with where it came from. */
export interface DesiredObject {
  object: KubeObject;
  /** The generated file, e.g. `generated/k8s/daily-orders.yaml`. */
  file: string;
  pipeline?: string;
  specHash?: string;
  version?: string;
}

/** What a server-side apply dry-run (`dryRun=All`) of the desired object answered. */
export type DryRunOutcome =
  | { kind: 'ok'; object: KubeObject }
  /** A field that cannot change in place (Job templates, RoleBinding roleRef…): delete and create. */
  | { kind: 'immutable'; message: string }
  /** A field this apply would set is owned by another field manager (409 without force). */
  | { kind: 'conflict'; message: string }
  /** Anything else the API server refused (invalid, forbidden, missing namespace…). */
  | { kind: 'error'; message: string };

export type ActionType =
  | 'create'
  | 'update'
  | 'replace'
  | 'prune'
  | 'unchanged'
  | 'conflict'
  | 'foreign'
  | 'forget'
  | 'error';

export interface Action {
  type: ActionType;
  ref: ObjectRef;
  /** What apply sends (create, update, replace): the desired object in its namespace, with its applied hash. */
  object?: KubeObject;
  pipeline?: string;
  specHash?: string;
  version?: string;
  /** update and replace: field-level changes from live to what the server would store. */
  changes?: FieldChange[];
  /** conflict, foreign, error, replace, forget: why. */
  reason?: string;
  /** Apply refuses the whole plan while any action blocks (conflict, error, a desired name taken by a foreign object). */
  blocks?: true;
}

export interface PlanInput {
  namespace: string;
  desired: readonly DesiredObject[];
  /** Live objects found for every desired ref and every inventory ref, by refKey. */
  live: ReadonlyMap<string, KubeObject>;
  /** undefined: the namespace has no inventory yet. */
  inventory: Inventory | undefined;
  /** By refKey, for every ref {@link refsToDryRun} returned. */
  dryRuns: ReadonlyMap<string, DryRunOutcome>;
  /** Allow a plan that prunes every object of the inventory (nothing desired). */
  allowEmpty: boolean;
  /**
   * Keys of objects of ours known up to date without comparing fields (src/reconcile/verified.ts: not written since
   * they were verified against the same desired hash); their live object may be metadata only.
   */
  verified?: ReadonlySet<string>;
}

export interface Plan {
  namespace: string;
  /** Apply order: create/update/replace in kind order, then prunes in reverse kind order. */
  actions: Action[];
  /** Set when the plan must not be applied as a whole (e.g. it would prune everything without --allow-empty). */
  refusal?: string;
}

/** The inventory's keys, computed once per inventory (a plan asks for every desired object: 5,000 at 1,000 pipelines). */
const inventoryKeys = new WeakMap<Inventory, Set<string>>();

/** Ours: labelled as pipewright's and listed in the inventory. */
export function isOurs(live: KubeObject, inventory: Inventory | undefined, key: string): boolean {
  return isLabelledOurs(live) && inInventory(inventory, key);
}

function inInventory(inventory: Inventory | undefined, key: string): boolean {
  if (!inventory) return false;
  let keys = inventoryKeys.get(inventory);
  if (!keys) {
    keys = new Set(inventory.refs.map(refKey));
    inventoryKeys.set(inventory, keys);
  }
  return keys.has(key);
}

/** Up to date without asking the server: the hash apply recorded matches and nothing we set has drifted. */
export function isUpToDate(desired: KubeObject, live: KubeObject): boolean {
  return live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === desiredHash(desired) && isSubset(desired, live);
}

/**
 * Which desired objects need a server-side dry-run: those of ours that are not up to date, and those to create
 * unless `creates` is false (apply: the create itself is the server's check, as with kubectl; plan dry-runs them so a
 * refused create shows in the plan).
 */
export function refsToDryRun(
  input: Omit<PlanInput, 'dryRuns' | 'allowEmpty'>,
  options: { creates: boolean } = { creates: true },
): ObjectRef[] {
  const out: ObjectRef[] = [];
  for (const d of input.desired) {
    const ref = refOf(d.object, input.namespace);
    const key = refKey(ref);
    const live = input.live.get(key);
    const placed = placeObject(d.object, input.namespace);
    if (!live) {
      if (options.creates) out.push(ref);
    } else if (isOurs(live, input.inventory, key) && !input.verified?.has(key) && !isUpToDate(placed, live))
      out.push(ref);
  }
  return out;
}

/** Live values at the paths the desired object sets (what a replace changes, as far as we set it). */
function project(live: unknown, desired: unknown): unknown {
  if (desired && typeof desired === 'object' && !Array.isArray(desired)) {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return live;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(desired))
      if ((live as Record<string, unknown>)[k] !== undefined)
        out[k] = project((live as Record<string, unknown>)[k], (desired as Record<string, unknown>)[k]);
    return out;
  }
  return live;
}

const HASH_PATH = `metadata.annotations[${JSON.stringify(APPLIED_HASH_ANNOTATION)}]`;

/** Changes worth showing: the applied-hash bookkeeping only when it is the sole change. */
function visibleChanges(changes: FieldChange[]): FieldChange[] {
  const real = changes.filter((c) => c.path !== HASH_PATH);
  return real.length > 0 ? real : changes;
}

export function planActions(input: PlanInput): Plan {
  const { namespace, inventory } = input;
  const applyActions: Action[] = [];
  const pruneActions: Action[] = [];
  const desiredKeys = new Set<string>();

  for (const d of input.desired) {
    const ref = refOf(d.object, namespace);
    const key = refKey(ref);
    desiredKeys.add(key);
    const context = {
      ref,
      ...(d.pipeline ? { pipeline: d.pipeline } : {}),
      ...(d.specHash ? { specHash: d.specHash } : {}),
      ...(d.version ? { version: d.version } : {}),
    };
    const live = input.live.get(key);
    const ours = live !== undefined && isLabelledOurs(live) && inInventory(inventory, key);
    if (live && !ours) {
      applyActions.push({
        ...context,
        type: 'foreign',
        blocks: true,
        reason: isLabelledOurs(live)
          ? `${refDisplay(ref)} is labelled as pipewright's but is not in the inventory ${inventory?.name ?? '(none yet)'} of namespace ${namespace}: another project's, or created by hand; pipewright never takes over an object it did not record`
          : `${refDisplay(ref)} already exists in namespace ${namespace} and is not pipewright's (no app.kubernetes.io/managed-by=pipewright label): rename the pipeline or remove that object`,
      });
      continue;
    }
    if (live && (input.verified?.has(key) || isUpToDate(placeObject(d.object, namespace), live))) {
      applyActions.push({ ...context, type: 'unchanged' });
      continue;
    }
    const object = toApply(d.object, namespace);
    const dry = input.dryRuns.get(key);
    if (!dry && !live) {
      // not dry-run (apply's creates, see refsToDryRun): the create is checked by the server when it is made
      applyActions.push({ ...context, type: 'create', object });
      continue;
    }
    if (!dry) throw new Error(`planActions: no dry-run outcome for ${key}`);
    if (dry.kind === 'error') {
      applyActions.push({ ...context, type: 'error', blocks: true, reason: dry.message });
    } else if (dry.kind === 'conflict') {
      applyActions.push({ ...context, type: 'conflict', blocks: true, reason: dry.message });
    } else if (!live) {
      if (dry.kind === 'immutable') applyActions.push({ ...context, type: 'error', blocks: true, reason: dry.message });
      else applyActions.push({ ...context, type: 'create', object });
    } else if (dry.kind === 'immutable') {
      const changes = diffValues(project(normalizeObject(live), object), object);
      applyActions.push({ ...context, type: 'replace', object, changes: visibleChanges(changes), reason: dry.message });
    } else {
      const changes = diffValues(normalizeObject(live), normalizeObject(dry.object));
      if (changes.length === 0) applyActions.push({ ...context, type: 'unchanged' });
      else applyActions.push({ ...context, type: 'update', object, changes: visibleChanges(changes) });
    }
  }

  for (const ref of inventory?.refs ?? []) {
    const key = refKey(ref);
    if (desiredKeys.has(key)) continue;
    const live = input.live.get(key);
    const pipeline = live?.metadata.labels?.['pipewright.dev/pipeline'];
    if (!live) {
      pruneActions.push({
        type: 'forget',
        ref,
        reason: 'listed in the inventory but gone from the cluster: dropped from the inventory',
      });
    } else if (!isLabelledOurs(live)) {
      pruneActions.push({
        type: 'foreign',
        ref,
        reason: `${refDisplay(ref)} is in the inventory but no longer labelled as pipewright's: left alone and dropped from the inventory`,
      });
    } else {
      pruneActions.push({ type: 'prune', ref, ...(pipeline ? { pipeline } : {}) });
    }
  }

  applyActions.sort((a, b) => compareRefs(a.ref, b.ref));
  pruneActions.sort((a, b) => compareRefs(b.ref, a.ref));
  const plan: Plan = { namespace, actions: [...applyActions, ...pruneActions] };
  const prunes = pruneActions.filter((a) => a.type === 'prune').length;
  if (input.desired.length === 0 && prunes > 0 && !input.allowEmpty) {
    plan.refusal = `this would prune all ${prunes} object${prunes === 1 ? '' : 's'} pipewright owns in namespace ${namespace} (nothing is desired there): pass --allow-empty if that is what you want`;
  }
  return plan;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  prune: number;
  unchanged: number;
  conflict: number;
  foreign: number;
  forget: number;
  error: number;
}

export function summarize(plan: Plan): PlanSummary {
  const s: PlanSummary = {
    create: 0,
    update: 0,
    replace: 0,
    prune: 0,
    unchanged: 0,
    conflict: 0,
    foreign: 0,
    forget: 0,
    error: 0,
  };
  for (const a of plan.actions) s[a.type]++;
  return s;
}

/** Something to write: any object or inventory change. */
export function hasChanges(plan: Plan): boolean {
  const s = summarize(plan);
  return s.create + s.update + s.replace + s.prune + s.forget > 0;
}

/** What stops apply: conflicts, foreign objects, errors, a refusal. */
export function blockers(plan: Plan): Action[] {
  return plan.actions.filter((a) => a.blocks);
}
