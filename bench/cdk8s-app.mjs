// The peer of `pipewright compile --target k8s`: a cdk8s app (cdk8s 2, plain ApiObject constructs) that builds the
// same Kubernetes objects for the benchmark corpus and synthesizes them — what `cdk8s synth` runs (the cdk8s CLI's
// synth is `node <app>` plus reading the output directory).
//
//   node bench/cdk8s-app.mjs <input dir> <out dir> [<specs dir>]
//
// Input: one JSON file per pipeline (bench/cdk8s.mjs writes them from pipewright's emitter, untimed): the objects of
// `k8s/<pipeline>.yaml` as plain data, with the run plan's Job templates as objects — what a cdk8s program would
// hold in memory after building them in code. With <specs dir>, the app first reads and parses (yaml, the parser
// cdk8s itself depends on) the corpus spec each pipeline comes from, as a cdk8s app generating Jobs from these
// pipeline definitions must; turning a parsed spec into objects is NOT done (the JSON stands in for it), so the
// peer gets that step for free. The app serializes each Job template to YAML text with cdk8s's own
// `Yaml.stringify` for the run plan ConfigMap (as pipewright does with its serializer), creates one Chart per
// pipeline with an ApiObject per object, and `app.synth()` writes `<pipeline>.k8s.yaml` files. Prints one JSON line:
// { ms (whole app after module load: read inputs, construct, synth, write), parseMs, constructMs, synthMs, charts }.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { parse } from 'yaml';

const [inputDir, outdir, specsDir] = process.argv.slice(2);
if (!inputDir || !outdir) throw new Error('usage: node bench/cdk8s-app.mjs <input dir> <out dir>');
const t0 = performance.now();
const app = new App({ outdir });
let charts = 0;
let parseMs = 0;
for (const name of readdirSync(inputDir).sort()) {
  if (!name.endsWith('.json')) continue;
  const pipeline = JSON.parse(readFileSync(join(inputDir, name), 'utf8'));
  if (specsDir) {
    const t = performance.now();
    parse(readFileSync(join(specsDir, pipeline.spec), 'utf8'));
    parseMs += performance.now() - t;
  }
  const chart = new Chart(app, pipeline.name, { disableResourceNameHashes: true });
  for (const [i, object] of pipeline.objects.entries()) {
    if (object.kind === 'ConfigMap' && pipeline.plan) {
      const data = {};
      for (const [key, value] of Object.entries(pipeline.plan)) data[key] = Yaml.stringify(value);
      new ApiObject(chart, `o${i}`, { ...object, data });
    } else {
      new ApiObject(chart, `o${i}`, object);
    }
  }
  charts++;
}
const t1 = performance.now();
app.synth();
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ ms: t2 - t0, parseMs, constructMs: t1 - t0, synthMs: t2 - t1, charts })}\n`);
