/** Spec values shared by the target tests, normalised with the real normalizePipeline. */
import type { PipelineIR } from '../../../src/model/ir.js';
import { normalizePipeline } from '../../../src/model/normalize.js';
import type { PipelineSpec } from '../../../src/spec/types.js';

export function dailyOrdersSpec(): PipelineSpec {
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: {
      name: 'daily-orders',
      version: '1.4.0+build.7',
      owner: 'analytics',
      labels: { domain: 'sales', 'team.example.com/cost-center': 'cc-42' },
    },
    spec: {
      schedule: '0 5 * * *',
      timezone: 'Europe/Berlin',
      sla: '2h',
      defaults: {
        image: 'registry.example.com/etl:1.4.2',
        retries: 1,
        retryDelay: '30s',
        timeout: '30m',
        resources: { cpu: '500m', memory: '512Mi' },
      },
      params: { region: { default: 'eu-$(HOME)', description: 'target region' }, batch: {} },
      tasks: {
        extract: {
          command: ['python', '-m', 'etl.extract', '--date', '{{ ds }}', "it's $(not) a `var` $$", ''],
          env: { MODE: 'batch', OUT: 's3://lake/{{ ds_nodash }}/$HOME', EMPTY: '' },
          secrets: { WAREHOUSE_PASSWORD: { ref: 'warehouse/password' } },
          retries: 3,
          timeout: '10m',
          resources: { cpu: '1', memory: '1Gi' },
          pool: 'highmem',
          workingDir: '/app',
        },
        transform: {
          needs: ['extract'],
          matrix: { region: ['eu', 'us'] },
          command: ['python', '-m', 'etl.transform', '--region', '{{ matrix.region }}', '--p={{ params.region }}'],
        },
        quality: { type: 'check', needs: ['transform'], command: ['dbt', 'test', '--vars', '{"ds": "{{ ds }}"}'] },
      },
    },
  };
}

export function dailyOrders(): PipelineIR {
  return normalizePipeline(dailyOrdersSpec(), 'pipelines/daily-orders.yaml');
}

export function manualSpec(): PipelineSpec {
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: { name: 'adhoc', version: '0.1.0', owner: 'ml' },
    spec: {
      enabled: false,
      tasks: { train: { image: 'registry.example.com/ml:2.0.0', command: ['train', '--run={{ run_id }}'] } },
    },
  };
}

export function manual(): PipelineIR {
  return normalizePipeline(manualSpec(), 'pipelines/adhoc.yaml');
}
