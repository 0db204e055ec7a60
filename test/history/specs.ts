import { stringify } from 'yaml';
import type { PipelineSpec } from '../../src/spec/types.js';

/** A complete, valid spec value (plain object) to mutate per test; `specYaml` writes it as a file. */
/** Datasets carry the pipeline name so pipelines built from this base never read each other's outputs by accident. */
export function baseSpec(name: string): PipelineSpec {
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: {
      name,
      version: '1.0.0',
      owner: 'analytics',
      description: 'Orders into the warehouse',
      labels: { domain: 'sales' },
    },
    spec: {
      schedule: '0 5 * * *',
      timezone: 'Europe/Berlin',
      enabled: true,
      catchup: false,
      startDate: '2024-01-01',
      endDate: '2030-12-31',
      concurrency: 1,
      sla: '2h',
      defaults: {
        image: 'registry.example.com/etl:1.4.2',
        retries: 2,
        retryDelay: '1m',
        timeout: '30m',
        resources: { cpu: '500m', memory: '512Mi' },
      },
      params: {
        region: { default: 'eu', description: 'Region', enum: ['eu', 'us'] },
        mode: { default: 'full' },
        token_scope: { description: 'required' },
      },
      tasks: {
        extract: {
          command: ['python', '-m', 'etl.extract', '--date', '{{ ds }}'],
          env: { MODE: 'batch' },
          secrets: { WAREHOUSE_PASSWORD: { ref: 'warehouse/password' } },
          retries: 3,
          pool: 'highmem',
          workingDir: '/app',
          description: 'Extract orders',
          inputs: [`s3://lake/raw/${name}/{{ ds }}`],
          outputs: [`s3://lake/staging/${name}/{{ ds }}`],
        },
        load: {
          needs: ['extract'],
          command: ['python', '-m', 'etl.load'],
          inputs: [`s3://lake/staging/${name}/{{ ds }}`],
          outputs: [`warehouse://analytics.${name}`, `warehouse://analytics.${name}_lines`],
        },
        quality: { type: 'check', needs: ['load'], command: ['python', '-m', 'etl.check'] },
      },
    },
  };
}

export function specYaml(spec: unknown): string {
  return `# yaml-language-server: $schema=../schema/pipeline.schema.json\n${stringify(spec)}`;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** A consumer of `dataset`: its extract task reads it (and with `matrix`, load-eu and load-us too). */
export function readerSpec(name: string, dataset: string, matrix = false): PipelineSpec {
  const s = baseSpec(name);
  s.spec.tasks.extract!.inputs = [dataset, ...(s.spec.tasks.extract!.inputs ?? [])];
  if (matrix) s.spec.tasks.load!.matrix = { region: ['eu', 'us'] };
  if (matrix) s.spec.tasks.load!.inputs = [dataset];
  return s;
}
