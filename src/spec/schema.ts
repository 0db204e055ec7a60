/**
 * The compiled JSON Schema validator for pipeline specs: schema/pipeline.schema.json (generated from src/spec/types.ts
 * by `npm run schema`), compiled by ajv once per process on first use.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { PipelineSpec } from './types.js';

/** Found from src/spec/ and from dist/spec/ alike (both are two levels below the package root). */
export const SCHEMA_URL = new URL('../../schema/pipeline.schema.json', import.meta.url);

/**
 * Annotation keywords yaml-language-server reads (human pattern messages, Markdown hovers, enum docs). They do not
 * validate anything; declared so ajv's strict mode accepts them instead of rejecting the schema.
 */
export const EDITOR_KEYWORDS = [
  'patternErrorMessage',
  'markdownDescription',
  'enumDescriptions',
  'markdownEnumDescriptions',
] as const;

let compiled: ValidateFunction<PipelineSpec> | undefined;
let schemaJson: Record<string, unknown> | undefined;

/** The pipeline JSON Schema as a plain object (read once). */
export function pipelineSchema(): Record<string, unknown> {
  schemaJson ??= JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
  return schemaJson;
}

/** The ajv validator (strict mode, every error reported), compiled on first use and reused. */
export function pipelineValidator(): ValidateFunction<PipelineSpec> {
  if (!compiled) {
    const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: false, keywords: [...EDITOR_KEYWORDS] });
    compiled = ajv.compile<PipelineSpec>(pipelineSchema());
  }
  return compiled;
}

/** Validate one value; returns ajv's raw errors (empty when valid). */
export function schemaErrors(value: unknown): ErrorObject[] {
  const validate = pipelineValidator();
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
