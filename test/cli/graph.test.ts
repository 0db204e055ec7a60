import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderGraph } from '../../src/emit/graph.js';
import { normalizePipeline } from '../../src/model/normalize.js';
import { runCliCapture } from '../helpers/cli.js';
import { pipelineSpec, project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

describe('pipewright graph', () => {
  it('prints a Mermaid flowchart (checks as hexagons)', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha', { check: true, extraTask: true }) });
    const r = await runCliCapture(['graph', 'alpha'], { cwd });
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'flowchart LR',
        '  n0["extract (task)"]',
        '  n1{{"load (check)"}}',
        '  n2["report (task)"]',
        '  n0 --> n1',
        '  n1 --> n2',
        '',
      ].join('\n'),
    });
  });

  it('prints Graphviz DOT', async () => {
    const cwd = await project({ 'specs/a.yaml': pipelineSpec('alpha') });
    const r = await runCliCapture(['graph', 'alpha', 'specs', '--format', 'dot'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'digraph "alpha" {',
        '  rankdir=LR;',
        '  node [shape=box];',
        '  "extract" [label="extract (task)"];',
        '  "load" [label="load (task)"];',
        '  "extract" -> "load";',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('names the known pipelines when the one asked for does not exist; usage errors exit 2', async () => {
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha'), 'pipelines/b.yaml': pipelineSpec('beta') });
    expect(await runCliCapture(['graph', 'gamma'], { cwd })).toMatchObject({
      code: 1,
      stderr: "pipewright: graph: no pipeline named 'gamma' (found: alpha, beta)\n",
    });
    expect((await runCliCapture(['graph'], { cwd })).code).toBe(2);
    expect((await runCliCapture(['graph', 'alpha', '--format', 'png'], { cwd })).code).toBe(2);
  });

  it('refuses a pipeline whose spec has errors, showing them', async () => {
    const cwd = await project({
      'pipelines/a.yaml': pipelineSpec('alpha').replace('needs: [extract]', 'needs: [ghost]'),
    });
    const r = await runCliCapture(['graph', 'alpha'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pipelines\/a\.yaml:15:15: error: .*ghost.* \[PW201\]\n/);
    expect(r.stderr).toMatch(/\n1 error, 0 warnings in 1 file\ngraph: pipelines\/a\.yaml has 1 error\n$/);
  });

  it('escapes labels for Mermaid and DOT', () => {
    const ir = normalizePipeline(
      {
        apiVersion: 'pipewright.dev/v1',
        kind: 'Pipeline',
        metadata: { name: 'q"x', version: '1.0.0', owner: 'o' },
        spec: { defaults: { image: 'a:1' }, tasks: { t: { command: ['x'], matrix: { v: ['a"b'] } } } },
      },
      'p.yaml',
    );
    expect(renderGraph(ir, 'mermaid')).toContain('n0["t-a-b (task, v=a#34;b)"]');
    expect(renderGraph(ir, 'dot')).toContain('digraph "q\\"x" {');
    expect(renderGraph(ir, 'dot')).toContain('[label="t-a-b (task, v=a\\"b)"]');
  });

  it('runs as the built CLI', async () => {
    const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
    expect(existsSync(cli), 'dist/cli.js (run `npm run build` first)').toBe(true);
    const cwd = await project({ 'pipelines/a.yaml': pipelineSpec('alpha') });
    const r = spawnSync(process.execPath, [cli, 'graph', 'alpha', '--format', 'dot'], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"extract" -> "load";');
  });
});
