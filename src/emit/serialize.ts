import { Document, type ToStringOptions } from 'yaml';
import type { EmittedFile } from '../targets/target.js';

/**
 * THE serializer: every generated YAML file goes through here, so quoting and layout are decided once.
 *
 * - `compat: 'yaml-1.1'` makes the writer quote every string that a YAML 1.1 reader (Compose's Go parser, PyYAML,
 *   js-yaml as used by gitlab-ci-local, Kubernetes' sigs.k8s.io/yaml) would read as something else: `yes`, `NO`, `on`,
 *   `0755`, `12:30`, `1_000`, `~`, `2024-01-01` … The output itself is plain YAML 1.2 (no directive).
 * - `aliasDuplicateObjects: false`: an object used twice is written twice, never as an anchor/alias.
 * - `lineWidth: 0`: never fold long lines (folding is where byte-level surprises hide).
 * - Key order: `apiVersion`, `kind`, `metadata` first in each document (Kubernetes convention), then insertion order:
 *   emitters build objects in the order they want (sorted where there is no natural order).
 * - Header lines become `# ` comments; documents are separated by `---`; LF only; one trailing newline.
 */
const DOCUMENT_OPTIONS = {
  version: '1.2',
  compat: 'yaml-1.1',
  aliasDuplicateObjects: false,
  keepUndefined: false,
} as const;
// doubleQuotedAsJSON + no block scalars: yaml 2.9.1 writes whitespace-only block lines and folded \r\n escapes that
// no reader reads back unchanged (found by the argv property test); JSON-style double quotes always round-trip.
const TO_STRING: ToStringOptions = {
  lineWidth: 0,
  minContentWidth: 0,
  indentSeq: true,
  nullStr: 'null',
  doubleQuotedAsJSON: true,
  blockQuote: false,
};
const HOISTED = ['apiVersion', 'kind', 'metadata'];

function hoistKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  if (!HOISTED.some((k) => Object.hasOwn(record, k))) return value;
  const keys = [
    ...HOISTED.filter((k) => Object.hasOwn(record, k)),
    ...Object.keys(record).filter((k) => !HOISTED.includes(k)),
  ];
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

/** One comment line: control characters (newlines could end the comment and inject YAML) become '?'. */
function commentLine(text: string): string {
  const safe = text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, '?');
  return safe === '' ? '#' : `# ${safe}`;
}

export function serializeDocument(value: unknown): string {
  const doc = new Document(hoistKeys(value), DOCUMENT_OPTIONS);
  for (const warning of doc.warnings) throw new Error(`serializeYaml: ${warning.message}`);
  for (const error of doc.errors) throw new Error(`serializeYaml: ${error.message}`);
  return doc.toString(TO_STRING);
}

/** The bytes of one generated file. Deterministic: same input objects → same text on every run and machine. */
export function serializeYaml(file: EmittedFile): string {
  if (file.documents.length === 0) throw new Error(`serializeYaml: ${file.path} has no documents`);
  const header = file.header.map((line) => `${commentLine(line)}\n`).join('');
  const body = file.documents.map(serializeDocument).join('---\n');
  return header + body;
}
