import { hashValue } from '../../src/model/hash.js';
import type { PipelineIR, TaskIR } from '../../src/model/ir.js';
import { toTemplate } from '../../src/model/template.js';

/** Hand-built IR values for the pure core tests (the git tests go through the real loader and normalizer). */
export function task(
  id: string,
  overrides: Partial<Omit<TaskIR, 'command' | 'inputs' | 'outputs'>> & {
    command?: string[];
    inputs?: string[];
    outputs?: string[];
  } = {},
): TaskIR {
  const { command, inputs, outputs, ...rest } = overrides;
  return {
    id,
    specId: id,
    matrix: {},
    type: 'task',
    image: 'registry.example.com/etl:1.0.0',
    command: (command ?? ['run', id]).map((w) => toTemplate(w, {})),
    env: [],
    secrets: [],
    needs: [],
    retries: 0,
    retryDelaySeconds: 30,
    resources: {},
    inputs: (inputs ?? []).map((w) => toTemplate(w, {})),
    outputs: (outputs ?? []).map((w) => toTemplate(w, {})),
    hash: `hash-${id}`,
    ...rest,
  };
}

/** Like normalizePipeline, `specHash` is the hash of everything but `file` (unless given). */
export function pipeline(name: string, overrides: Partial<PipelineIR> = {}): PipelineIR {
  const ir: PipelineIR = {
    name,
    version: '1.0.0',
    owner: 'analytics',
    labels: {},
    file: `pipelines/${name}.yaml`,
    timezone: 'UTC',
    enabled: true,
    catchup: false,
    concurrency: 1,
    params: [],
    tasks: [task('extract')],
    specHash: '',
    ...overrides,
  };
  if (overrides.specHash === undefined) {
    const { file: _file, specHash: _hash, ...hashed } = ir;
    ir.specHash = hashValue(hashed);
  }
  return ir;
}

export function side(...pipelines: PipelineIR[]): Map<string, PipelineIR> {
  return new Map(pipelines.map((p) => [p.name, p]));
}
