/**
 * Where the API server is and who we are: a kubeconfig file (KUBECONFIG, else ~/.kube/config) or, inside a pod, the
 * service account Kubernetes mounts. Supports what kubeconfigs of real clusters and of scripts/k8s-up.sh use:
 * certificate authority, client certificate and key (files or inline data), bearer tokens (inline or file),
 * insecure-skip-tls-verify, the context's namespace. Exec and auth-provider plugins are refused with a clear error.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

export interface ClusterAccess {
  /** https://host:port (no trailing slash). */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecure: boolean;
  /** The context's namespace, or the pod's own in-cluster. */
  namespace?: string;
  /** Where this came from, for messages: `context kind-x in /path/kubeconfig` or `in-cluster service account`. */
  source: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function named(list: unknown, name: string, what: string, file: string): Record<string, unknown> {
  const entry = Array.isArray(list) ? list.find((e) => isRecord(e) && e.name === name) : undefined;
  if (!isRecord(entry) || !isRecord(entry[what])) throw new KubeConfigError(`${file}: no ${what} named '${name}'`);
  return entry[what] as Record<string, unknown>;
}

function bytes(config: Record<string, unknown>, dataKey: string, fileKey: string, base: string): Buffer | undefined {
  const data = config[dataKey];
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  const file = config[fileKey];
  if (typeof file === 'string') {
    const path = isAbsolute(file) ? file : join(base, file);
    try {
      return readFileSync(path);
    } catch (e) {
      throw new KubeConfigError(
        `cannot read ${fileKey} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  return undefined;
}

function fromFile(file: string, contextName: string | undefined): ClusterAccess {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KubeConfigError(
      `cannot read kubeconfig ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0 });
  } catch (e) {
    throw new KubeConfigError(`kubeconfig ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(doc)) throw new KubeConfigError(`kubeconfig ${file} is not a mapping`);
  const name = contextName ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : undefined);
  if (!name) throw new KubeConfigError(`kubeconfig ${file} has no current-context: pass --context`);
  const context = named(doc.contexts, name, 'context', file);
  const cluster = named(doc.clusters, String(context.cluster), 'cluster', file);
  const user = context.user === undefined ? {} : named(doc.users, String(context.user), 'user', file);
  if (user.exec !== undefined || user['auth-provider'] !== undefined) {
    throw new KubeConfigError(
      `context '${name}' in ${file} authenticates with an ${user.exec !== undefined ? 'exec' : 'auth-provider'} plugin, which pipewright does not run: use a kubeconfig with a token or client certificate`,
    );
  }
  if (typeof cluster.server !== 'string')
    throw new KubeConfigError(`${file}: cluster '${context.cluster}' has no server`);
  const base = dirname(file);
  const tokenFile = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
  const token =
    typeof user.token === 'string'
      ? user.token
      : tokenFile
        ? readFileSync(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile), 'utf8').trim()
        : undefined;
  const access: ClusterAccess = {
    server: cluster.server.replace(/\/+$/, ''),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    source: `context '${name}' in ${file}`,
  };
  const ca = bytes(cluster, 'certificate-authority-data', 'certificate-authority', base);
  const cert = bytes(user, 'client-certificate-data', 'client-certificate', base);
  const key = bytes(user, 'client-key-data', 'client-key', base);
  if (ca) access.ca = ca;
  if (cert) access.cert = cert;
  if (key) access.key = key;
  if (token) access.token = token;
  if (typeof context.namespace === 'string') access.namespace = context.namespace;
  return access;
}

function inCluster(env: Record<string, string | undefined>): ClusterAccess | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  try {
    return {
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      ca: readFileSync(join(SA_DIR, 'ca.crt')),
      token: readFileSync(join(SA_DIR, 'token'), 'utf8').trim(),
      namespace: readFileSync(join(SA_DIR, 'namespace'), 'utf8').trim(),
      insecure: false,
      source: 'in-cluster service account',
    };
  } catch {
    return undefined;
  }
}

export interface LoadOptions {
  env: Record<string, string | undefined>;
  context?: string;
}

/** The access to use: KUBECONFIG's first file, else ~/.kube/config, else the in-cluster service account. */
export function loadClusterAccess(options: LoadOptions): ClusterAccess {
  const { env } = options;
  const listed = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  const candidates = listed.length > 0 ? listed : [join(env.HOME ?? homedir(), '.kube', 'config')];
  for (const file of candidates) {
    try {
      readFileSync(file);
    } catch {
      continue;
    }
    return fromFile(file, options.context);
  }
  if (!options.context) {
    const pod = inCluster(env);
    if (pod) return pod;
  }
  throw new KubeConfigError(
    `no kubeconfig found (looked at ${candidates.join(', ')}${listed.length > 0 ? ' from KUBECONFIG' : ''}) and not running in a pod: set KUBECONFIG (for the local control plane: source scripts/k8s-up.sh)`,
  );
}
