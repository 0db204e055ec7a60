// Peer benchmark (issue 17 goal 6): pipewright's Kubernetes-only compile vs `cdk8s synth` of the same objects.
// `node bench/run.mjs --only cdk8s` runs it alone. Both sides are timed as fresh processes from start to the last
// file written (node start-up and module loading included on both sides):
// - ours: `node dist/cli.js compile pipelines --target k8s --out <dir> --no-cache --format json` over the corpus
//   (read, parse, validate, normalize, emit, serialize, write, manifest), output directory removed first;
// - peer: `node bench/cdk8s-app.mjs <input> <out> <specs>` (see that file), output directory removed first: it reads
//   and parses the same spec files, and builds the objects from what pipewright's emitter builds for each pipeline,
//   as JSON (prepared here, untimed): the spec → objects translation costs the peer nothing.
// After the timed rounds the two outputs are parsed and compared object by object (run-plan Job templates parsed
// too): the bench fails if cdk8s did not produce the same objects.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const here = new URL('.', import.meta.url).pathname;

function specFiles(dir) {
  return readdirSync(join(dir, 'pipelines'))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, 'pipelines', f));
}

/** Key order aside (cdk8s sorts keys, pipewright puts apiVersion/kind/metadata first): the same value. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

/** The objects of a generated `k8s/<pipeline>.yaml` text, run-plan data parsed back to objects. */
function objectsOf(text) {
  return parseAllDocuments(text).map((d) => {
    const o = d.toJS();
    if (o.kind === 'ConfigMap' && o.data) {
      o.data = Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, parse(v)]));
    }
    return o;
  });
}

/** One JSON input per pipeline for the cdk8s app, built with pipewright's own stages (untimed). */
export async function prepareCdk8sInput(corpusDir, inputDir, distUrl) {
  const dist = (path) => import(new URL(path, distUrl).href);
  const { compileSpec } = await dist('emit/compile.js');
  rmSync(inputDir, { recursive: true, force: true });
  mkdirSync(inputDir, { recursive: true });
  let pipelines = 0;
  for (const file of specFiles(corpusDir)) {
    // the display path compile uses (relative to the repository), which the objects carry as their source
    const display = `pipelines/${basename(file)}`;
    const unit = compileSpec(display, readFileSync(file, 'utf8'), { targets: ['k8s'], outDir: 'generated' });
    const output = unit.outputs.find((o) => o.path.startsWith('k8s/'));
    if (!output || unit.pipeline === undefined) throw new Error(`cdk8s: ${file} did not compile`);
    const objects = parseAllDocuments(output.text).map((d) => d.toJS());
    const plan = objects.find((o) => o.kind === 'ConfigMap');
    const planData = Object.fromEntries(Object.entries(plan.data).map(([k, v]) => [k, parse(v)]));
    writeFileSync(
      join(inputDir, `${unit.pipeline}.json`),
      JSON.stringify({
        name: unit.pipeline,
        spec: basename(file),
        objects: objects.map((o) => (o === plan ? { ...o, data: {} } : o)),
        plan: planData,
      }),
    );
    pipelines++;
  }
  return pipelines;
}

// CPU seconds (user + system) of each process too: on a shared machine they vary far less than wall times.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const CPU_MARK = 'pipewright-bench-cpu';

function run(cmd, args, cwd) {
  return new Promise((resolvePromise, reject) => {
    const t = performance.now();
    const p = TIME
      ? spawn(TIME, ['-f', `${CPU_MARK} %U %S`, cmd, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => {
      const ms = performance.now() - t;
      if (code !== 0)
        reject(new Error(`${cmd} ${args.join(' ')}: exit ${code} ${Buffer.concat(err).toString().slice(-2000)}`));
      else {
        const cpu = new RegExp(`${CPU_MARK} ([0-9.]+) ([0-9.]+)`).exec(Buffer.concat(err).toString());
        const cpuMs = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined;
        resolvePromise({ ms, cpuMs, stdout: Buffer.concat(out).toString() });
      }
    });
  });
}

/** Compares the k8s objects of both outputs (every pipeline); throws on the first difference. */
function compareOutputs(oursDir, cdk8sDir) {
  const cdk8sFiles = readdirSync(cdk8sDir).filter((f) => f.endsWith('.k8s.yaml'));
  const byName = new Map(cdk8sFiles.map((f) => [f.replace(/^\d+-/, '').replace(/\.k8s\.yaml$/, ''), f]));
  const ours = readdirSync(join(oursDir, 'k8s')).filter((f) => f.endsWith('.yaml'));
  if (ours.length !== byName.size) throw new Error(`cdk8s: ${byName.size} charts for ${ours.length} pipelines`);
  for (const f of ours) {
    const name = f.replace(/\.yaml$/, '');
    const peer = byName.get(name);
    if (!peer) throw new Error(`cdk8s: no chart for ${name}`);
    const a = JSON.stringify(canonical(objectsOf(readFileSync(join(oursDir, 'k8s', f), 'utf8'))));
    const b = JSON.stringify(canonical(objectsOf(readFileSync(join(cdk8sDir, peer), 'utf8'))));
    if (a !== b) throw new Error(`cdk8s: the objects of ${name} differ from pipewright's`);
  }
  return ours.length;
}

/**
 * The section: `runs` rounds of (ours, cdk8s), interleaved; medians; the ratio ours / cdk8s (goal <= 0.5).
 * `distDir`: the pipewright build measured.
 */
export async function cdk8sBench({ corpusDir, work, runs, distDir, log }) {
  const input = join(work, 'cdk8s-input');
  const cdk8sOut = join(work, 'cdk8s-out');
  const oursOut = 'generated-k8s';
  log('cdk8s: preparing the app input (pipewright emitter objects as JSON, untimed)');
  const pipelines = await prepareCdk8sInput(corpusDir, input, new URL(`file://${resolve(distDir)}/`));
  const cli = join(resolve(distDir), 'cli.js');
  const samples = { ours: [], cdk8s: [] };
  for (let r = 0; r < runs; r++) {
    rmSync(join(corpusDir, oursOut), { recursive: true, force: true });
    const ours = await run(
      process.execPath,
      [cli, 'compile', 'pipelines', '--target', 'k8s', '--out', oursOut, '--no-cache', '--format', 'json'],
      corpusDir,
    );
    samples.ours.push({ ms: ours.ms, cpuMs: ours.cpuMs });
    log(`  pipewright compile --target k8s run ${r + 1}/${runs}: ${Math.round(ours.ms)} ms`);
    rmSync(cdk8sOut, { recursive: true, force: true });
    const peer = await run(
      process.execPath,
      [join(here, 'cdk8s-app.mjs'), input, cdk8sOut, join(corpusDir, 'pipelines')],
      here,
    );
    samples.cdk8s.push({ ...JSON.parse(peer.stdout.trim().split('\n').at(-1)), ms: peer.ms, cpuMs: peer.cpuMs });
    log(`  cdk8s synth run ${r + 1}/${runs}: ${Math.round(peer.ms)} ms`);
  }
  const compared = compareOutputs(join(corpusDir, oursOut), cdk8sOut);
  return { pipelines, compared, samples };
}
