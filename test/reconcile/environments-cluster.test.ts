/**
 * plan/apply --env against the real control plane (scripts/k8s-up.sh): a three-environment project whose
 * environments deploy to different namespaces with different images; each environment is applied on its own and
 * its objects land in its namespace with its image, and nothing of another environment. Unique namespaces, deleted
 * afterwards. Skipped when no cluster answers, unless CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { DesiredError, desiredFromFiles } from '../../src/reconcile/desired.js';
import { runCliCapture } from '../helpers/cli.js';
import {
  cleanup,
  cluster,
  clusterEnabled,
  commitAll,
  namespace,
  project,
  requireCluster,
  spec,
} from './support/cluster.js';

const cli = (cwd: string, argv: string[]) =>
  runCliCapture(argv, { cwd, env: { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME } });

describe.runIf(clusterEnabled)('plan and apply --env on the control plane', () => {
  let client: KubeClient;
  beforeAll(() => {
    client = requireCluster();
  });
  afterAll(() => cleanup(cluster.client));

  it('applies each environment into its own namespace with its own image', async () => {
    const ns = {
      dev: await namespace(client, 'envdev'),
      staging: await namespace(client, 'envstg'),
      prod: await namespace(client, 'envprod'),
    };
    const config = `apiVersion: pipewright.dev/v1
kind: Project
environments:
  dev:
    namespace: ${ns.dev}
    overrides: { imageTag: "1.37" }
  staging:
    namespace: ${ns.staging}
    pipelines:
      orders:
        overrides: { imageTag: "1.36.1" }
  prod:
    namespace: ${ns.prod}
    pipelines:
      orders:
        tasks:
          load: { image: "docker.io/library/busybox:1.35" }
`;
    const dir = await project({
      'pipewright.yaml': config,
      'pipelines/orders.yaml': spec('orders', { schedule: '0 5 * * *' }),
    });
    const compiled = await cli(dir, ['compile', '--no-cache']);
    expect(compiled.code, compiled.stderr).toBe(0);
    commitAll(dir, 'three environments');

    // a project with environments needs --env; an unknown one is a usage error
    const none = await cli(dir, ['plan', '--target', 'kubernetes']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('choose one with --env <name>');
    const unknown = await cli(dir, ['apply', '--target', 'kubernetes', '--env', 'qa']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown environment 'qa'");

    const images = {
      dev: { extract: 'busybox:1.37', load: 'busybox:1.37' },
      staging: { extract: 'busybox:1.36.1', load: 'busybox:1.36.1' },
      prod: { extract: 'busybox:1.36', load: 'docker.io/library/busybox:1.35' },
    } as const;
    for (const env of ['dev', 'prod', 'staging'] as const) {
      const plan = await cli(dir, ['plan', '--target', 'kubernetes', '--env', env]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(`Plan for namespace ${ns[env]}`);
      const apply = await cli(dir, ['apply', '--target', 'kubernetes', '--env', env]);
      expect(apply.code, apply.stderr).toBe(0);
      expect(apply.stdout).toContain('Apply complete');

      // biome-ignore lint/suspicious/noExplicitAny: API objects are walked loosely in assertions
      const cron = await client.ok<Record<string, any>>('GET', `/apis/batch/v1/namespaces/${ns[env]}/cronjobs/orders`);
      expect(cron.metadata.namespace).toBe(ns[env]);
      // biome-ignore lint/suspicious/noExplicitAny: as above
      const plans = await client.ok<Record<string, any>>('GET', `/api/v1/namespaces/${ns[env]}/configmaps/orders-plan`);
      const text = JSON.stringify(plans.data);
      for (const image of Object.values(images[env])) expect(text).toContain(`image: ${image}`);
      for (const other of ['dev', 'staging', 'prod'] as const) {
        if (other === env) continue;
        expect(text).not.toContain(ns[other]);
      }
    }
    // each namespace holds its environment only: the second plan of each is empty
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const again = await cli(dir, ['plan', '--target', 'kubernetes', '--env', env, '--detailed-exitcode']);
      expect(again.code, again.stdout + again.stderr).toBe(0);
    }
    // an environment's objects name its namespace: applying them to another one is refused, nothing written
    const elsewhere = await namespace(client, 'envother');
    const over = await cli(dir, ['apply', '--target', 'kubernetes', '--env', 'prod', '--namespace', elsewhere]);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain(`belongs to namespace '${ns.prod}' (its environment's), not '${elsewhere}'`);
    // biome-ignore lint/suspicious/noExplicitAny: API list
    const left = await client.ok<Record<string, any>>('GET', `/api/v1/namespaces/${elsewhere}/configmaps`);
    expect(left.items.filter((c: { metadata: { name: string } }) => c.metadata.name !== 'kube-root-ca.crt')).toEqual(
      [],
    );
  }, 180_000);
});

describe('desiredFromFiles with an environment namespace', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x-plan\n  namespace: pipelines-prod\ndata: {}\n';
  it('accepts objects of the namespace applied to, without it in the object', () => {
    const [d] = desiredFromFiles([{ path: 'generated/prod/k8s/x.yaml', text }], 'pipelines-prod');
    expect(d!.object.metadata).toEqual({ name: 'x-plan' });
  });
  it('refuses them for another namespace, or when none is given', () => {
    expect(() => desiredFromFiles([{ path: 'p.yaml', text }], 'other')).toThrow(
      "p.yaml: document 1 belongs to namespace 'pipelines-prod' (its environment's), not 'other'",
    );
    expect(() => desiredFromFiles([{ path: 'p.yaml', text }])).toThrow(DesiredError);
  });
});
