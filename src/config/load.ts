/**
 * loadConfig: pipewright.yaml → typed ProjectConfig + positioned diagnostics, never throwing for its contents.
 * The file is read like a spec (size cap, UTF-8, the same safe YAML 1.2 loader: duplicate keys, anchors, tags …) and
 * checked against schema/config.schema.json with the same messages (unknown keys with did-you-mean, at their
 * position). A configured code that can never be adjusted gets a message saying why.
 */
import { CODES, type DiagnosticCode } from '../diagnostics/codes.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { SpecDocument, SpecPath } from '../spec/document.js';
import { loadSpec } from '../spec/load.js';
import { schemaDiagnosticsOf } from '../spec/validate.js';
import { ADJUSTABLE_CODES, isAdjustable } from './levels.js';
import { CONFIG_SCHEMA } from './schema.js';
import type { ProjectConfig } from './types.js';

export interface LoadedConfig {
  /** Display path (relative to the project root). */
  file: string;
  source: string;
  /** Set when the file has no errors. */
  config?: ProjectConfig;
  /** Loader (PW0xx) and schema (PW100) diagnostics, sorted. */
  diagnostics: Diagnostic[];
  /** Source range of a path in the file (for diagnostics about settings found later, e.g. PW102). */
  rangeOf: SpecDocument['rangeOf'];
}

/** Parse and check the text of a configuration file. `doc` lets a caller that already read the file (size, UTF-8 checks) pass it in. */
export function loadConfig(file: string, source: string, doc: SpecDocument = loadSpec(file, source)): LoadedConfig {
  if (doc.value === undefined || hasErrors(doc.diagnostics)) {
    return { file, source: doc.source, diagnostics: doc.diagnostics, rangeOf: doc.rangeOf };
  }
  const fixed = nonAdjustable(doc);
  const claimed = new Set(fixed.map((d) => key(d)));
  const schema = schemaDiagnosticsOf(doc, CONFIG_SCHEMA).filter((d) => !claimed.has(key(d)));
  const diagnostics = sortDiagnostics([...doc.diagnostics, ...fixed, ...schema]);
  if (hasErrors(diagnostics)) return { file, source: doc.source, diagnostics, rangeOf: doc.rangeOf };
  return { file, source: doc.source, config: doc.value as ProjectConfig, diagnostics, rangeOf: doc.rangeOf };
}

function key(d: Diagnostic): string {
  return `${d.range.start.line}:${d.range.start.column}`;
}

/** `PW201: off` names a real code that is always an error: say so instead of "unknown property". */
function nonAdjustable(doc: SpecDocument): Diagnostic[] {
  const value = doc.value as Record<string, unknown>;
  const places: SpecPath[] = [['diagnostics']];
  const pipelines = value.pipelines;
  if (pipelines !== null && typeof pipelines === 'object' && !Array.isArray(pipelines)) {
    for (const name of Object.keys(pipelines)) places.push(['pipelines', name, 'diagnostics']);
  }
  const out: Diagnostic[] = [];
  for (const place of places) {
    let levels: unknown = value;
    for (const segment of place) levels = (levels as Record<string, unknown> | undefined)?.[segment as string];
    if (levels === null || typeof levels !== 'object' || Array.isArray(levels)) continue;
    for (const code of Object.keys(levels)) {
      if (!Object.hasOwn(CODES, code) || isAdjustable(code)) continue;
      out.push({
        file: doc.file,
        range: doc.rangeOf([...place, code], { key: true }),
        severity: 'error',
        code: 'PW100',
        message: `${code} (${CODES[code as DiagnosticCode]}) is always an error and cannot be configured: only codes reported as warnings can be (${ADJUSTABLE_CODES.join(', ')})`,
      });
    }
  }
  return out;
}
