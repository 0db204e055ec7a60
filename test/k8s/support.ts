/**
 * The local Kubernetes control plane for integration tests (scripts/k8s-up.sh, docs/kubernetes-local.md): a real API
 * server and controllers, nodes simulated by kwok. Tests talk to it only through the kubectl built with it and the
 * admin kubeconfig in its run directory — never through the developer's KUBECONFIG, which may name a real cluster.
 *
 * Unreachable → `testCluster()` returns undefined (the tests skip) — except under CI=true, where a missing or broken
 * control plane is a failure, not a skip (the same rule as the engine tests in test/runtime/support.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCluster {
  /** Runs the cluster's own kubectl with the admin kubeconfig; never throws for a non-zero exit. */
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Like kubectl, but throws with stderr when the command fails. */
  kubectlOk(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Parsed `-o json` output. */
  getJson<T = KubeObject>(args: string[]): Promise<T>;
  /** A new namespace (with its default service account), deleted again by `cleanup()`. */
  freshNamespace(prefix: string): Promise<string>;
  /** Deletes the namespaces this instance made (the namespace controller then removes their objects). */
  cleanup(): Promise<void>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON in these tests.
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  status?: any;
}

/** The label every test namespace carries, so leftovers of a crashed run can be found (`kubectl get ns -l pipewright.dev/test`). */
export const TEST_NAMESPACE_LABEL = 'pipewright.dev/test';
/** The one field manager name the tests apply with (the reconciler of issue 13 will use its own, always the same). */
export const FIELD_MANAGER = 'pipewright';

export function clusterDir(): string {
  return process.env.PIPEWRIGHT_K8S_DIR || '/run/pipewright/k8s';
}

function run(file: string, args: string[], input: string | undefined, timeoutMs: number): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: error && code === 1 && !stderr ? String(error.message) : stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function testCluster(): Promise<TestCluster | undefined> {
  const dir = clusterDir();
  const kubectlPath = join(dir, 'bin', 'kubectl');
  const kubeconfig = join(dir, 'admin.kubeconfig');
  let reason = '';
  if (!existsSync(kubectlPath) || !existsSync(kubeconfig)) {
    reason = `no control plane in ${dir} (${kubectlPath} or ${kubeconfig} is missing)`;
  } else {
    const cluster = makeCluster(kubectlPath, kubeconfig);
    const ready = await cluster.kubectl(['get', '--raw', '/readyz'], { timeoutMs: 10_000 });
    const nodes = await cluster.kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=10s']);
    if (ready.code !== 0 || ready.stdout.trim() !== 'ok')
      reason = `the API server is not ready: ${ready.stderr.trim()}`;
    else if (nodes.code !== 0) reason = `no Ready node: ${nodes.stderr.trim()}`;
    else return cluster;
    await cluster.cleanup();
  }
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but the local Kubernetes control plane is unusable: ${reason}. Run scripts/k8s-up.sh.`);
  }
  return undefined;
}

function makeCluster(kubectlPath: string, kubeconfig: string): TestCluster {
  const namespaces: string[] = [];
  // kubectl caches API discovery under $HOME/.kube (with no HOME: ./.kube, inside the checkout); give it a temp dir.
  const cacheDir = mkdtempSync(join(tmpdir(), 'pw-kubectl-'));
  const kubectl: TestCluster['kubectl'] = (args, options = {}) =>
    run(
      kubectlPath,
      ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args],
      options.input,
      options.timeoutMs ?? 60_000,
    );
  const kubectlOk: TestCluster['kubectlOk'] = async (args, options) => {
    const result = await kubectl(args, options);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return result.stdout;
  };
  return {
    kubectl,
    kubectlOk,
    async getJson<T>(args: string[]) {
      return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
    },
    async freshNamespace(prefix: string) {
      const name = `${prefix}-${randomBytes(4).toString('hex')}`;
      const manifest = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { [TEST_NAMESPACE_LABEL]: 'k8s' } },
      });
      await kubectlOk(['create', '-f', '-'], { input: manifest });
      namespaces.push(name);
      // Pods need the namespace's "default" service account (ServiceAccount admission); its controller makes it.
      await waitFor(async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', name])).code === 0, 30_000);
      return name;
    },
    async cleanup() {
      const names = namespaces.splice(0);
      if (names.length > 0) await kubectlOk(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...names]);
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 250 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The documents of a multi-document manifest file, as plain objects. */
export function manifestObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** A Job's condition of the given type with status True, if any. */
export function jobCondition(job: KubeObject, type: string): { reason?: string; message?: string } | undefined {
  const conditions = (job.status?.conditions ?? []) as { type: string; status: string; reason?: string }[];
  return conditions.find((c) => c.type === type && c.status === 'True');
}
