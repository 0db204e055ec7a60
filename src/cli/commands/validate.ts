import { join, relative, sep } from 'node:path';
import { unknownPipelineSettings } from '../../config/index.js';
import { applyLevels } from '../../config/levels.js';
import { hasErrors, sortDiagnostics } from '../../diagnostics/diagnostic.js';
import { formatCodeQuality } from '../../diagnostics/format-codequality.js';
import { formatJson } from '../../diagnostics/format-json.js';
import type { DiagnosticReport } from '../../diagnostics/format-summary.js';
import { loadSpecFiles } from '../../spec/discover.js';
import { validateSpecs } from '../../spec/validate.js';
import { oneOf, parseCommandArgs } from '../args.js';
import {
  DIAGNOSTIC_OPTIONS,
  DIAGNOSTIC_OPTIONS_HELP,
  diagnosticView,
  renderDiagnostics,
  warningLimitExceeded,
} from '../diagnostics.js';
import { type Command, invocationView, useColor } from '../io.js';

const HELP = `Usage: pipewright validate [paths...] [--format text|json|codequality] [--quiet] [--max-warnings N]

Check pipeline specs: safe YAML 1.2 reading, the JSON Schema (schema/pipeline.schema.json) and the semantic rules
(needs, cycles, cron, time zones, durations, quantities, pinned images, plaintext secrets, templates, matrix size,
id collisions, duplicate pipeline names across files). Every problem is reported with file:line:col.

Paths are files or directories (searched recursively for *.yaml and *.yml); default: pipelines/ of the project.
Paths are shown relative to the directory you run validate in. With no paths, settings in pipewright.yaml for a
pipeline no spec defines are reported too (PW102).
Levels of warning codes (off, warn, error) come from pipewright.yaml (docs/config.md).

Options:
  --format text          file:line:col: severity: message [code], a code frame and a summary (default)
  --format json          {"diagnostics":[{file,line,column,endLine,endColumn,severity,code,message}],
                          "summary":{files,errors,warnings}}
  --format codequality   GitLab Code Quality report (artifacts:reports:codequality) for merge-request widgets
${DIAGNOSTIC_OPTIONS_HELP}

Colours only on a terminal and when NO_COLOR is unset. Secret values are never printed.
Codes and examples: docs/diagnostics.md (or \`pipewright explain <code>\`).

Exit codes: 0 no errors (warnings allowed), 1 errors found, more warnings than --max-warnings, or a path does not
exist, 2 usage error, invalid pipewright.yaml or internal error.
`;

export const command: Command = {
  summary: 'check pipeline specs (YAML safety, schema, semantic rules) with positioned diagnostics',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { format: { type: 'string' }, ...DIAGNOSTIC_OPTIONS },
      'validate',
    );
    const format = oneOf(values.format, ['text', 'json', 'codequality'] as const, '--format', 'text');
    const view = diagnosticView(values);
    // paths as typed, shown relative to where pipewright was run (the project's pipelines/ by default)
    const { base, defaultPath } = invocationView(io, 'pipelines/');
    const paths = positionals.length > 0 ? positionals : [defaultPath];
    const docs = await loadSpecFiles(paths, base);
    const validation = validateSpecs(docs);
    const pipelines = new Map(validation.checked.map((c) => [c.doc.file, c.spec.metadata.name]));
    const sources = new Map(docs.map((d) => [d.file, d.source]));
    const found = [...validation.diagnostics];
    // every spec of the project read and named: settings for any other pipeline name apply to nothing (PW102)
    const configDoc = io.project?.configDocument;
    if (positionals.length === 0 && configDoc && validation.checked.length === docs.length) {
      const shownAs = relative(base, join(io.cwd, configDoc.file)).split(sep).join('/');
      for (const d of unknownPipelineSettings(io.project, new Set(pipelines.values()))) {
        found.push({ ...d, file: shownAs });
        sources.set(shownAs, configDoc.source);
      }
    }
    const diagnostics = applyLevels(sortDiagnostics(found), io.project?.config, (file) => pipelines.get(file));
    const listed = view.quiet ? diagnostics.filter((d) => d.severity === 'error') : diagnostics;
    const report: DiagnosticReport = { diagnostics: listed, files: docs.length, sources };
    if (format === 'json') io.stdout(formatJson(report));
    else if (format === 'codequality') io.stdout(formatCodeQuality(report));
    else
      io.stdout(
        renderDiagnostics(diagnostics, docs.length, sources, view, { color: useColor(io), summaryAlways: true }),
      );
    const overLimit = warningLimitExceeded(diagnostics, view);
    if (overLimit) io.stderr(`pipewright: validate: ${overLimit}\n`);
    return hasErrors(diagnostics) || overLimit ? 1 : 0;
  },
};
