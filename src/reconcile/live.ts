/**
 * Reading the cluster for a plan (I/O): the inventory, every object of the kinds involved in the namespace (one
 * paginated LIST per kind, so a foreign object with a desired name is found too), and a server-side apply dry-run
 * for each object that needs one.
 */
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { apiVersionOf, collectionPath, namespacePath, objectPath, resourceType } from '../kube/resources.js';
import { INVENTORY_NAME, type Inventory, parseInventory } from './inventory.js';
import { toApply } from './normalize.js';
import { type KubeObject, type ObjectRef, refKey, refOf } from './object.js';
import type { DesiredObject, DryRunOutcome } from './plan.js';

export const FIELD_MANAGER = 'pipewright';

/** Something about the cluster that stops a plan (missing namespace, forbidden list): the user's to fix. */
export class ClusterError extends Error {
  override name = 'ClusterError';
}

function explain(e: unknown, what: string): never {
  if (e instanceof KubeApiError) {
    if (e.status === 401)
      throw new ClusterError(`${what}: the API server did not accept our credentials (401 ${e.message})`);
    if (e.status === 403) throw new ClusterError(`${what}: forbidden by RBAC (${e.message})`);
    throw new ClusterError(`${what}: ${e.status} ${e.reason}: ${e.message}`);
  }
  throw e;
}

export async function requireNamespace(client: KubeClient, namespace: string): Promise<void> {
  const res = await client.request('GET', namespacePath(namespace));
  if (res.status === 404)
    throw new ClusterError(
      `namespace ${namespace} does not exist: create it first (kubectl create namespace ${namespace})`,
    );
  if (res.status === 403) {
    // Reading namespaces may be forbidden to a namespaced identity; the LIST below tells us what we need.
    return;
  }
  if (res.status >= 300)
    explain(
      new KubeApiError(res.status, String(res.status), JSON.stringify(res.body)),
      `reading namespace ${namespace}`,
    );
}

export async function readInventory(
  client: KubeClient,
  namespace: string,
  name = INVENTORY_NAME,
): Promise<Inventory | undefined> {
  const res = await client.request('GET', objectPath(resourceType('', 'ConfigMap'), namespace, name));
  if (res.status === 404) return undefined;
  if (res.status >= 300) {
    const body = res.body as { reason?: string; message?: string } | undefined;
    explain(
      new KubeApiError(res.status, body?.reason ?? '', body?.message ?? `HTTP ${res.status}`),
      `reading inventory ConfigMap ${namespace}/${name}`,
    );
  }
  return parseInventory(res.body as KubeObject, namespace);
}

/** What a metadata-only LIST asks for: each item's metadata (labels, annotations, uid, resourceVersion), no data. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

/**
 * Every object of the given kinds in the namespace, by refKey (paginated, 500 a page). `metadataOnly`: each object is
 * its metadata only (a PartialObjectMetadataList: what ownership, the applied hash and the record of the last
 * verification need — not the run plans' data, which is most of the bytes).
 */
export async function listLive(
  client: KubeClient,
  namespace: string,
  kinds: readonly { group: string; kind: string }[],
  options: { metadataOnly?: boolean } = {},
): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  const seen = new Set<string>();
  for (const { group, kind } of kinds) {
    const id = `${group}/${kind}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const type = resourceType(group, kind);
    let cont: string | undefined;
    do {
      let page: { items?: KubeObject[]; metadata?: { continue?: string } };
      try {
        page = await client.ok('GET', collectionPath(type, namespace), {
          query: { limit: '500', continue: cont },
          list: true,
          ...(options.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {}),
        });
      } catch (e) {
        explain(e, `listing ${type.plural} in namespace ${namespace}`);
      }
      for (const item of page.items ?? []) {
        const object = { ...item, apiVersion: apiVersionOf(type), kind };
        out.set(refKey(refOf(object, namespace)), object);
      }
      cont = page.metadata?.continue || undefined;
    } while (cont);
  }
  return out;
}

/** The full objects of `refs` (GET each, `parallel` at once), by refKey; an object gone since is left out. */
export async function getLive(
  client: KubeClient,
  refs: readonly ObjectRef[],
  options: { parallel?: number } = {},
): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  const queue = [...refs];
  const worker = async () => {
    for (let ref = queue.shift(); ref; ref = queue.shift()) {
      const type = resourceType(ref.group, ref.kind);
      const res = await client.request('GET', objectPath(type, ref.namespace, ref.name));
      if (res.status === 404) continue;
      if (res.status >= 300) {
        const body = res.body as { reason?: string; message?: string } | undefined;
        explain(
          new KubeApiError(res.status, body?.reason ?? '', body?.message ?? `HTTP ${res.status}`),
          `reading ${type.plural}/${ref.name} in namespace ${ref.namespace}`,
        );
      }
      const object = { ...(res.body as KubeObject), apiVersion: apiVersionOf(type), kind: ref.kind };
      out.set(refKey(ref), object);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel ?? 8, queue.length) }, worker));
  return out;
}

const IMMUTABLE = /field is immutable|is immutable|cannot be changed|may not be changed|cannot change roleRef/i;

/** Server-side apply of one object; the outcome classifies refusals like Flux's ssa (immutable, conflict, other). */
export async function serverSideApply(
  client: KubeClient,
  object: KubeObject,
  options: { dryRun: boolean; force: boolean },
): Promise<DryRunOutcome> {
  const ref = refOf(object, object.metadata.namespace ?? '');
  const type = resourceType(ref.group, ref.kind);
  const res = await client.request('PATCH', objectPath(type, ref.namespace, ref.name), {
    query: {
      fieldManager: FIELD_MANAGER,
      ...(options.force ? { force: 'true' } : {}),
      ...(options.dryRun ? { dryRun: 'All' } : {}),
    },
    body: object,
    contentType: 'application/apply-patch+yaml',
  });
  if (res.status >= 200 && res.status < 300) return { kind: 'ok', object: res.body as KubeObject };
  const body = (res.body ?? {}) as { reason?: string; message?: string };
  const message = body.message ?? `HTTP ${res.status}`;
  if (res.status === 409 && body.reason === 'Conflict')
    return { kind: 'conflict', message: `${message} (apply with --force-conflicts to take these fields over)` };
  if (res.status === 422 && IMMUTABLE.test(message)) return { kind: 'immutable', message };
  if (res.status === 403) return { kind: 'error', message: `forbidden by RBAC: ${message}` };
  if (res.status === 404) return { kind: 'error', message: `not found: ${message}` };
  return { kind: 'error', message: `${res.status} ${body.reason ?? ''}: ${message}`.replace(' : ', ': ') };
}

/** Dry-runs in parallel (at most `parallel` at once); outcomes by refKey. */
export async function dryRunAll(
  client: KubeClient,
  namespace: string,
  desired: readonly DesiredObject[],
  refs: readonly ObjectRef[],
  options: { force: boolean; parallel?: number },
): Promise<Map<string, DryRunOutcome>> {
  const byKey = new Map(desired.map((d) => [refKey(refOf(d.object, namespace)), d.object]));
  const out = new Map<string, DryRunOutcome>();
  const queue = [...refs];
  const worker = async () => {
    for (let ref = queue.shift(); ref; ref = queue.shift()) {
      const key = refKey(ref);
      out.set(
        key,
        await serverSideApply(client, toApply(byKey.get(key)!, namespace), { dryRun: true, force: options.force }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel ?? 8, queue.length) }, worker));
  return out;
}
