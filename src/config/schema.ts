/**
 * The compiled JSON Schema validator for the project configuration: schema/config.schema.json (generated from
 * src/config/types.ts by `npm run schema`), compiled by ajv once per process on first use.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { EDITOR_KEYWORDS } from '../spec/schema.js';
import type { DocumentSchema } from '../spec/validate.js';
import type { ProjectConfig } from './types.js';

/** Found from src/config/ and from dist/config/ alike (both are two levels below the package root). */
export const CONFIG_SCHEMA_URL = new URL('../../schema/config.schema.json', import.meta.url);

let compiled: ValidateFunction<ProjectConfig> | undefined;
let schemaJson: Record<string, unknown> | undefined;

export function configSchema(): Record<string, unknown> {
  schemaJson ??= JSON.parse(readFileSync(CONFIG_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
  return schemaJson;
}

function configErrors(value: unknown): ErrorObject[] {
  compiled ??= new Ajv({
    strict: true,
    allErrors: true,
    allowUnionTypes: false,
    keywords: [...EDITOR_KEYWORDS],
  }).compile<ProjectConfig>(configSchema());
  return compiled(value) ? [] : [...(compiled.errors ?? [])];
}

/** What validate.ts's schema diagnostics need: the same positioned, did-you-mean messages as for specs. */
export const CONFIG_SCHEMA: DocumentSchema = { errors: configErrors, schema: configSchema };
