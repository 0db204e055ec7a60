import { hasErrors } from '../../diagnostics/diagnostic.js';
import { formatCodeQuality } from '../../diagnostics/format-codequality.js';
import { formatJson } from '../../diagnostics/format-json.js';
import type { DiagnosticReport } from '../../diagnostics/format-summary.js';
import { formatText } from '../../diagnostics/format-text.js';
import { loadSpecFiles } from '../../spec/discover.js';
import { validateSpecs } from '../../spec/validate.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type Command, useColor } from '../io.js';

const HELP = `Usage: pipewright validate [paths...] [--format text|json|codequality]

Check pipeline specs: safe YAML 1.2 reading, the JSON Schema (schema/pipeline.schema.json) and the semantic rules
(needs, cycles, cron, time zones, durations, quantities, pinned images, plaintext secrets, templates, matrix size,
id collisions, duplicate pipeline names across files). Every problem is reported with file:line:col.

Paths are files or directories (searched recursively for *.yaml and *.yml); default: pipelines/.

Options:
  --format text          file:line:col: severity: message [code], a code frame and a summary (default)
  --format json          {"diagnostics":[{file,line,column,endLine,endColumn,severity,code,message}],
                          "summary":{files,errors,warnings}}
  --format codequality   GitLab Code Quality report (artifacts:reports:codequality) for merge-request widgets

Colours only on a terminal and when NO_COLOR is unset. Secret values are never printed.
Codes and examples: docs/diagnostics.md.

Exit codes: 0 no errors (warnings allowed), 1 errors found or a path does not exist, 2 usage or internal error.
`;

export const command: Command = {
  summary: 'check pipeline specs (YAML safety, schema, semantic rules) with positioned diagnostics',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { format: { type: 'string' } }, 'validate');
    const format = oneOf(values.format, ['text', 'json', 'codequality'] as const, '--format', 'text');
    const paths = positionals.length > 0 ? positionals : ['pipelines/'];
    const docs = await loadSpecFiles(paths, io.cwd);
    const { diagnostics } = validateSpecs(docs);
    const report: DiagnosticReport = {
      diagnostics,
      files: docs.length,
      sources: new Map(docs.map((d) => [d.file, d.source])),
    };
    if (format === 'json') io.stdout(formatJson(report));
    else if (format === 'codequality') io.stdout(formatCodeQuality(report));
    else io.stdout(formatText(report, { color: useColor(io) }));
    return hasErrors(diagnostics) ? 1 : 0;
  },
};
