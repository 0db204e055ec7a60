import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`: under NodeNext the default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The official Compose schema (draft-07 copy in /work/shared/schemas), compiled as its README says. */
let validator: ValidateFunction | undefined;

export function composeValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(
      readFileSync(new URL('../../../shared/schemas/compose-spec.json', import.meta.url), 'utf8'),
    );
    delete schema.$schema;
    const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  return validator!;
}

/** Schema errors of a parsed compose file, as readable lines (empty when valid). */
export function composeSchemaErrors(value: unknown): string[] {
  const validate = composeValidator();
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
