/**
 * The API paths of the kinds pipewright generates and manages. A fixed table rather than discovery: generated/k8s
 * only ever holds these, and anything else is refused with a clear message.
 */

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

const TYPES: ResourceType[] = [
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets' },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings' },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs' },
  { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs' },
];

export class UnknownKindError extends Error {
  override name = 'UnknownKindError';
}

export function resourceType(group: string, kind: string): ResourceType {
  const type = TYPES.find((t) => t.group === group && t.kind === kind);
  if (!type) throw new UnknownKindError(`pipewright does not manage ${kind}${group ? `.${group}` : ''} objects`);
  return type;
}

function prefix(t: ResourceType): string {
  return t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
}

export function collectionPath(t: ResourceType, namespace: string): string {
  return `${prefix(t)}/namespaces/${encodeURIComponent(namespace)}/${t.plural}`;
}

export function objectPath(t: ResourceType, namespace: string, name: string): string {
  return `${collectionPath(t, namespace)}/${encodeURIComponent(name)}`;
}

export function namespacePath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
}

export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}
