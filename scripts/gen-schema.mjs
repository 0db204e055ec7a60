// npm run schema: writes schema/pipeline.schema.json from src/spec/types.ts and schema/config.schema.json from
// src/config/types.ts (the single sources of truth). Exports the generators so tests can regenerate in memory and fail
// when a committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import TJS from 'typescript-json-schema';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_PATH = join(root, 'schema', 'pipeline.schema.json');
export const SCHEMA_ID = 'https://pipewright.dev/schema/pipeline.schema.json';
export const CONFIG_SCHEMA_PATH = join(root, 'schema', 'config.schema.json');
export const CONFIG_SCHEMA_ID = 'https://pipewright.dev/schema/config.schema.json';

const SETTINGS = {
  required: true,
  noExtraProps: true,
  strictNullChecks: true,
  ref: true,
  // aliasRef: true would emit duplicate `X_1` definitions; aliases are inlined and patched below instead.
  aliasRef: false,
  titles: false,
  defaultProps: false,
  ignoreErrors: false,
  // Read by yaml-language-server (and so by VS Code's YAML extension): human pattern messages, Markdown hovers and
  // per-value enum docs. src/spec/schema.ts declares them to ajv so strict mode accepts them.
  validationKeywords: ['patternErrorMessage', 'markdownDescription', 'enumDescriptions', 'markdownEnumDescriptions'],
};

/**
 * typescript-json-schema drops the JSDoc of an aliased type used as an index-signature value
 * (`{ [key: string]: LabelValue }` becomes `{ type: string }`): put the alias' own schema back at those spots.
 */
const ALIAS_VALUES = [
  { at: ['PipelineMetadata', 'labels', 'additionalProperties'], type: 'LabelValue' },
  { at: ['TaskSpec', 'matrix', 'additionalProperties', 'items'], type: 'MatrixValue' },
  { at: ['TaskDefaults', 'env', 'additionalProperties'], type: 'EnvValue' },
  { at: ['TaskSpec', 'env', 'additionalProperties'], type: 'EnvValue' },
];

/**
 * Map keys users write, and what each must match (JSON Schema `propertyNames`, which TypeScript cannot express).
 * A `type` takes the pattern from that alias in src/spec/types.ts; otherwise the pattern is given here.
 */
const KEY_PATTERNS = [
  // Kubernetes label keys: optional DNS-subdomain prefix and '/', then a name.
  {
    at: ['PipelineMetadata', 'labels'],
    pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
    message:
      "must be a label key: an optional 'prefix/' (lowercase DNS name) and a name of letters, digits, '-', '_' and '.', e.g. team or example.com/tier",
  },
  // Referenced as {{ params.NAME }} and passed as PIPEWRIGHT_PARAM_NAME: lowercase so two names never share a variable.
  {
    at: ['PipelineBody', 'params'],
    pattern: '^[a-z_][a-z0-9_]*$',
    message: "must be lowercase letters, digits and '_', not starting with a digit, e.g. region",
  },
  // Task ids become container, Job and GitLab job names (with a matrix suffix): short and DNS-friendly.
  {
    at: ['PipelineBody', 'tasks'],
    pattern: '^[A-Za-z][A-Za-z0-9_-]{0,49}$',
    message: "must be letters, digits, '-' and '_', starting with a letter, at most 50 characters, e.g. load_orders",
  },
  { at: ['TaskDefaults', 'env'], type: 'EnvName' },
  { at: ['TaskSpec', 'env'], type: 'EnvName' },
  { at: ['TaskSpec', 'secrets'], type: 'EnvName' },
  // Referenced as {{ matrix.KEY }}.
  {
    at: ['TaskSpec', 'matrix'],
    pattern: '^[a-z_][a-z0-9_]*$',
    message: "must be lowercase letters, digits and '_', not starting with a digit, e.g. region",
  },
];

/** The schema of src/spec/types.ts#PipelineSpec, post-processed, with stable key order. */
export function generateSchema() {
  const program = TJS.getProgramFromFiles([join(root, 'src', 'spec', 'types.ts')], {
    strict: true,
    skipLibCheck: true,
  });
  const generator = TJS.buildGenerator(program, SETTINGS);
  if (!generator) throw new Error('typescript-json-schema could not read src/spec/types.ts');
  const raw = generator.getSchemaForSymbol('PipelineSpec');
  const definitions = raw.definitions ?? {};
  const aliasSchema = (type) => {
    const { $schema: _drop, ...schema } = generator.getSchemaForSymbol(type);
    return schema;
  };
  for (const { at, type } of ALIAS_VALUES) {
    const parent = locate(definitions, at.slice(0, -1));
    parent[at[at.length - 1]] = aliasSchema(type);
  }
  for (const { at, type, pattern, message } of KEY_PATTERNS) {
    const target = locate(definitions, at);
    const alias = type ? aliasSchema(type) : undefined;
    target.propertyNames = {
      pattern: alias ? alias.pattern : pattern,
      patternErrorMessage: alias ? alias.patternErrorMessage : message,
    };
  }
  const { $schema: _schema, definitions: _definitions, ...rest } = raw;
  return sortKeys({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    ...rest,
    definitions,
  });
}

/** `['TaskSpec', 'matrix', …]` → definitions.TaskSpec.properties.matrix.… (fails loudly when types.ts changed shape). */
function locate(definitions, [type, property, ...rest]) {
  let node = definitions[type]?.properties?.[property];
  for (const key of rest) node = node?.[key];
  if (!node || typeof node !== 'object')
    throw new Error(`gen-schema: ${[type, property, ...rest].join('.')} not found`);
  return node;
}

/** Stable output: keys sorted, except that a schema reads best with its identity and shape first. */
const FIRST = ['$schema', '$id', 'title', 'description', 'type'];
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort((a, b) => {
    const ia = FIRST.indexOf(a);
    const ib = FIRST.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? FIRST.length : ia) - (ib === -1 ? FIRST.length : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const out = {};
  for (const k of keys) out[k] = sortKeys(value[k]);
  return out;
}

export function schemaText() {
  return `${JSON.stringify(generateSchema(), null, 2)}\n`;
}

/** A schema generator over one source file of src/ (e.g. 'config/types.ts'). */
function generatorFor(file) {
  const program = TJS.getProgramFromFiles([join(root, 'src', file)], { strict: true, skipLibCheck: true });
  const generator = TJS.buildGenerator(program, SETTINGS);
  if (!generator) throw new Error(`typescript-json-schema could not read src/${file}`);
  return generator;
}

/** The schema of src/config/types.ts#ProjectConfig (pipewright.yaml), with stable key order. */
export function generateConfigSchema() {
  const generator = generatorFor('config/types.ts');
  const raw = generator.getSchemaForSymbol('ProjectConfig');
  const definitions = raw.definitions ?? {};
  // An alias inside a union is inlined without its JSDoc (`jobs: 'auto' | JobCount` gives a plain number): put the
  // alias' own schema (a whole number ≥ 1) back in its branch.
  const { $schema: _jobCount, ...jobCount } = generator.getSchemaForSymbol('JobCount');
  const jobs = raw.properties.jobs;
  const branch = jobs?.anyOf?.findIndex((b) => b.type === 'number');
  if (branch === undefined || branch < 0) throw new Error('gen-schema: ProjectConfig.jobs is no longer a number union');
  jobs.anyOf[branch] = jobCount;
  // Pipelines are named by metadata.name: the same DNS-1123 label as in a spec.
  const specNames = generatorFor('spec/types.ts').getSchemaForSymbol('PipelineMetadata').properties.name;
  raw.properties.pipelines.propertyNames = {
    pattern: specNames.pattern,
    patternErrorMessage: specNames.patternErrorMessage,
    maxLength: specNames.maxLength,
  };
  // Editors show the code's name on hover: taken from the closed set in src/diagnostics/codes.ts.
  const names = Object.fromEntries(
    [...readFileSync(join(root, 'src', 'diagnostics', 'codes.ts'), 'utf8').matchAll(/^\s+(PW\d{3}): '([^']+)'/gm)].map(
      (m) => [m[1], m[2]],
    ),
  );
  for (const [code, schema] of Object.entries(definitions.DiagnosticLevels.properties)) {
    if (!names[code]) throw new Error(`gen-schema: ${code} is not in src/diagnostics/codes.ts`);
    schema.description = `${code} ${names[code]} (docs/diagnostics.md#${code.toLowerCase()}-${names[code]}): off, warn or error`;
  }
  const { $schema: _schema, definitions: _definitions, ...rest } = raw;
  return sortKeys({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: CONFIG_SCHEMA_ID,
    ...rest,
    definitions,
  });
}

export function configSchemaText() {
  return `${JSON.stringify(generateConfigSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_PATH, schemaText());
  console.log(`wrote ${SCHEMA_PATH}`);
  writeFileSync(CONFIG_SCHEMA_PATH, configSchemaText());
  console.log(`wrote ${CONFIG_SCHEMA_PATH}`);
}
