/**
 * The targets' official schemas, vendored in test/schemas/ (sources, versions and licences: test/schemas/README.md and
 * sources.json; refreshed by scripts/refresh-schemas.mjs). Compiled with ajv as their notes say: strict mode off
 * (vendor keywords such as markdownDescription and x-kubernetes-*), formats on, `$schema` dropped (compose-spec names
 * a draft-07 URI ajv does not know). Nothing here reads outside the repository.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readSources } from '../../scripts/refresh-schemas.mjs';

// ajv-formats is CommonJS with `exports.default`: under NodeNext the default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export const SCHEMAS_DIR = join(import.meta.dirname, '..', 'schemas');

export function loadVendoredSchema(file: string): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8'));
  delete schema.$schema;
  return schema;
}

export interface TargetValidators {
  compose: ValidateFunction;
  gitlab: ValidateFunction;
  /** Kubernetes kind → its strict schema. */
  kinds: Map<string, ValidateFunction>;
}

let validators: TargetValidators | undefined;

/** Every vendored schema compiled once per test file. */
export function targetValidators(): TargetValidators {
  if (validators) return validators;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  let compose: ValidateFunction | undefined;
  let gitlab: ValidateFunction | undefined;
  const kinds = new Map<string, ValidateFunction>();
  for (const [file, source] of Object.entries(readSources())) {
    const validate = ajv.compile(loadVendoredSchema(file));
    if (source.target === 'compose') compose = validate;
    else if (source.target === 'gitlab') gitlab = validate;
    else if (source.kind) kinds.set(source.kind, validate);
  }
  if (!compose || !gitlab) throw new Error('test/schemas/sources.json lacks the compose or the gitlab schema');
  validators = { compose, gitlab, kinds };
  return validators;
}

/** Schema errors of a parsed compose file, as readable lines (empty when valid). */
export function composeSchemaErrors(value: unknown): string[] {
  const validate = targetValidators().compose;
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
