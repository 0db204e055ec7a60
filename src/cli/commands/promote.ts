import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { loadConfig } from '../../config/load.js';
import { CONFIG_FILE } from '../../config/root.js';
import type { ProjectConfig } from '../../config/types.js';
import { applyYamlEdit, YamlEditError } from '../../config/yaml-edit.js';
import { type Diagnostic, hasErrors, sortDiagnostics, UserError } from '../../diagnostics/diagnostic.js';
import { formatText } from '../../diagnostics/format-text.js';
import { compileSpec } from '../../emit/compile.js';
import { environmentNames, resolveEnvironment, unknownEnvironmentMessage } from '../../model/environments.js';
import {
  PROMOTABLE_FIELDS,
  type PromotableField,
  type PromotionEdit,
  planPromotion,
  setPath,
} from '../../model/promote.js';
import { writeFileAtomic } from '../../runtime/atomic-file.js';
import { discoverSpecs, readSpec } from '../../spec/discover.js';
import { readTextNoFollow, refuseLinks } from '../../spec/no-follow.js';
import type { PipelineSpec } from '../../spec/types.js';
import { didYouMean, validateSpecs } from '../../spec/validate.js';
import { TARGETS } from '../../targets/target.js';
import { parseCommandArgs } from '../args.js';
import { type CliIO, type Command, useColor, userPath } from '../io.js';

const HELP = `Usage: pipewright promote <pipeline> --from <env> --to <env> [--field <field> …] [--dry-run] [--path <dir>]

Rewrites pipewright.yaml so that environment --to runs what environment --from runs for one pipeline: for each
chosen field, the value the pipeline's tasks get in --from (after every override) becomes the value in --to. The
edit goes where --to decides the value (its own override of the pipeline is changed in place) or, when it has none,
is added to its \`pipelines.<pipeline>\` section (at the level --from writes it, else on the task). Only those values
change: comments, blank lines, quoting and layout of the rest of the file stay byte for byte. Review the change
with \`git diff\`, \`pipewright diff --env <from> --env <to>\` and \`pipewright diff HEAD\`; \`pipewright compile\`
updates generated/.

Fields (default image): ${PROMOTABLE_FIELDS.join(', ')}.
  image                  the image of every task (written as imageTag when the tag alone gives it, else image)
  params                 the defaults of the pipeline's params; env: every environment variable; resources: cpu and memory

Options:
  --from <env>           the environment whose values are promoted (e.g. staging)
  --to <env>             the environment that gets them (e.g. prod)
  --field <field>        a field to promote; repeat for several (default: image)
  --dry-run              print what would change, write nothing
  --path <dir>           pipelines directory (default pipelines)

The file is written atomically (temporary file + rename) and never through a symbolic link. Docs: docs/environments.md.

Exit codes: 0 promoted, or nothing to promote (already equal); 1 invalid specs or pipewright.yaml (positioned), or a
value that cannot be promoted by an override (the message says which); 2 usage error: unknown pipeline, environment
or field (with did-you-mean), no pipewright.yaml, --from equal to --to.
`;

export const command: Command = {
  summary: 'rewrite pipewright.yaml so one environment runs what another runs for a pipeline (comments kept)',
  help: HELP,
  run: runPromote,
};

function suggestion(name: string, candidates: readonly string[]): string {
  const s = didYouMean(name, candidates);
  return s ? `: did you mean '${s}'?` : '';
}

async function runPromote(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      field: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      path: { type: 'string' },
    },
    'promote',
  );
  if (positionals.length !== 1) {
    throw new UserError(
      `promote: expected one <pipeline>, got ${positionals.length} arguments (see \`pipewright promote --help\`)`,
      2,
    );
  }
  const name = positionals[0]!;
  const from = values.from;
  const to = values.to;
  if (from === undefined || to === undefined) {
    throw new UserError('promote: --from <env> and --to <env> are required (see `pipewright promote --help`)', 2);
  }
  if (from === to) throw new UserError(`promote: --from and --to are both '${from}': nothing to promote`, 2);
  const fields = [...new Set(values.field ?? ['image'])];
  for (const f of fields) {
    if (!(PROMOTABLE_FIELDS as readonly string[]).includes(f)) {
      throw new UserError(
        `promote: --field: '${f}' cannot be promoted${suggestion(f, PROMOTABLE_FIELDS)} (promotable: ${PROMOTABLE_FIELDS.join(', ')})`,
        2,
      );
    }
  }
  const project = io.project;
  const config = project?.config;
  const configSource = project?.configSource;
  if (!project?.configFile || !config || !configSource) {
    throw new UserError(`promote: no ${CONFIG_FILE} in this project: environments are declared there`, 2);
  }
  for (const [flag, env] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (!environmentNames(config).includes(env))
      throw new UserError(`promote: ${flag}: ${unknownEnvironmentMessage(env, config)}`, 2);
  }

  // The pipeline's spec, valid on its own (every spec is read: names are unique across files).
  const specs = await discoverSpecs([values.path === undefined ? 'pipelines' : userPath(io, values.path)], io.cwd);
  const docs = [];
  for (const s of specs) docs.push(await readSpec(s));
  const validation = validateSpecs(docs);
  const report = (diagnostics: Diagnostic[], sources: Map<string, string>) =>
    io.stderr(
      formatText({ diagnostics: sortDiagnostics(diagnostics), files: sources.size, sources }, { color: useColor(io) }),
    );
  if (hasErrors(validation.diagnostics)) {
    report(validation.diagnostics, new Map(docs.map((d) => [d.file, d.source])));
    io.stderr('pipewright: promote: specs are invalid; fix them first (see `pipewright validate`)\n');
    return 1;
  }
  const found = validation.checked.find((c) => c.spec.metadata.name === name);
  if (!found) {
    const names = validation.checked.map((c) => c.spec.metadata.name).sort();
    throw new UserError(
      `promote: no pipeline '${name}'${suggestion(name, names)} (pipelines: ${names.join(', ') || 'none'})`,
      2,
    );
  }
  const spec = found.spec as PipelineSpec;
  const file = configSource.file;
  const source = configSource.source;

  // Both environments as they are must compile for this pipeline: a promotion starts from a valid state.
  const problems = environmentProblems(
    config,
    { file, rangeOf: configSource.rangeOf },
    found.doc.file,
    found.doc.source,
    [from, to],
  );
  if (problems.length > 0) {
    report(
      problems,
      new Map([
        [file, source],
        [found.doc.file, found.doc.source],
      ]),
    );
    io.stderr(`pipewright: promote: ${file} is invalid for ${name}; fix it first (see \`pipewright compile\`)\n`);
    return 1;
  }

  const plan = planPromotion(config, spec, from, to, fields as PromotableField[]);
  if (!plan.ok) throw new UserError(`promote: ${plan.message}`, 1);
  const what = `${name} (${fields.join(', ')})`;
  if (plan.edits.length === 0) {
    io.stdout(`${to} already runs what ${from} runs for ${what}: nothing to promote, ${file} unchanged\n`);
    return 0;
  }

  let text = source;
  try {
    for (const e of plan.edits) {
      text = applyYamlEdit(
        text,
        e.kind === 'delete' ? { path: e.path, delete: true } : { path: e.path, value: e.after! },
      );
    }
  } catch (error) {
    if (error instanceof YamlEditError) throw new UserError(`promote: cannot edit ${file}: ${error.message}`, 1);
    throw error;
  }
  const loaded = loadConfig(file, text);
  const expected = structuredClone(config) as unknown as Record<string, unknown>;
  for (const e of plan.edits) setPath(expected, e.path, e.after);
  if (!loaded.config || !isDeepStrictEqual(parse(text, { version: '1.2' }), expected)) {
    throw new Error(`promote: the edited ${file} does not hold the planned values`);
  }
  const after = environmentProblems(
    loaded.config,
    { file, rangeOf: loaded.rangeOf },
    found.doc.file,
    found.doc.source,
    [to],
  );
  if (after.length > 0) {
    report(
      after,
      new Map([
        [file, text],
        [found.doc.file, found.doc.source],
      ]),
    );
    io.stderr(`pipewright: promote: ${to} would be invalid with ${from}'s values; ${file} unchanged\n`);
    return 1;
  }

  const lines = [`promote ${what}: ${from} → ${to}${values['dry-run'] ? ' (dry run: nothing written)' : ''}`, ''];
  for (const e of plan.edits) lines.push(`  ${describeEdit(e, file, loaded.rangeOf, configSource.rangeOf)}`);
  lines.push('', `${to} now runs for ${name}:`);
  for (const c of plan.changes) {
    lines.push(
      `  ${c.path}: ${c.before === undefined ? '(none)' : String(c.before)} → ${c.after === undefined ? '(none)' : String(c.after)}`,
    );
  }
  if (!values['dry-run']) {
    await refuseLinks(project.root, CONFIG_FILE, '');
    // written only over the text it was planned from: an edit made meanwhile is not overwritten
    const now = await readTextNoFollow(project.configFile, file);
    if (now !== source) throw new UserError(`promote: ${file} changed while promoting; run it again`, 1);
    writeFileAtomic(project.configFile, text);
    lines.push(
      '',
      `wrote ${file}; review with \`git diff\` and \`pipewright diff --env ${from} --env ${to}\`, then \`pipewright compile\``,
    );
  }
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

function describeEdit(
  e: PromotionEdit,
  file: string,
  rangeAfter: ReturnType<typeof loadConfig>['rangeOf'],
  rangeBefore: ReturnType<typeof loadConfig>['rangeOf'],
): string {
  const at = (e.kind === 'delete' ? rangeBefore : rangeAfter)(e.path, { key: e.kind !== 'set' }).start;
  const where = `${file}:${at.line}:${at.column}`;
  const path = e.path.join('.');
  if (e.kind === 'delete') return `${where}: removed ${path} (was ${String(e.before)})`;
  if (e.kind === 'add') return `${where}: added ${path}: ${String(e.after)}`;
  return `${where}: ${path}: ${String(e.before)} → ${String(e.after)}`;
}

/** Errors of `environments` (as compile reports them, at their position) for one spec. */
function environmentProblems(
  config: ProjectConfig,
  locator: { file: string; rangeOf: ReturnType<typeof loadConfig>['rangeOf'] },
  specFile: string,
  specSource: string,
  envs: readonly string[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const env of envs) {
    const resolved = resolveEnvironment(config, env, locator);
    out.push(...resolved.diagnostics);
    if (!resolved.environment) continue;
    const unit = compileSpec(specFile, specSource, {
      targets: TARGETS,
      outDir: '',
      environment: { resolved: resolved.environment, locator },
    });
    out.push(...unit.diagnostics.filter((d) => d.severity === 'error'));
  }
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = JSON.stringify([d.file, d.range, d.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
