import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH, schemaText } from '../../scripts/gen-schema.mjs';
import { pipelineSchema, pipelineValidator, schemaErrors } from '../../src/spec/schema.js';

interface SchemaNode {
  description?: string;
  pattern?: string;
  patternErrorMessage?: string;
  enum?: unknown[];
  enumDescriptions?: string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  propertyNames?: SchemaNode;
}

/** A spec shape loose enough for tests to break it. */
interface Loose {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown> & { tasks: Record<string, Record<string, unknown>> };
}

function minimal(): Loose {
  return {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: { name: 'daily-orders', version: '1.4.0', owner: 'analytics' },
    spec: { tasks: { extract: { image: 'registry.example.com/etl:1.4.2', command: ['python', '-m', 'etl'] } } },
  };
}

describe('schema/pipeline.schema.json', () => {
  it('is up to date with src/spec/types.ts (fix: npm run schema)', () => {
    const committed = readFileSync(SCHEMA_PATH, 'utf8');
    const fresh = schemaText();
    expect(committed, 'schema/pipeline.schema.json is stale: run `npm run schema` and commit the result').toBe(fresh);
  });

  it('documents every property for editors: a description, a pattern message, enum descriptions', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
    const problems: string[] = [];
    const walk = (node: SchemaNode, at: string) => {
      if (node.pattern !== undefined && typeof node.patternErrorMessage !== 'string') problems.push(`${at}: pattern`);
      if (typeof node.patternErrorMessage === 'string' && !node.patternErrorMessage.startsWith('must '))
        problems.push(`${at}: patternErrorMessage should read "must …"`);
      if (node.enum !== undefined && node.enumDescriptions?.length !== node.enum.length) problems.push(`${at}: enum`);
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        if (!child.description) problems.push(`${at}.${name}: description`);
        walk(child, `${at}.${name}`);
      }
      for (const key of ['additionalProperties', 'items', 'propertyNames'] as const) {
        const child = node[key];
        if (child && typeof child === 'object') walk(child, `${at}/${key}`);
      }
    };
    walk(schema, '#');
    for (const [name, definition] of Object.entries(schema.definitions as Record<string, SchemaNode>)) {
      if (!definition.description) problems.push(`${name}: description`);
      walk(definition, name);
    }
    expect(problems).toEqual([]);
  });

  it('is compiled by ajv in strict mode with the editor keywords declared', () => {
    expect(() => pipelineValidator()).not.toThrow();
    expect(JSON.stringify(pipelineSchema())).toContain('"patternErrorMessage"');
  });

  it('is compiled once and reused', () => {
    expect(pipelineValidator()).toBe(pipelineValidator());
  });

  it('accepts a minimal pipeline and rejects extra properties anywhere', () => {
    expect(schemaErrors(minimal())).toEqual([]);
    const extra = minimal();
    extra.spec.tasks.extract!.retires = 3;
    expect(schemaErrors(extra).map((e) => [e.instancePath, e.keyword])).toEqual([
      ['/spec/tasks/extract', 'additionalProperties'],
    ]);
  });

  it('constrains map keys with propertyNames (task ids, env names, matrix keys, params, labels)', () => {
    const bad = minimal();
    bad.metadata.labels = { 'bad key!': 'x' };
    bad.spec.params = { Region: {} };
    bad.spec.tasks['1st'] = { command: ['x'] };
    bad.spec.tasks.extract!.env = { 'MY-VAR': 'x' };
    bad.spec.tasks.extract!.secrets = { 'DB PASS': { ref: 'db/password' } };
    bad.spec.tasks.extract!.matrix = { Region: ['eu'] };
    const names = schemaErrors(bad)
      .filter((e) => e.keyword === 'pattern')
      .map((e) => `${e.instancePath}:${e.propertyName}`);
    expect(names.sort()).toEqual([
      '/metadata/labels:bad key!',
      '/spec/params:Region',
      '/spec/tasks/extract/env:MY-VAR',
      '/spec/tasks/extract/matrix:Region',
      '/spec/tasks/extract/secrets:DB PASS',
      '/spec/tasks:1st',
    ]);
  });

  it('keeps the annotations of aliased map values (label values, matrix values)', () => {
    const bad = minimal();
    bad.metadata.labels = { domain: 'has space' };
    bad.spec.tasks.extract!.matrix = { region: ['{{ ds }}'] };
    expect(schemaErrors(bad).map((e) => `${e.instancePath} ${e.keyword}`)).toEqual([
      '/metadata/labels/domain pattern',
      '/spec/tasks/extract/matrix/region/0 pattern',
    ]);
  });
});
