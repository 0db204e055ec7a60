import type { DiagnosticCode } from '../../diagnostics/codes.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SpecDocument } from '../document.js';
import type { PipelineSpec } from '../types.js';

/** A document that passed the loader and the schema: its value is a PipelineSpec. */
export interface CheckedDocument {
  doc: SpecDocument;
  spec: PipelineSpec;
}

/** One semantic rule = one file in src/spec/rules/ with one stable code (or a small family of them). */
export interface Rule {
  /** Kebab-case rule name, e.g. 'unknown-needs'. */
  name: string;
  /** The codes this rule can report (docs/diagnostics.md is cross-checked against them). Every built-in rule sets it. */
  codes?: readonly DiagnosticCode[];
  /** Per-document check. */
  check?(input: CheckedDocument): Diagnostic[];
  /** Cross-file check (e.g. duplicate pipeline names), given every schema-valid document. */
  checkAll?(inputs: readonly CheckedDocument[]): Diagnostic[];
}
