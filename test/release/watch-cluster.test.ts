/**
 * Watches end — the server's timeout, 410 Gone for an expired resourceVersion — and the runner must not depend on
 * one lasting: against the control plane, a Job followed through many short watches still ends with its outcome,
 * and an expired resourceVersion is reported as 410 (which the follower answers with a fresh read).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { KubernetesExecutor } from '../../src/release/kube-executor.js';
import type { AttemptSpec, ExecutorContext } from '../../src/runtime/executor.js';
import { cleanup, cluster, clusterEnabled, namespace, requireCluster } from '../reconcile/support/cluster.js';

describe.runIf(clusterEnabled)('following Jobs across ended watches', () => {
  let client: KubeClient;
  beforeAll(() => {
    client = requireCluster();
  });
  afterAll(() => cleanup(cluster.client));

  it('a watch from an expired resourceVersion ends with 410 Gone', async () => {
    const ns = await namespace(client);
    const ended = await client.watch(`/apis/batch/v1/namespaces/${ns}/jobs`, { resourceVersion: '1' }, () => undefined);
    expect(ended).toMatchObject({ ended: 'error', status: 410 });
  });

  it('re-reads and re-watches until the Job has finished, however often the watch ends', async () => {
    const ns = await namespace(client);
    const template = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        labels: {
          'app.kubernetes.io/managed-by': 'pipewright',
          'pipewright.dev/pipeline': 'w',
          'pipewright.dev/task': 't',
        },
        annotations: { 'pipewright.dev/task': 't' },
      },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { annotations: { 'sim.pipewright.dev/duration': '5s' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'busybox:1.36', args: ['true'] }] },
        },
      },
    };
    const executor = new KubernetesExecutor({
      client,
      namespace: ns,
      templates: new Map([['t', template]]),
      retentionSeconds: 0,
      watchTimeoutSeconds: 1,
    });
    const context: ExecutorContext = { log: () => undefined, note: () => undefined, persist: () => undefined };
    const spec = {
      run: { runId: '20240101-00000000', pipeline: 'w', version: '1', specHash: 'h', logicalDate: '2024-01-01' },
      task: { id: 't' },
      attempt: 1,
      argv: [],
      env: {},
      secrets: {},
      record: { n: 1, startedAt: new Date().toISOString() },
      resume: false,
    } as unknown as AttemptSpec;
    const watchesBefore = client.counts.watch;
    const handle = await executor.launch(spec, context);
    expect(await handle.done).toEqual({ exitCode: 0 });
    expect(client.counts.watch - watchesBefore).toBeGreaterThanOrEqual(3);
  }, 30_000);
});
