/**
 * The real control plane for tests (scripts/k8s-up.sh exports KUBECONFIG): a client when it answers, else the
 * reason it is not used. Under CI=true an unreachable cluster fails the tests instead of skipping them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeClient } from '../../../src/kube/client.js';
import { loadClusterAccess } from '../../../src/kube/kubeconfig.js';

async function probe(): Promise<{ client?: KubeClient; reason?: string }> {
  if (!process.env.KUBECONFIG) return { reason: 'KUBECONFIG is not set (source scripts/k8s-up.sh)' };
  try {
    const client = new KubeClient(loadClusterAccess({ env: process.env }));
    const res = await client.request('GET', '/version', { timeoutMs: 5000 });
    if (res.status !== 200) return { reason: `GET /version answered ${res.status}` };
    return { client };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}

export const cluster = await probe();
/** Run cluster tests: when reachable, or under CI=true (where they then fail in requireCluster). */
export const clusterEnabled = cluster.client !== undefined || process.env.CI === 'true';

export function requireCluster(): KubeClient {
  if (!cluster.client) throw new Error(`CI=true but the Kubernetes control plane is not reachable: ${cluster.reason}`);
  return cluster.client;
}

const namespaces: string[] = [];
const dirs: string[] = [];

/** A fresh namespace with a unique prefix (the control plane is shared): deleted by cleanup(). */
export async function namespace(client: KubeClient, prefix = 'kapply'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await client.ok('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  namespaces.push(name);
  return name;
}

/** A project directory: a git repository with the given files committed. */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-kube-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

export function commitAll(dir: string, message = 'change'): string {
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', message, '--allow-empty'],
    { cwd: dir },
  );
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
}

export async function cleanup(client: KubeClient | undefined): Promise<void> {
  for (const ns of namespaces.splice(0)) {
    await client?.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
  }
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function spec(
  name: string,
  options: { schedule?: string; tasks?: Record<string, string[]>; version?: string } = {},
): string {
  const tasks = options.tasks ?? { extract: [], load: ['extract'] };
  return [
    'apiVersion: pipewright.dev/v1',
    'kind: Pipeline',
    'metadata:',
    `  name: ${name}`,
    `  version: ${options.version ?? '1.0.0'}`,
    '  owner: data',
    'spec:',
    ...(options.schedule ? [`  schedule: "${options.schedule}"`] : []),
    '  defaults:',
    '    image: "busybox:1.36"',
    '  tasks:',
    ...Object.entries(tasks).flatMap(([id, needs]) => [
      `    ${id}:`,
      `      command: [echo, ${id}, "{{ ds }}"]`,
      ...(needs.length ? [`      needs: [${needs.join(', ')}]`] : []),
    ]),
    '',
  ].join('\n');
}
