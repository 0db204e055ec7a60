import { stringify } from 'yaml';

/** A complete, valid spec value (plain object) to mutate per test; `specYaml` writes it as a file. */
export function baseSpec(name: string): Record<string, any> {
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
          inputs: ['s3://lake/raw/orders/{{ ds }}'],
          outputs: ['s3://lake/staging/orders/{{ ds }}'],
        },
        load: {
          needs: ['extract'],
          command: ['python', '-m', 'etl.load'],
          inputs: ['s3://lake/staging/orders/{{ ds }}'],
          outputs: ['warehouse://analytics.orders', 'warehouse://analytics.order_lines'],
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
