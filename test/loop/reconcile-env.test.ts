/**
 * `pipewright reconcile --env <name>` as a real process on both targets: the docker scheduler runs
 * generated/<env>/compose (the environment's overrides reach the task), the kubernetes target applies
 * generated/<env>/k8s into the environment's namespace on the real control plane; an environment the commit does
 * not declare is refused with a clear reason, and one the project it is started in does not declare is a usage error.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { LABEL } from '../../src/runtime/docker-executor.js';
import { readLedger } from '../../src/runtime/ledger.js';
import { cleanup, cluster, clusterEnabled, namespace, requireCluster, spec } from '../reconcile/support/cluster.js';
import { removeContainer, testEngine } from '../runtime/support.js';
import { CLI, DaemonProcess, dailySpec, day, makeOrigin, readState, tempRoot, until } from './support.js';

const engine = await testEngine();
const root = tempRoot('pw-loop-env-');
const daemons: DaemonProcess[] = [];

afterEach(async () => {
  for (const d of daemons.splice(0)) {
    if (d.child.exitCode === null) d.child.kill('SIGTERM');
    await d.exited;
  }
});
afterAll(async () => {
  if (engine) {
    const list = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.managedBy}=pipewright`] },
    });
    for (const c of list)
      if ((c.Labels[LABEL.pipeline] ?? '').startsWith('le-')) await removeContainer(engine.docker, c.Id);
  }
  await cleanup(cluster.client);
  rmSync(root, { recursive: true, force: true });
});

function reconcile(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [CLI, 'reconcile', '--log-format', 'json', '--listen', '127.0.0.1:0', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
  });
}

const CONFIG = (prodNamespace = 'unused-prod', task = 'main') => `apiVersion: pipewright.dev/v1
kind: Project
environments:
  dev:
    namespace: unused-dev
    pipelines:
      le-report:
        tasks:
          ${task}:
            env: { GREETING: hello-from-dev }
  prod:
    namespace: ${prodNamespace}
    pipelines:
      le-report:
        overrides: { schedule: "0 6 * * *" }
`;

describe.skipIf(!engine)('reconcile --env on the docker target', () => {
  it('runs generated/<env>/compose: the environment override reaches the task', async () => {
    const dir = join(root, 'docker');
    const origin = makeOrigin(dir);
    writeFileSync(join(origin.dir, 'pipewright.yaml'), CONFIG());
    // daily, catchup false: the latest finished interval runs at start-up
    origin.write(
      'le-report',
      dailySpec('le-report', '  schedule: "0 0 * * *"\n  catchup: false', 'echo "greeting=$GREETING"'),
    );
    origin.compile();
    const commit = origin.commit('report with environments');
    const stateDir = join(dir, 'state-dev');
    const r = reconcile(dir, ['--repo', origin.dir, '--env', 'dev', '--state-dir', stateDir, '--once']);
    expect(r.stderr).toContain(`serving commit ${commit.slice(0, 12)}`);
    expect(r.status).toBe(0);
    const runs = readState(stateDir).pipelines['le-report']?.runs ?? [];
    expect(runs.map((x) => [x.status, x.ds])).toEqual([['succeeded', day(-1)]]);
    expect(r.stderr).toContain('greeting=hello-from-dev');
    // the artifact executed is the environment's
    const runState = JSON.parse(readFileSync(join(stateDir, 'runs', runs[0]!.runId, 'state.json'), 'utf8'));
    expect(runState.artifact).toBe(`generated/dev/compose/le-report.compose.yaml @ ${commit.slice(0, 12)}`);

    // prod: its schedule override is what the scheduler shows
    const d = DaemonProcess.start(dir, ['--repo', origin.dir, '--env', 'prod', '--state-dir', join(dir, 'state-prod')]);
    daemons.push(d);
    await until(async () => (await d.status()).lastGood?.commit === commit, 60_000, 'prod to serve the commit');
    const status = await d.status();
    expect(status.environment).toBe('prod');
    expect(status.pipelines.map((p) => [p.name, p.schedule])).toEqual([['le-report', '0 6 * * *']]);
  }, 240_000);

  it('an environment the commit does not declare is refused with the reason; no --env while it declares some too', () => {
    const dir = join(root, 'refused');
    const origin = makeOrigin(dir);
    writeFileSync(join(origin.dir, 'pipewright.yaml'), CONFIG());
    origin.write('le-report', dailySpec('le-report', '  catchup: false')); // no schedule: nothing would run
    origin.compile();
    const commit = origin.commit('environments');
    const typo = reconcile(dir, ['--repo', origin.dir, '--env', 'prd', '--state-dir', join(dir, 's1'), '--once']);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain(`refusing commit ${commit.slice(0, 12)}`);
    expect(typo.stderr).toContain("unknown environment 'prd'");
    expect(typo.stderr).toContain("did you mean 'prod'");
    const none = reconcile(dir, ['--repo', origin.dir, '--state-dir', join(dir, 's2'), '--once']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('pipewright.yaml declares environments (dev, prod)');
    expect(none.stderr).toContain('reconcile --env <name>');
    // started inside the project it follows: a usage error at once, exit 2, nothing fetched
    const own = reconcile(origin.dir, ['--env', 'prd', '--state-dir', join(dir, 's3'), '--once']);
    expect(own.status).toBe(2);
    expect(own.stderr).toContain("--env: unknown environment 'prd'");
    expect(own.stderr).not.toContain('serving commit');
    const bad = reconcile(dir, ['--repo', origin.dir, '--env', 'Prod!', '--once']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--env: 'Prod!' is not an environment name");
  }, 180_000);
});

describe.runIf(clusterEnabled)('reconcile --env on the kubernetes target (control plane)', () => {
  let client: KubeClient;

  it('applies generated/<env>/k8s into the environment namespace', async () => {
    client = requireCluster();
    const ns = await namespace(client, 'lenv');
    const dir = join(root, 'k8s');
    const origin = makeOrigin(dir);
    writeFileSync(join(origin.dir, 'pipewright.yaml'), CONFIG(ns, 'extract'));
    origin.write('le-report', spec('le-report', { schedule: '0 5 * * *' }));
    origin.compile();
    const commit = origin.commit('report');
    const stateDir = join(dir, 'state');
    const r = reconcile(dir, [
      '--repo',
      origin.dir,
      '--target',
      'kubernetes',
      '--env',
      'prod',
      '--state-dir',
      stateDir,
      '--once',
    ]);
    expect(r.stderr).toContain(`serving commit ${commit.slice(0, 12)}`);
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    const list = await client.ok<{ items: { metadata: { name: string }; spec: { schedule: string } }[] }>(
      'GET',
      `/apis/batch/v1/namespaces/${ns}/cronjobs`,
    );
    // prod's schedule override: the object came from generated/prod/k8s
    expect(list.items.map((c) => c.spec.schedule)).toEqual(['0 6 * * *']);
    const generated = readFileSync(join(origin.dir, 'generated', 'prod', 'k8s', 'le-report.yaml'), 'utf8');
    expect(generated).toContain('0 6 * * *');
    const created = readLedger(join(stateDir, 'ledger.jsonl')).filter((e) => e.commit === commit);
    expect(created.length).toBeGreaterThan(0);
    expect(created.every((e) => e.action === 'k8s.create' && e.result === 'ok')).toBe(true);
  }, 180_000);
});
