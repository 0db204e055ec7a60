/**
 * The runner image on the real engine and control plane: scripts/build-runner-image.sh assembles
 * localhost/pipewright:<version> (host node + its ldd libraries + `npm pack` with production deps, `podman import`),
 * and `pipewright release … --target kubernetes` runs INSIDE that container (host network: the API server listens on
 * the host's loopback; the kubeconfig mounted read-only) until the run's Jobs have completed.
 * Needs the engine (scripts/engine-up.sh) and the control plane (scripts/k8s-up.sh); under CI=true either missing fails.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { cleanup, cluster, clusterEnabled, requireCluster } from '../reconcile/support/cluster.js';
import { deployed, type Obj } from './support.js';

const root = join(import.meta.dirname, '../..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
const IMAGE = `localhost/pipewright:${version}`;
const RUNNER_UID = 10001;

async function engine(): Promise<{ docker?: Docker; reason?: string }> {
  const endpoint = process.env.DOCKER_HOST || 'unix:///run/pipewright/podman.sock';
  if (!endpoint.startsWith('unix://')) return { reason: `unsupported DOCKER_HOST ${endpoint}` };
  const docker = new Docker({ socketPath: endpoint.slice(7) });
  try {
    await docker.ping();
    return { docker };
  } catch (e) {
    return { reason: `engine at ${endpoint}: ${(e as Error).message} (source scripts/engine-up.sh)` };
  }
}
const found = await engine();
const enabled = (clusterEnabled && found.docker !== undefined) || process.env.CI === 'true';

describe.runIf(enabled)('the runner image runs `pipewright release` against the control plane', () => {
  let client: KubeClient;
  let docker: Docker;
  const scratch = mkdtempSync(join(tmpdir(), 'pw-runner-image-'));
  beforeAll(async () => {
    if (!found.docker) throw new Error(`CI=true but the container engine is unreachable: ${found.reason}`);
    docker = found.docker;
    client = requireCluster();
    // Packs the dist/ this test run built (never rebuilds it under other tests' feet); a no-op when up to date.
    await promisify(execFile)('bash', [join(root, 'scripts/build-runner-image.sh'), '--no-build'], {
      cwd: root,
      env: { ...process.env, PIPEWRIGHT_RUNNER_IMAGE: IMAGE },
      timeout: 150_000,
    });
  }, 160_000);
  afterAll(async () => {
    await cleanup(cluster.client);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates the run’s Jobs in DAG order from inside the container and sees them complete', async () => {
    const { ns } = await deployed(
      client,
      'img',
      [
        'apiVersion: pipewright.dev/v1',
        'kind: Pipeline',
        'metadata: {name: img, version: 1.0.0, owner: data}',
        'spec:',
        '  defaults: {image: "busybox:1.36", retries: 0, timeout: 1m}',
        '  tasks:',
        '    extract: {command: [echo, "{{ ds }}"]}',
        '    load: {command: [echo, load], needs: [extract]}',
        '',
      ].join('\n'),
      { prefix: 'kfinish-img' },
    );

    // The kubeconfig, readable by the image's non-root user only, mounted read-only; the work directory its own.
    const kube = join(scratch, 'kubeconfig');
    copyFileSync(process.env.KUBECONFIG!, kube);
    chmodSync(kube, 0o600);
    chownSync(kube, RUNNER_UID, RUNNER_UID);
    const work = join(scratch, 'work');
    mkdirSync(work);
    chownSync(work, RUNNER_UID, RUNNER_UID);

    const container = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['release', 'img', '--target', 'kubernetes', '--namespace', ns, '--date', '2024-05-01'],
      Env: ['KUBECONFIG=/etc/pipewright/kubeconfig'],
      WorkingDir: '/work',
      Tty: true,
      HostConfig: {
        NetworkMode: 'host',
        Binds: [`${kube}:/etc/pipewright/kubeconfig:ro`, `${work}:/work`],
      },
    });
    let output = '';
    try {
      await container.start();
      const status = (await Promise.race([
        container.wait(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the runner container ran over 60 s')), 60_000)),
      ])) as { StatusCode: number };
      output = (await container.logs({ stdout: true, stderr: true })).toString();
      expect(status.StatusCode, output).toBe(0);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
    expect(output).toContain(`releasing img 1.0.0 for 2024-05-01 in namespace ${ns}`);
    expect(output).toMatch(/run 20240501-[0-9a-f]{8} succeeded \(2 tasks\)/);

    // The Jobs it created, on the cluster: both complete, load created after extract completed.
    const list = await client.ok<{ items: Obj[] }>('GET', `/apis/batch/v1/namespaces/${ns}/jobs`, { list: true });
    const byTask = Object.fromEntries(list.items.map((j) => [j.metadata.annotations['pipewright.dev/task'], j]));
    expect(Object.keys(byTask).sort()).toEqual(['extract', 'load']);
    for (const job of list.items) {
      expect(job.status.succeeded, job.metadata.name).toBe(1);
      expect(job.status.conditions.map((c: Obj) => c.type)).toContain('Complete');
    }
    expect(Date.parse(byTask.load.metadata.creationTimestamp)).toBeGreaterThanOrEqual(
      Date.parse(byTask.extract.status.completionTime),
    );
    expect(byTask.extract.spec.template.spec.containers[0].env).toContainEqual({
      name: 'PIPEWRIGHT_DS',
      value: '2024-05-01',
    });
    // The run's record was written in the container's work directory (the mounted one).
    const state = JSON.parse(
      readFileSync(
        join(work, '.pipewright/runs', readdirSync(join(work, '.pipewright/runs'))[0]!, 'state.json'),
        'utf8',
      ),
    );
    expect(state).toMatchObject({ pipeline: 'img', executor: 'kubernetes', status: 'succeeded' });
  }, 90_000);
});
