/** Builds CheckedDocuments from YAML text through the real loader, and prints diagnostics compactly for assertions. */
import { expect } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { loadSpec } from '../../../src/spec/load.js';
import type { CheckedDocument, Rule } from '../../../src/spec/rules/rule.js';
import type { PipelineSpec } from '../../../src/spec/types.js';

export function checked(source: string, file = 'pipelines/test.yaml'): CheckedDocument {
  const doc = loadSpec(file, source);
  expect(doc.diagnostics).toEqual([]);
  return { doc, spec: doc.value as PipelineSpec };
}

/** `line:col-line:col severity CODE message` per diagnostic, in the rule's order. */
export function show(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map(
    (d) =>
      `${d.range.start.line}:${d.range.start.column}-${d.range.end.line}:${d.range.end.column} ${d.severity} ${d.code} ${d.message}`,
  );
}

export function run(rule: Rule, source: string): string[] {
  return show(rule.check!(checked(source)));
}

/** A schema-valid pipeline around the given `spec:` body lines (indented by two spaces already). */
export function pipeline(body: string, name = 'demo'): string {
  return `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: ${name}
  version: 1.0.0
  owner: data
spec:
${body}`;
}

/** The text a diagnostic's range covers (single-line ranges), to prove positions point at the right characters. */
export function covered(source: string, d: Diagnostic): string {
  const line = source.split('\n')[d.range.start.line - 1] ?? '';
  return line.slice(d.range.start.column - 1, d.range.end.column - 1);
}
