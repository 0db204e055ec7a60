import { join, relative, resolve, sep } from 'node:path';
import { unknownPipelineSettings } from '../../config/index.js';
import { applyLevels } from '../../config/levels.js';
import type { ProjectConfig } from '../../config/types.js';
import { type Diagnostic, hasErrors, sortDiagnostics, UserError } from '../../diagnostics/diagnostic.js';
import { formatCodeQuality } from '../../diagnostics/format-codequality.js';
import { formatJson } from '../../diagnostics/format-json.js';
import type { DiagnosticReport } from '../../diagnostics/format-summary.js';
import { describeGate, type GateInfo, gateInfo, readBaseText, scopeChange } from '../../emit/change-scope.js';
import { compileSettings, compileSpec } from '../../emit/compile.js';
import { validateInParallel } from '../../emit/parallel.js';
import { resolveJobs } from '../../emit/pool.js';
import { readSources } from '../../emit/project.js';
import { HistoryError } from '../../history/errors.js';
import { loadSpecFiles } from '../../spec/discover.js';
import type { SpecDocument } from '../../spec/document.js';
import { loadSpec } from '../../spec/load.js';
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
import { JOBS_OPTION, jobsHelp, parseJobs } from '../jobs.js';

const HELP = `Usage: pipewright validate [paths...] [--format text|json|codequality] [--quiet] [--max-warnings N]
                          [--base <rev>] [--jobs N]

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
${jobsHelp(25)}
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
      { format: { type: 'string' }, base: { type: 'string' }, ...JOBS_OPTION, ...DIAGNOSTIC_OPTIONS },
      'validate',
    );
    const format = oneOf(values.format, ['text', 'json', 'codequality'] as const, '--format', 'text');
    const view = diagnosticView(values);
    // paths as typed, shown relative to where pipewright was run (the project's pipelines/ by default)
    const { base, defaultPath } = invocationView(io, 'pipelines/');
    const paths = positionals.length > 0 ? positionals : [defaultPath];
    let gate: GateInfo | undefined;
    let scoped: Awaited<ReturnType<typeof scopeValidate>> | undefined;
    if (values.base !== undefined) {
      scoped = await scopeValidate(io, values.base, base, paths, view.maxWarnings);
      gate = scoped.gate;
      io.stderr(`${describeGate('validate', gate)}\n`);
    }
    const only = scoped?.docs !== undefined;
    const jobs = parseJobs(values.jobs, io.project?.config);
    const {
      files,
      sources,
      pipelines,
      diagnostics: found,
    } = scoped?.docs !== undefined ? validateDocs(scoped.docs) : await validateFiles(paths, base, jobs);
    // every spec of the project read and named: settings for any other pipeline name apply to nothing (PW102)
    const configDoc = io.project?.configDocument;
    if (!only && positionals.length === 0 && configDoc && pipelines.size === files) {
      const shownAs = relative(base, join(io.cwd, configDoc.file)).split(sep).join('/');
      for (const d of unknownPipelineSettings(io.project, new Set(pipelines.values()))) {
        found.push({ ...d, file: shownAs });
        sources.set(shownAs, configDoc.source);
      }
    }
    const diagnostics = applyLevels(sortDiagnostics(found), io.project?.config, (file) => pipelines.get(file));
    const listed = view.quiet ? diagnostics.filter((d) => d.severity === 'error') : diagnostics;
    const report: DiagnosticReport = { diagnostics: listed, files, sources };
    if (format === 'json') io.stdout(formatJson(report));
    else if (format === 'codequality') io.stdout(formatCodeQuality(report));
    else io.stdout(renderDiagnostics(diagnostics, files, sources, view, { color: useColor(io), summaryAlways: true }));
    const overLimit = warningLimitExceeded(diagnostics, view);
    if (overLimit) io.stderr(`pipewright: validate: ${overLimit}\n`);
    return hasErrors(diagnostics) || overLimit ? 1 : 0;
  },
};

/**
 * `validate --base`: the changed specs that exist now, loaded (shown relative to `shownFrom`), or no `docs` when
 * every spec must be validated (the gate then says why). The scope is `check --base`'s (src/emit/change-scope.ts).
 * A changed spec whose pipeline name none of the changed specs had at the base is compiled to see whether it writes a
 * file the base's manifest gives to an unchanged spec (a duplicate name, which a full run reports with both files).
 */
async function scopeValidate(
  io: Parameters<Command['run']>[1],
  rev: string,
  shownFrom: string,
  paths: string[],
  maxWarnings: number | undefined,
): Promise<{ gate: GateInfo; docs?: SpecDocument[] }> {
  let scope: Awaited<ReturnType<typeof scopeChange>>;
  try {
    scope = await scopeChange({
      base: rev,
      cwd: io.cwd,
      paths: paths.map((p) => resolve(shownFrom, p)),
      out: 'generated',
      ...(io.project?.config ? { config: io.project.config } : {}),
    });
  } catch (error) {
    if (error instanceof HistoryError) throw new UserError(`validate: --base: ${error.message}`, 2);
    throw error;
  }
  try {
    if (maxWarnings !== undefined) scope.full ??= '--max-warnings counts the warnings of every spec';
    if (scope.full !== undefined) return { gate: gateInfo(scope) };
    const byFile = new Map(scope.discovered.map((d) => [d.file, d.path]));
    const changedNow = [...scope.specs.keys()].flatMap((f) => (byFile.has(f) ? [byFile.get(f)!] : []));
    const docs = await loadSpecFiles(changedNow, shownFrom);
    const problem = await nameProblem(scope, docs, io.project?.config);
    if (problem !== undefined) scope.full ??= problem;
    return scope.full === undefined ? { gate: gateInfo(scope), docs } : { gate: gateInfo(scope) };
  } finally {
    await scope.blobs.close();
  }
}

/** Why the changed specs' names need a full run (a clash with an unchanged spec, PW102), or undefined. */
async function nameProblem(
  scope: Awaited<ReturnType<typeof scopeChange>>,
  docs: SpecDocument[],
  config: ProjectConfig | undefined,
): Promise<string | undefined> {
  const nameOf = (value: unknown) => {
    const name = (value as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
    return typeof name === 'string' ? name : undefined;
  };
  const before: string[] = [];
  for (const [file, change] of scope.specs) {
    if (change.baseBlob === undefined) continue;
    const source = await readBaseText(scope, change.baseBlob);
    const name = source === undefined ? undefined : nameOf(loadSpec(file, source).value);
    if (name === undefined) return `${file} cannot be read at the base: the base did not pass a full check`;
    before.push(name);
  }
  const now = docs.flatMap((d) => (nameOf(d.value) === undefined ? [] : [{ doc: d, name: nameOf(d.value)! }]));
  const named = Object.keys(config?.pipelines ?? {});
  const sorted = (list: string[]) => [...list].sort().join('\n');
  if (named.length > 0 && sorted(now.map((n) => n.name)) !== sorted(before))
    return "pipewright.yaml has settings by pipeline name and a changed spec's name changed (PW102 needs every name)";
  const manifest = scope.baseManifest;
  if (!manifest) return undefined;
  const settings = compileSettings(config);
  for (const { doc, name } of now) {
    if (before.includes(name)) continue;
    const unit = compileSpec(doc.file, doc.source, { targets: manifest.targets, outDir: 'generated', ...settings });
    const clash = unit.outputs.find((o) => Object.hasOwn(manifest.files, o.path));
    if (clash)
      return `${doc.file} now writes generated/${clash.path}, which belongs to a spec that did not change (a duplicate pipeline name?): a full run reports both`;
  }
  return undefined;
}

interface Validated {
  /** Spec files read. */
  files: number;
  /** Display path → source, for code frames. */
  sources: Map<string, string>;
  /** Display path → metadata.name of every spec that passed the loader and the schema. */
  pipelines: Map<string, string>;
  /** Every diagnostic of the specs, sorted (before the configured levels). */
  diagnostics: Diagnostic[];
}

/** Discover, read and validate the specs under `paths`: on the main thread, or per spec on `jobs` worker threads. */
async function validateFiles(paths: readonly string[], base: string, jobs: number | 'auto'): Promise<Validated> {
  if (jobs === 1) return validateDocs(await loadSpecFiles(paths, base));
  const inputs = await readSources({ paths, cwd: base });
  const bytes = inputs.reduce((sum, i) => sum + i.source.length, 0);
  const threads = resolveJobs(jobs === 'auto' ? undefined : jobs, inputs.length, bytes);
  if (threads <= 1) return validateDocs(inputs.map((i) => i.rejected ?? loadSpec(i.file, i.source)));
  const { diagnostics, pipelines } = await validateInParallel(inputs, threads);
  return { files: inputs.length, sources: new Map(inputs.map((i) => [i.file, i.source])), pipelines, diagnostics };
}

/** validateSpecs over loaded documents, on the main thread. */
function validateDocs(docs: readonly SpecDocument[]): Validated {
  const validation = validateSpecs(docs);
  return {
    files: docs.length,
    sources: new Map(docs.map((d) => [d.file, d.source])),
    pipelines: new Map(validation.checked.map((c) => [c.doc.file, c.spec.metadata.name])),
    diagnostics: validation.diagnostics,
  };
}
