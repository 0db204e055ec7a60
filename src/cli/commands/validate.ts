import { join, relative, resolve, sep } from 'node:path';
import { unknownPipelineSettings } from '../../config/index.js';
import { applyLevels } from '../../config/levels.js';
import { hasErrors, sortDiagnostics, UserError } from '../../diagnostics/diagnostic.js';
import { formatCodeQuality } from '../../diagnostics/format-codequality.js';
import { formatJson } from '../../diagnostics/format-json.js';
import type { DiagnosticReport } from '../../diagnostics/format-summary.js';
import { describeGate, type GateInfo, gateInfo, scopeChange } from '../../emit/change-scope.js';
import { clashWithUnchanged, compileChanged } from '../../emit/gate.js';
import { HistoryError } from '../../history/errors.js';
import { loadSpecFiles } from '../../spec/discover.js';
import { validateSpecs } from '../../spec/validate.js';
import { TARGETS } from '../../targets/target.js';
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
                          [--base <rev>]

Check pipeline specs: safe YAML 1.2 reading, the JSON Schema (schema/pipeline.schema.json) and the semantic rules
(needs, cycles, cron, time zones, durations, quantities, pinned images, plaintext secrets, templates, matrix size,
id collisions, duplicate pipeline names across files). Every problem is reported with file:line:col.

Paths are files or directories (searched recursively for *.yaml and *.yml); default: pipelines/ of the project.
Paths are shown relative to the directory you run validate in. With no paths, settings in pipewright.yaml for a
pipeline no spec defines are reported too (PW102).
Levels of warning codes (off, warn, error) come from pipewright.yaml (docs/config.md).

 With --base <rev> (the merge-request gate, like \`check --base\`): only the specs whose content changed since <rev>
(committed, staged, unstaged or untracked) are read and reported, plus a name clash with an unchanged spec; the others
passed at <rev>. That holds PROVIDED THAT <rev> passed a full \`pipewright check\` with this pipewright build and
configuration (its generated/ and manifest are committed). It validates every spec instead, and says why, when
pipewright.yaml, a package or lock file or pipewright's own files changed, with --max-warnings (it counts every
spec's warnings), when settings in pipewright.yaml name pipelines and a changed spec's name changed, or when the base
cannot be trusted. The first line on stderr says which mode ran and why. A revision that is not a commit of this
repository is an error of use (exit 2).

Options:
  --base <rev>           validate only the specs changed since <rev> (see above)
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
      { format: { type: 'string' }, base: { type: 'string' }, ...DIAGNOSTIC_OPTIONS },
      'validate',
    );
    const format = oneOf(values.format, ['text', 'json', 'codequality'] as const, '--format', 'text');
    const view = diagnosticView(values);
    // paths as typed, shown relative to where pipewright was run (the project's pipelines/ by default)
    const { base, defaultPath } = invocationView(io, 'pipelines/');
    const paths = positionals.length > 0 ? positionals : [defaultPath];
    let gate: GateInfo | undefined;
    let only: string[] | undefined;
    if (values.base !== undefined) {
      ({ gate, only } = await scopeValidate(
        io,
        values.base,
        paths.map((p) => resolve(base, p)),
        view.maxWarnings,
      ));
      io.stderr(`${describeGate('validate', gate)}\n`);
    }
    const docs = await loadSpecFiles(only ?? paths, base);
    const validation = validateSpecs(docs);
    const pipelines = new Map(validation.checked.map((c) => [c.doc.file, c.spec.metadata.name]));
    const sources = new Map(docs.map((d) => [d.file, d.source]));
    const found = [...validation.diagnostics];
    // every spec of the project read and named: settings for any other pipeline name apply to nothing (PW102)
    const configDoc = io.project?.configDocument;
    if (only === undefined && positionals.length === 0 && configDoc && validation.checked.length === docs.length) {
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

/**
 * `validate --base`: the specs to read (absolute paths of the changed specs that exist now), or `only` undefined when
 * every spec must be validated (the gate says why). Uses the scope of `check --base` (src/emit/change-scope.ts): the
 * changed specs are compiled now and at the base to find a name clash with an unchanged spec.
 */
async function scopeValidate(
  io: Parameters<Command['run']>[1],
  rev: string,
  paths: string[],
  maxWarnings: number | undefined,
): Promise<{ gate: GateInfo; only?: string[] }> {
  let scope: Awaited<ReturnType<typeof scopeChange>>;
  try {
    scope = await scopeChange({ base: rev, cwd: io.cwd, paths, out: 'generated', config: io.project?.config });
  } catch (error) {
    if (error instanceof HistoryError) throw new UserError(`validate: --base: ${error.message}`, 2);
    throw error;
  }
  try {
    if (maxWarnings !== undefined) scope.full ??= '--max-warnings counts the warnings of every spec';
    if (scope.full === undefined) {
      const units = await compileChanged(
        scope,
        'generated',
        scope.baseManifest?.targets ?? TARGETS,
        io.project?.config,
      );
      clashWithUnchanged(scope, units, 'generated');
      const named = Object.keys(io.project?.config?.pipelines ?? {});
      const names = (list: typeof units.now) =>
        list
          .flatMap((u) => (u.pipeline === undefined ? [] : [u.pipeline]))
          .sort()
          .join('\n');
      if (named.length > 0 && names(units.now) !== names(units.base))
        scope.full ??= `pipewright.yaml has settings by pipeline name and a changed spec's name changed (PW102 needs every name)`;
    }
    const gate = gateInfo(scope);
    if (scope.full !== undefined) return { gate };
    const byFile = new Map(scope.discovered.map((d) => [d.file, d.path]));
    return { gate, only: [...scope.specs.keys()].flatMap((f) => (byFile.has(f) ? [byFile.get(f)!] : [])) };
  } finally {
    await scope.blobs.close();
  }
}
