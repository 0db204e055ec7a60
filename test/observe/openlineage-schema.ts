/** The vendored official OpenLineage schemas (test/schemas/openlineage/) compiled with ajv (JSON Schema 2020-12). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const DIR = join(import.meta.dirname, '..', 'schemas', 'openlineage');
const load = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const core = load('OpenLineage.json');
ajv.addSchema(core);
const facetFiles = {
  parent: 'facets/ParentRunFacet.json',
  nominalTime: 'facets/NominalTimeRunFacet.json',
  errorMessage: 'facets/ErrorMessageRunFacet.json',
  sourceCodeLocation: 'facets/SourceCodeLocationJobFacet.json',
} as const;
const facetSchemas = Object.fromEntries(
  Object.entries(facetFiles).map(([name, file]) => {
    const schema = load(file);
    ajv.addSchema(schema);
    return [name, ajv.getSchema(schema.$id)!];
  }),
);
const runEvent = ajv.getSchema(`${core.$id}#/$defs/RunEvent`)!;

/** Every problem of an event against the RunEvent schema and the schema of each facet it carries ([] = valid). */
export function openLineageProblems(event: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!runEvent(event)) problems.push(...(runEvent.errors ?? []).map((e) => `RunEvent${e.instancePath} ${e.message}`));
  const e = event as { run?: { facets?: Record<string, unknown> }; job?: { facets?: Record<string, unknown> } };
  for (const facets of [e.run?.facets ?? {}, e.job?.facets ?? {}]) {
    for (const name of Object.keys(facets)) {
      const validate = facetSchemas[name];
      if (!validate) {
        problems.push(`facet ${name}: no vendored schema`);
        continue;
      }
      if (!validate({ [name]: facets[name] }))
        problems.push(...(validate.errors ?? []).map((x) => `${name}${x.instancePath} ${x.message}`));
    }
  }
  return problems;
}
