/**
 * The objects the reconciler pairs: plain Kubernetes JSON with the few fields it reads typed. An object's identity
 * is its API group, kind, namespace and name ({@link objectKey}); its version does not matter (the API server
 * converts between versions of a group).
 */

export interface KubeMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
  [field: string]: unknown;
}

/** What an object is, without its content: enough to find it in the API and to list it in an inventory. */
export interface ObjectRef {
  /** '' for the core group (v1). */
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'pipewright';
export const PIPELINE_LABEL = 'pipewright.dev/pipeline';
/** Set by apply on what it sends: the hash of the desired object, so a later apply knows nothing changed without asking. */
export const APPLIED_HASH_ANNOTATION = 'pipewright.dev/applied-hash';

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function refOf(object: KubeObject, namespace: string): ObjectRef {
  return {
    group: groupOf(object.apiVersion),
    kind: object.kind,
    namespace: object.metadata.namespace ?? namespace,
    name: object.metadata.name,
  };
}

/** `group/Kind/namespace/name` (group `core` for v1): unique, sortable, readable. */
export function refKey(ref: ObjectRef): string {
  return `${ref.group || 'core'}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** `Kind/name` as kubectl prints it, with the group for non-core kinds (`Role.rbac.authorization.k8s.io/x`). */
export function refDisplay(ref: ObjectRef): string {
  return `${ref.kind}${ref.group ? `.${ref.group}` : ''}/${ref.name}`;
}

/** Labelled as pipewright's: the managed-by label every generated object carries. */
export function isLabelledOurs(object: KubeObject): boolean {
  return object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/**
 * Apply order: what others refer to first (identity, then permissions, then data, then workloads), so a CronJob
 * never starts with a ServiceAccount or run plan that is not there yet. Prune runs in the reverse order, last.
 */
const KIND_ORDER = ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Secret', 'Job', 'CronJob'];

export function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
}

export function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    cmp(a.namespace, b.namespace) ||
    cmp(a.group, b.group) ||
    cmp(a.kind, b.kind) ||
    cmp(a.name, b.name)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
