/**
 * pipewright as a library: the same stages the CLI runs, as pure functions over values (I/O only in the readers).
 * Diagnostics (value, codes, formatters) and specs (types, load, discover, validate); other stages append theirs.
 */

export { codeFrame, FrameSource } from './diagnostics/code-frame.js';
export { CODES, type DiagnosticCode } from './diagnostics/codes.js';
export {
  type Diagnostic,
  hasErrors,
  type Position,
  type RelatedLocation,
  type Severity,
  type SourceRange,
  sortDiagnostics,
  UserError,
} from './diagnostics/diagnostic.js';
export { type CodeQualityIssue, formatCodeQuality, toCodeQuality } from './diagnostics/format-codequality.js';
export { formatJson, type JsonDiagnostic, type JsonReport, toJsonReport } from './diagnostics/format-json.js';
export { type DiagnosticReport, type Summary, summarize, summaryLine } from './diagnostics/format-summary.js';
export { formatText, type TextFormatOptions } from './diagnostics/format-text.js';
export { type DiscoveredSpec, discoverSpecs, loadSpecFiles, readSpec } from './spec/discover.js';
export type { SpecDocument, SpecPath } from './spec/document.js';
export { loadSpec, MAX_NESTING_DEPTH, MAX_SPEC_BYTES } from './spec/load.js';
export { RULES } from './spec/rules/index.js';
export type { CheckedDocument, Rule } from './spec/rules/rule.js';
export { pipelineSchema, pipelineValidator } from './spec/schema.js';
export type * from './spec/types.js';
export { type ValidationResult, validateSpecs } from './spec/validate.js';
