#!/usr/bin/env node
/**
 * The run-plan decision (docs/kubernetes.md): what the cluster pays for each layout of the same pipelines.
 *   jobs:      every task a suspended batch/v1 Job (the layout before; built from the same templates, named and
 *              `suspend: true`)
 *   configmap: one run plan ConfigMap per pipeline (the layout now)
 * For each: `kubectl apply --server-side` time of the namespace's files, API objects created, the bytes a Job
 * informer lists (GET jobs in the namespace, JSON), etcd's database size in use before/after (etcd's /metrics), and
 * the Job controller's work queue adds (kube-controller-manager's /metrics) during the apply.
 *
 *   source scripts/k8s-up.sh && npm run build
 *   node bench/k8s-layout.mjs <scratch-dir> [pipelines=20] [tasks=50]
 * Needs KUBECONFIG, PIPEWRIGHT_KUBECTL (both exported by k8s-up.sh); metrics are read with the admin client
 * certificate next to the kubeconfig (PIPEWRIGHT_K8S_DIR, default /run/pipewright/k8s). Creates and deletes its
 * own namespaces (bench-layout-*).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { writeCorpus } from './corpus.mjs';

const [scratch, pipelinesArg = '20', tasksArg = '50'] = process.argv.slice(2);
if (!scratch || !process.env.KUBECONFIG) {
  process.stderr.write('usage: KUBECONFIG=… node bench/k8s-layout.mjs <scratch-dir> [pipelines] [tasks]\n');
  process.exit(2);
}
const kubectl = process.env.PIPEWRIGHT_KUBECTL ?? 'kubectl';
const k8sDir = process.env.PIPEWRIGHT_K8S_DIR ?? '/run/pipewright/k8s';
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli.js');
const pki = (name) => readFileSync(join(k8sDir, 'pki', name));

function metrics(url, tls) {
  return new Promise((ok) => {
    const get = tls ? request : (u, o, cb) => import('node:http').then((h) => h.request(u, o, cb).end());
    const opts = tls ? { cert: pki('admin.crt'), key: pki('admin.key'), rejectUnauthorized: false } : {};
    const req = get(url, opts, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => ok(text));
    });
    if (req?.on) {
      req.on('error', () => ok(''));
      req.end();
    }
  });
}
const metric = (text, name, label = '') =>
  text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(label))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);

const etcd = async () =>
  metric(await metrics('http://127.0.0.1:6444/metrics', false), 'etcd_mvcc_db_total_size_in_use_in_bytes');
const jobQueue = async () =>
  metric(await metrics('https://127.0.0.1:6446/metrics', true), 'workqueue_adds_total', 'name="job"');

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
writeCorpus(scratch, { seed: 7, pipelines: Number(pipelinesArg), tasks: Number(tasksArg) });
execFileSync('node', [cli, 'compile', '--target', 'k8s'], { cwd: scratch, stdio: 'ignore' });

// The layout before, from the same templates: each task a named, suspended Job.
const k8sDir2 = join(scratch, 'generated', 'k8s');
const jobsDir = join(scratch, 'jobs-layout');
mkdirSync(jobsDir);
for (const file of execFileSync('ls', [k8sDir2], { encoding: 'utf8' }).trim().split('\n')) {
  const docs = parseAllDocuments(readFileSync(join(k8sDir2, file), 'utf8')).map((d) => d.toJS());
  const out = [];
  for (const doc of docs) {
    if (doc.kind !== 'ConfigMap') {
      out.push(doc);
      continue;
    }
    for (const [key, text] of Object.entries(doc.data)) {
      if (!key.startsWith('task.')) continue;
      const job = parse(text);
      job.metadata.name = `${doc.metadata.name.replace(/-plan$/, '')}-${key.slice(5, -5)}`
        .slice(0, 63)
        .replace(/-+$/, '');
      job.spec = { suspend: true, ...job.spec };
      out.push(job);
    }
  }
  writeFileSync(join(jobsDir, file), out.map((d) => JSON.stringify(d)).join('\n---\n'));
}

const rows = [];
for (const [layout, dir] of [
  ['suspended Jobs (before)', jobsDir],
  ['run plan ConfigMaps (now)', k8sDir2],
]) {
  const ns = `bench-layout-${Date.now().toString(36)}`;
  execFileSync(kubectl, ['create', 'namespace', ns], { stdio: 'ignore' });
  const [etcd0, queue0] = [await etcd(), await jobQueue()];
  const t0 = process.hrtime.bigint();
  execFileSync(kubectl, ['apply', '--server-side', '--field-manager=bench', '-n', ns, '-f', dir], {
    stdio: 'ignore',
    maxBuffer: 1 << 30,
  });
  const applyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await new Promise((r) => setTimeout(r, 5000)); // let the controllers see the objects
  const [etcd1, queue1] = [await etcd(), await jobQueue()];
  const objects = Number(
    execFileSync(
      kubectl,
      ['get', 'jobs,configmaps,cronjobs,roles,rolebindings,serviceaccounts', '-n', ns, '-o', 'name'],
      { encoding: 'utf8', maxBuffer: 1 << 30 },
    )
      .trim()
      .split('\n').length,
  );
  const informerBytes = execFileSync(kubectl, ['get', 'jobs', '-n', ns, '-o', 'json'], { maxBuffer: 1 << 30 }).length;
  rows.push({
    layout,
    applyMs: Math.round(applyMs),
    objects,
    informerBytes,
    etcdGrowth: etcd1 - etcd0,
    jobQueueAdds: queue1 - queue0,
  });
  execFileSync(kubectl, ['delete', 'namespace', ns, '--wait=false'], { stdio: 'ignore' });
}
process.stdout.write(
  `${pipelinesArg} pipelines x ${tasksArg} tasks\n| layout | kubectl apply --server-side | objects | Job list (bytes) | etcd in use growth (bytes) | Job controller queue adds |\n| --- | ---: | ---: | ---: | ---: | ---: |\n`,
);
for (const r of rows)
  process.stdout.write(
    `| ${r.layout} | ${r.applyMs} ms | ${r.objects} | ${r.informerBytes} | ${r.etcdGrowth} | ${r.jobQueueAdds} |\n`,
  );
