// Regenerates the vendored target schemas in test/schemas/ from the sources declared in test/schemas/sources.json
// (the tests validate every generated file against them; nothing is read from outside the repository at test time).
//
//   node scripts/refresh-schemas.mjs            fetch / regenerate every file; a downloaded file must still have the
//                                               recorded sha256 (the URLs pin commits), else it stops
//   node scripts/refresh-schemas.mjs --update   the same, but record new sha256 sums (after moving a pin: review the diff)
//   node scripts/refresh-schemas.mjs --check    offline: files on disk match their sums, and the schemas derived from
//                                               an npm package regenerate byte for byte from the installed package
//
// Sources:
//   "url"                a file downloaded as is (pinned to a commit)
//   "kubernetes-models"  a strict JSON Schema generated from the kubernetes-models package's TypeScript types (the
//                        Kubernetes OpenAPI definitions) with typescript-json-schema, additionalProperties: false
//                        everywhere — for kinds the pinned strict schema collection does not carry.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import TJS from 'typescript-json-schema';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMAS_DIR = join(root, 'test', 'schemas');
const SOURCES_PATH = join(SCHEMAS_DIR, 'sources.json');

export function readSources() {
  return JSON.parse(readFileSync(SOURCES_PATH, 'utf8'));
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** The strict schemas of every "kubernetes-models" entry, generated in one TypeScript program: file → text. */
export function generateFromKubernetesModels(sources) {
  const entries = Object.entries(sources).filter(([, s]) => s.source === 'kubernetes-models');
  if (entries.length === 0) return new Map();
  const pkgDir = join(root, 'node_modules', 'kubernetes-models');
  const installed = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  for (const [file, s] of entries) {
    if (s.packageVersion !== installed)
      throw new Error(`${file}: declared from kubernetes-models ${s.packageVersion}, installed is ${installed}`);
  }
  const program = TJS.getProgramFromFiles(
    entries.map(([, s]) => join(pkgDir, s.module)),
    { strict: true, skipLibCheck: true },
  );
  const generator = TJS.buildGenerator(program, {
    required: true,
    noExtraProps: true,
    strictNullChecks: true,
    ref: true,
    titles: false,
    ignoreErrors: false,
    uniqueNames: false,
  });
  if (!generator) throw new Error('typescript-json-schema could not read the kubernetes-models types');
  const out = new Map();
  for (const [file, s] of entries) {
    const { $schema: _drop, ...schema } = generator.getSchemaForSymbol(s.type);
    const text = `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
    out.set(file, text);
  }
  return out;
}

async function download(url) {
  const response = await fetch(url, { redirect: 'follow' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return await response.text();
}

/** Problems found by --check (empty when everything matches). */
export function checkSchemas(sources = readSources()) {
  const problems = [];
  const generated = generateFromKubernetesModels(sources);
  for (const [file, s] of Object.entries(sources)) {
    let text;
    try {
      text = readFileSync(join(SCHEMAS_DIR, file), 'utf8');
    } catch {
      problems.push(`${file}: missing`);
      continue;
    }
    if (sha256(text) !== s.sha256) problems.push(`${file}: sha256 ${sha256(text)} is not the recorded ${s.sha256}`);
    if (generated.has(file) && generated.get(file) !== text)
      problems.push(`${file}: differs from what ${s.package} ${s.packageVersion} generates`);
  }
  return problems;
}

async function refresh(update) {
  const sources = readSources();
  const generated = generateFromKubernetesModels(sources);
  for (const [file, s] of Object.entries(sources)) {
    const text = s.source === 'url' ? await download(s.url) : generated.get(file);
    if (text === undefined) throw new Error(`${file}: unknown source ${s.source}`);
    const sum = sha256(text);
    if (sum !== s.sha256) {
      if (!update) throw new Error(`${file}: got sha256 ${sum}, recorded ${s.sha256} (--update records it)`);
      s.sha256 = sum;
    }
    mkdirSync(dirname(join(SCHEMAS_DIR, file)), { recursive: true });
    writeFileSync(join(SCHEMAS_DIR, file), text);
    console.log(`wrote test/schemas/${file}`);
  }
  if (update) writeFileSync(SOURCES_PATH, `${JSON.stringify(sources, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.includes('--check')) {
    const problems = checkSchemas();
    for (const p of problems) console.error(p);
    process.exitCode = problems.length > 0 ? 1 : 0;
    if (problems.length === 0) console.log('test/schemas: every file matches its declared source');
  } else {
    await refresh(args.includes('--update')).catch((error) => {
      console.error(error.message);
      process.exitCode = 1;
    });
  }
}
