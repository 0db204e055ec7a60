/**
 * The inventory: what pipewright owns in one namespace, stored there as a ConfigMap (cf. cli-utils'
 * `inventorycm.go`). Prune deletes only objects it lists that are also labelled as ours; an object that is neither
 * is never touched. One line per object (`group/Kind/name`, sorted) keeps it readable with `kubectl get -o yaml`.
 *
 * Crash consistency (applyActions): objects are added to the inventory BEFORE they are created and removed only
 * AFTER their delete succeeded, so a crash can leave the inventory listing something that does not exist (the next
 * plan creates it again or forgets it), never an object of ours that no inventory lists.
 */
import { type KubeObject, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type ObjectRef, refKey } from './object.js';

export const INVENTORY_NAME = 'pipewright-inventory';
export const INVENTORY_KEY = 'objects';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

export class InventoryError extends Error {
  override name = 'InventoryError';
}

export interface Inventory {
  name: string;
  namespace: string;
  /** Sorted, unique. */
  refs: ObjectRef[];
}

function line(ref: ObjectRef): string {
  return `${ref.group || 'core'}/${ref.kind}/${ref.name}`;
}

export function sortedRefs(refs: readonly ObjectRef[]): ObjectRef[] {
  const byKey = new Map(refs.map((r) => [refKey(r), r]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/** The ConfigMap that stores an inventory. */
export function inventoryObject(inventory: Inventory): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: inventory.name,
      namespace: inventory.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [COMPONENT_LABEL]: 'inventory' },
    },
    data: {
      [INVENTORY_KEY]: sortedRefs(inventory.refs)
        .map((r) => `${line(r)}\n`)
        .join(''),
    },
  };
}

/** Reads an inventory ConfigMap; anything unexpected in it is an error (never guess what we own). */
export function parseInventory(object: KubeObject, namespace: string): Inventory {
  const where = `ConfigMap ${namespace}/${object.metadata.name}`;
  if (object.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
    throw new InventoryError(
      `${where} exists but is not labelled ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}: it is not a pipewright inventory (choose another name with --inventory)`,
    );
  }
  const data = (object.data ?? {}) as Record<string, unknown>;
  const text = data[INVENTORY_KEY] ?? '';
  if (typeof text !== 'string') throw new InventoryError(`${where}: data.${INVENTORY_KEY} is not text`);
  const refs: ObjectRef[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw === '') continue;
    const parts = raw.split('/');
    if (parts.length !== 3 || parts.some((p) => p === '')) {
      throw new InventoryError(
        `${where}: line ${i + 1} of data.${INVENTORY_KEY} is not group/Kind/name: ${JSON.stringify(raw)}`,
      );
    }
    const [group, kind, name] = parts as [string, string, string];
    refs.push({ group: group === 'core' ? '' : group, kind, namespace, name });
  }
  return { name: object.metadata.name, namespace, refs: sortedRefs(refs) };
}

export function sameRefs(a: readonly ObjectRef[], b: readonly ObjectRef[]): boolean {
  const ka = sortedRefs(a).map(refKey);
  const kb = sortedRefs(b).map(refKey);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}
