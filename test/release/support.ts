/**
 * Release tests on the control plane: a pipeline compiled, committed and applied into a fresh namespace, its run
 * plan's task templates given kwok's pod annotations (sim.pipewright.dev/duration, default 1s, and /exit-code:
 * docs/kubernetes-local.md), and the Jobs of a namespace.
 */
import { expect } from 'vitest';
import { parse } from 'yaml';
import { serializeDocument } from '../../src/emit/serialize.js';
import type { KubeClient } from '../../src/kube/client.js';
import { runCliCapture } from '../helpers/cli.js';
import { commitAll, namespace, project } from '../reconcile/support/cluster.js';

// biome-ignore lint/suspicious/noExplicitAny: API objects are walked loosely in assertions
export type Obj = Record<string, any>;
export const kubeEnv = () => ({ KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME });
export const cli = (cwd: string, argv: string[]) => runCliCapture(argv, { cwd, env: kubeEnv() });

export async function deployed(
  client: KubeClient,
  pipeline: string,
  spec: string,
  options: { sim?: Record<string, Record<string, string>>; prefix?: string } = {},
): Promise<{ ns: string; dir: string }> {
  const ns = await namespace(client, options.prefix);
  const dir = await project({ [`pipelines/${pipeline}.yaml`]: spec });
  expect((await cli(dir, ['compile'])).code).toBe(0);
  commitAll(dir);
  const applied = await cli(dir, ['apply', '--target', 'kubernetes', '--namespace', ns]);
  expect(applied.code, applied.stderr).toBe(0);
  const path = `/api/v1/namespaces/${ns}/configmaps/${pipeline}-plan`;
  const cm = await client.ok<Obj>('GET', path);
  for (const key of Object.keys(cm.data).filter((k) => k.startsWith('task.'))) {
    const task = key.slice('task.'.length, -'.yaml'.length);
    const job = parse(cm.data[key]);
    job.spec.template.metadata.annotations = { 'sim.pipewright.dev/duration': '1s', ...options.sim?.[task] };
    cm.data[key] = serializeDocument(job);
  }
  await client.ok('PUT', path, { body: cm });
  return { ns, dir };
}

/** The namespace's Jobs, by name. */
export async function jobs(client: KubeClient, ns: string): Promise<Obj[]> {
  const list = await client.ok<{ items: Obj[] }>('GET', `/apis/batch/v1/namespaces/${ns}/jobs`, { list: true });
  return list.items.sort((x, y) => String(x.metadata.name).localeCompare(String(y.metadata.name)));
}
