/**
 * Applying a plan (I/O), in stages like Flux's ssa manager: identity and RBAC first, then data, then workloads;
 * prune last. Inventory first: what is about to be created is recorded before it is created, and what is pruned is
 * removed from the inventory only after its delete succeeded. Nothing is written when nothing changes (no inventory
 * write either), so a second apply makes zero write calls.
 */
import type { KubeClient } from '../kube/client.js';
import { objectPath, resourceType } from '../kube/resources.js';
import { type Inventory, inventoryObject, sameRefs, sortedRefs } from './inventory.js';
import { FIELD_MANAGER, serverSideApply } from './live.js';
import { type KubeObject, kindRank, type ObjectRef, refDisplay, refKey } from './object.js';
import { type Action, blockers, type Plan } from './plan.js';

export class ApplyRefusedError extends Error {
  override name = 'ApplyRefusedError';
}

/** An action failed midway: what was done before it stays done and recorded; the next apply continues from there. */
export class ApplyFailedError extends Error {
  override name = 'ApplyFailedError';
}

export interface ApplyOptions {
  inventoryName: string;
  force: boolean;
  /** Called after every object action (ledger). */
  record(action: Action, result: 'ok' | 'failed', message?: string): void;
  /** Called with the server's answer (the object as stored) after every successful create, update or replace. */
  applied?(action: Action, stored: KubeObject): void;
  /** Called after every inventory write. */
  inventoryWritten?(refs: readonly ObjectRef[]): void;
  parallel?: number;
  /** How long a replace waits for the old object to be gone. */
  deleteTimeoutMs?: number;
}

export interface ApplyResult {
  done: Action[];
}

async function writeInventory(client: KubeClient, namespace: string, name: string, refs: ObjectRef[]): Promise<void> {
  const object = inventoryObject({ name, namespace, refs });
  const outcome = await serverSideApply(client, object, { dryRun: false, force: true });
  if (outcome.kind !== 'ok')
    throw new ApplyFailedError(`cannot write the inventory ConfigMap ${namespace}/${name}: ${outcome.message}`);
}

async function deleteObject(client: KubeClient, action: Action, uid: string | undefined): Promise<'deleted' | 'gone'> {
  const type = resourceType(action.ref.group, action.ref.kind);
  const res = await client.request('DELETE', objectPath(type, action.ref.namespace, action.ref.name), {
    // The uid precondition: never delete an object someone re-created under the same name since we planned.
    body: {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
      ...(uid ? { preconditions: { uid } } : {}),
    },
  });
  if (res.status === 404) return 'gone';
  if (res.status >= 300) {
    const body = res.body as { message?: string } | string | undefined;
    const message = typeof body === 'string' ? body.slice(0, 300) : (body?.message ?? '');
    throw new ApplyFailedError(`deleting ${refDisplay(action.ref)}: ${res.status} ${message}`.trim());
  }
  return 'deleted';
}

async function waitGone(client: KubeClient, ref: ObjectRef, timeoutMs: number): Promise<void> {
  const type = resourceType(ref.group, ref.kind);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.request('GET', objectPath(type, ref.namespace, ref.name));
    if (res.status === 404) return;
    if (Date.now() > deadline)
      throw new ApplyFailedError(
        `${refDisplay(ref)} was deleted for a replace but is still there after ${timeoutMs / 1000} s (finalizers?)`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function applyOne(
  client: KubeClient,
  action: Action,
  live: ReadonlyMap<string, KubeObject>,
  options: ApplyOptions,
): Promise<KubeObject> {
  if (action.type === 'replace') {
    const uid = live.get(refKey(action.ref))?.metadata.uid;
    await deleteObject(client, action, typeof uid === 'string' ? uid : undefined);
    await waitGone(client, action.ref, options.deleteTimeoutMs ?? 60_000);
  }
  const outcome = await serverSideApply(client, action.object!, { dryRun: false, force: options.force });
  if (outcome.kind !== 'ok')
    throw new ApplyFailedError(`${action.type} of ${refDisplay(action.ref)} failed: ${outcome.message}`);
  return outcome.object;
}

/** Applies every change of `plan`; `inventory` is what the plan was computed with; `live` the objects it saw. */
export async function applyPlan(
  client: KubeClient,
  plan: Plan,
  inventory: Inventory | undefined,
  live: ReadonlyMap<string, KubeObject>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  if (plan.refusal) throw new ApplyRefusedError(plan.refusal);
  const blocked = blockers(plan);
  if (blocked.length > 0) {
    throw new ApplyRefusedError(
      `nothing applied: ${blocked.length} object${blocked.length === 1 ? '' : 's'} blocked the plan:\n${blocked.map((a) => `  ${refDisplay(a.ref)}: ${a.reason}`).join('\n')}`,
    );
  }
  const { namespace } = plan;
  const done: Action[] = [];
  let recorded = sortedRefs(inventory?.refs ?? []);
  const writes = plan.actions.filter((a) => a.type === 'create' || a.type === 'update' || a.type === 'replace');

  // 1. Inventory first: record what is about to exist.
  const before = sortedRefs([...recorded, ...writes.map((a) => a.ref)]);
  if (!sameRefs(before, recorded) || (inventory === undefined && before.length > 0)) {
    await writeInventory(client, namespace, options.inventoryName, before);
    recorded = before;
    options.inventoryWritten?.(recorded);
  }

  // 2. Creates, updates and replaces, stage by stage (same kind rank in parallel).
  const stages = new Map<number, Action[]>();
  for (const a of writes) stages.set(kindRank(a.ref.kind), [...(stages.get(kindRank(a.ref.kind)) ?? []), a]);
  for (const rank of [...stages.keys()].sort((a, b) => a - b)) {
    const queue = [...stages.get(rank)!];
    let failure: Error | undefined;
    const worker = async () => {
      for (let a = queue.shift(); a && !failure; a = queue.shift()) {
        try {
          const stored = await applyOne(client, a, live, options);
          options.applied?.(a, stored);
          options.record(a, 'ok');
          done.push(a);
        } catch (e) {
          options.record(a, 'failed', (e as Error).message);
          failure ??= e as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.parallel ?? 8, queue.length) }, worker));
    if (failure) throw failure;
  }

  // 3. Prune last, in reverse order; the inventory forgets an object only after its delete succeeded.
  const dropped = new Set<string>();
  for (const a of plan.actions) {
    if (a.type === 'forget' || (a.type === 'foreign' && !a.blocks)) {
      dropped.add(refKey(a.ref));
      if (a.type === 'forget') options.record(a, 'ok');
      continue;
    }
    if (a.type !== 'prune') continue;
    try {
      const uid = live.get(refKey(a.ref))?.metadata.uid;
      await deleteObject(client, a, typeof uid === 'string' ? uid : undefined);
      options.record(a, 'ok');
      done.push(a);
      dropped.add(refKey(a.ref));
    } catch (e) {
      options.record(a, 'failed', (e as Error).message);
      // What was pruned so far leaves the inventory; the failed one stays listed for the next apply.
      const partial = recorded.filter((r) => !dropped.has(refKey(r)));
      if (!sameRefs(partial, recorded)) await writeInventory(client, namespace, options.inventoryName, partial);
      throw e;
    }
  }
  const after = recorded.filter((r) => !dropped.has(refKey(r)));
  if (!sameRefs(after, recorded)) {
    await writeInventory(client, namespace, options.inventoryName, after);
    options.inventoryWritten?.(after);
  }
  return { done };
}

export { FIELD_MANAGER };
