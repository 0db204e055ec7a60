/**
 * No cap on the expanded DAG (issue 11 item 4): a 48 KB spec of chained matrices passed validate, then compile ran
 * 65 s, peaked at 4.7 GB and crashed. validate must reject what compile cannot produce: documented caps on task
 * instances, on instance dependencies and on the output bytes of one pipeline, reported at a position, fast.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  estimatePipelineSize,
  MAX_INSTANCE_DEPENDENCIES,
  MAX_OUTPUT_BYTES,
  MAX_TASK_INSTANCES,
} from '../../src/spec/rules/pipeline-too-large.js';
import { runCliCapture } from '../helpers/cli.js';
import { SPEC_HEAD, specProject, validateJson } from './support.js';

/** `tasks` tasks, each a matrix of `width` values, each needing the previous one: tasks × width² dependencies. */
function chained(tasks: number, width: number, command = '[run, "{{ matrix.v }}"]'): string {
  const values = `[${Array.from({ length: width }, (_, i) => `v${i}`).join(', ')}]`;
  let out = SPEC_HEAD;
  for (let t = 0; t < tasks; t++) {
    out += `    t${t}:\n      command: ${command}\n      matrix: { v: ${values} }\n`;
    if (t > 0) out += `      needs: [t${t - 1}]\n`;
  }
  return out;
}

async function run(spec: string) {
  const dir = specProject({ 'p.yaml': spec });
  const started = performance.now();
  const { code, json } = await validateJson(dir);
  return { dir, validate: { code }, json, ms: performance.now() - started };
}

describe('the expanded DAG is capped before compile', () => {
  it('rejects a 48 KB spec of chained matrices in validate, positioned, and compile writes nothing', async () => {
    const spec = chained(60, 200);
    expect(spec.length).toBeLessThan(100_000);
    const r = await run(spec);
    expect(r.validate.code).toBe(1);
    const found = r.json.diagnostics.filter((d) => d.code === 'PW219');
    expect(found.map((d) => `${d.line}:${d.column}`)).toEqual(['10:3']);
    expect(found[0]!.message).toMatch(
      new RegExp(
        `^pipeline 'p' expands to 12000 task instances \\(limit ${MAX_TASK_INSTANCES}\\) and 2360000 dependencies between them \\(limit ${MAX_INSTANCE_DEPENDENCIES}\\)`,
      ),
    );
    expect(r.ms).toBeLessThan(20_000);
    const compile = await runCliCapture(['compile'], { cwd: r.dir });
    expect(compile.code).toBe(1);
    expect(existsSync(join(r.dir, 'generated'))).toBe(false);
  }, 60_000);

  it('rejects dependencies alone when instances are within the cap', async () => {
    const r = await run(chained(8, 200)); // 1600 instances, 7 × 40000 dependencies
    expect(r.json.diagnostics.map((d) => d.code)).toEqual(['PW219']);
    expect(r.json.diagnostics[0]!.message).toMatch(/280000 dependencies between them \(limit 100000\)/);
  }, 60_000);

  it('rejects output that would be too large: long commands times many instances', async () => {
    const long = `[run, "${'x'.repeat(60_000)}", "{{ matrix.v }}"]`;
    const r = await run(chained(1, 200, long));
    expect(r.json.diagnostics.map((d) => d.code)).toEqual(['PW219']);
    expect(r.json.diagnostics[0]!.message).toMatch(/would write about \d+ MiB .*limit 32 MiB/);
  }, 60_000);

  it('accepts the shipped examples and a matrix at the per-task limit', async () => {
    const r = await run(chained(2, 200));
    expect(r.validate.code).toBe(0);
    const compile = await runCliCapture(['compile'], { cwd: r.dir });
    expect(compile.code).toBe(0);
  }, 60_000);

  it('estimates at least what compile writes', async () => {
    const spec = chained(3, 50);
    const r = await run(spec);
    expect(r.validate.code).toBe(0);
    expect(await runCliCapture(['compile'], { cwd: r.dir })).toMatchObject({ code: 0 });
    const { readdirSync, statSync } = await import('node:fs');
    let written = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else written += statSync(join(d, e.name)).size;
      }
    };
    walk(join(r.dir, 'generated'));
    const { loadSpec } = await import('../../src/spec/load.js');
    const doc = loadSpec('p.yaml', spec);
    const estimate = estimatePipelineSize(doc.value as never);
    expect(estimate.outputBytes).toBeGreaterThanOrEqual(written);
    expect(estimate.outputBytes).toBeLessThan(MAX_OUTPUT_BYTES);
  }, 60_000);
});
