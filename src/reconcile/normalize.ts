/**
 * What is compared: an object without what the API server owns (identity, bookkeeping, status), so server-managed
 * fields are never reported as drift (gitops-engine's normalisers, Flux ssa's diff after a dry-run).
 */
import { hashValue } from '../model/hash.js';
import { APPLIED_HASH_ANNOTATION, type KubeObject } from './object.js';

const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

/** A copy without status and server-managed metadata; empty `annotations`/`labels` maps are dropped. */
export function normalizeObject(object: KubeObject): KubeObject {
  const { status: _status, metadata, ...rest } = object;
  const meta: Record<string, unknown> = { ...metadata };
  for (const key of SERVER_METADATA) delete meta[key];
  if (meta.annotations) {
    const annotations = { ...(meta.annotations as Record<string, string>) };
    for (const key of SERVER_ANNOTATIONS) delete annotations[key];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
    else meta.annotations = annotations;
  }
  if (meta.labels && Object.keys(meta.labels as object).length === 0) delete meta.labels;
  return { ...rest, metadata: meta } as KubeObject;
}

/** Hashes of desired objects already computed (a plan asks twice per object; objects are never mutated). */
const hashes = new WeakMap<KubeObject, string>();

/** The hash apply records on an object: of the desired object exactly as generated (namespace included). */
export function desiredHash(object: KubeObject): string {
  let hash = hashes.get(object);
  if (hash === undefined) {
    hash = hashValue(object).slice(0, 32);
    hashes.set(object, hash);
  }
  return hash;
}

/**
 * Make `hash` the desired hash of `object` placed in `namespace`: a hash computed by an earlier run for the same file
 * bytes and namespace (the desired cache, src/reconcile/desired-cache.ts, which authenticates it).
 */
export function rememberDesiredHash(object: KubeObject, namespace: string, hash: string): void {
  hashes.set(placeObject(object, namespace), hash);
}

const placedObjects = new WeakMap<KubeObject, { namespace: string; placed: KubeObject }>();

/** The desired object in its namespace (the same copy for the same object and namespace: its hash is kept). */
export function placeObject(object: KubeObject, namespace: string): KubeObject {
  const known = placedObjects.get(object);
  if (known?.namespace === namespace) return known.placed;
  const placed: KubeObject = { ...object, metadata: { ...object.metadata, namespace } };
  placedObjects.set(object, { namespace, placed });
  return placed;
}

/** The object apply sends: the desired object in its namespace, with the hash of what it is. */
export function toApply(object: KubeObject, namespace: string): KubeObject {
  const placed = placeObject(object, namespace);
  return {
    ...placed,
    metadata: {
      ...placed.metadata,
      annotations: { ...(placed.metadata.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: desiredHash(placed) },
    },
  };
}
