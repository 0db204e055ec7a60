import { UserError } from '../../diagnostics/diagnostic.js';
import { formatText } from '../../diagnostics/format-text.js';
import { openHistoryCache } from '../../history/blob-cache.js';
import { compareRevisions, WORKING_TREE } from '../../history/compare.js';
import { compareEnvironments } from '../../history/compare-environments.js';
import { HistoryError } from '../../history/errors.js';
import { generatedDiffs } from '../../history/generated.js';
import { redactDeep } from '../../history/redact.js';
import { renderDiffJson } from '../../history/render-json.js';
import { renderDiffMarkdown } from '../../history/render-markdown.js';
import { renderDiffText } from '../../history/render-text.js';
import { hasBreaking, hasViolations } from '../../history/report.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { withDetailedExitCode } from '../detailed-exitcode.js';
import { type CliIO, type Command, useColor, userPath } from '../io.js';

const HELP = `Usage: pipewright diff <base> [<head>] [options]
       pipewright diff --env <A> --env <B> [--rev <rev>] [options]

Semantic diff of the pipelines between two git revisions (head defaults to the working tree): per pipeline
added/removed/modified, version before → after, field-level changes with their severity (breaking/minor/patch),
the required version bump, the version policy verdict and the lineage impact of removed outputs.
Rules: docs/versioning.md. A change pipewright.yaml's environment overrides make is shown with its environment
(\`prod: tasks.load.image: … → …\`); it counts for the version policy when the environment sets \`versioned: true\`.

With two --env: what differs between the pipelines as they run in environment A and in environment B, at one
revision (--rev, default the working tree), with the same field-level changes (A → B) plus the environments' own
settings (namespace, secretPrefix, runnerImage); no version policy (both sides have the same versions).
Docs: docs/environments.md.

Options:
  --format text|json|markdown   output format (default text; markdown is a merge-request comment)
  --fail-on breaking|policy     exit 1 on any breaking change / on any version policy violation
  --generated                   also compile both sides in memory and show unified diffs of the artifacts
                                (not of the spec index files, which restate the specs)
  --path <dir>                  pipelines directory (default pipelines)
  --env <name>                  twice: compare two environments of pipewright.yaml instead of two revisions
  --rev <rev>                   with --env: the revision to read (default the working tree)
  --out <dir>                   output directory whose committed spec index (<dir>/index/) the base is read
                                from (default generated)
  --no-index                    do not use the base's committed spec index
  --no-cache                    parse every spec the index does not cover: neither read nor update the blob cache
  --detailed-exitcode           terraform's exit codes: 0 no changes, 2 changes, 1 findings or errors
                                (invalid specs, --fail-on triggered, bad revision or usage)

Only the specs whose blob differs between the sides are read and parsed. What the report needs of the others
(valid, pipeline name, datasets for the lineage impact) comes from the spec index compile commits with its outputs
(<out>/index/<pipeline>.json) at <base>: an entry is used for a spec whose path and blob id it records, so a fresh
CI runner needs no cache. Trust assumption: <base> passed a full \`pipewright check\` (docs/gate.md); use --no-index
for a base you do not trust that far. Specs the index does not cover are kept per blob id in a cache in your user
cache directory ($XDG_CACHE_HOME/pipewright, else ~/.cache/pipewright), sealed with a key that never leaves it.

Revisions are resolved to commit SHAs first; a revision starting with '-' or naming a range is refused.
A shallow clone works when it has both revisions; a revision it lacks is refused with the fetch command.

Exit codes: 0 ok, 1 invalid specs at a side / --fail-on triggered, 2 usage error / unknown or refused revision.
With --env: 0 ok (differences or not), 1 invalid specs or overrides / --fail-on breaking and a breaking
difference, 2 usage error / an environment pipewright.yaml does not declare (shown at its environments) /
no pipewright.yaml / unknown revision.
With --detailed-exitcode: 0 no changes (no differences), 2 changes, 1 findings or any error.
`;

export const command: Command = {
  summary: 'semantic diff of pipelines between git revisions, with semver policy and lineage impact',
  help: HELP,
  run: (argv, io) => withDetailedExitCode(argv, io, 'diff', () => runDiff(argv, io)),
};

async function runDiff(argv: string[], io: CliIO): Promise<number> {
  {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        format: { type: 'string' },
        'fail-on': { type: 'string' },
        generated: { type: 'boolean' },
        path: { type: 'string' },
        'no-cache': { type: 'boolean' },
        out: { type: 'string' },
        'no-index': { type: 'boolean' },
        'detailed-exitcode': { type: 'boolean' },
        env: { type: 'string', multiple: true },
        rev: { type: 'string' },
      },
      'diff',
    );
    const detailed = values['detailed-exitcode'] === true;
    const format = oneOf(values.format, ['text', 'json', 'markdown'] as const, '--format', 'text');
    const failOn =
      values['fail-on'] === undefined
        ? undefined
        : oneOf(values['fail-on'], ['breaking', 'policy'] as const, '--fail-on', 'policy');
    if (values.env !== undefined || values.rev !== undefined) {
      return diffEnvironments(io, { ...values, format, failOn, detailed }, positionals);
    }
    if (positionals.length < 1 || positionals.length > 2) {
      throw new UserError(
        `diff: expected <base> [<head>], got ${positionals.length} arguments (see \`pipewright diff --help\`)`,
        2,
      );
    }
    const [base, head] = positionals as [string, string | undefined];
    try {
      const result = await compareRevisions({
        cwd: io.cwd,
        base,
        ...(head !== undefined ? { head } : {}),
        path: values.path === undefined ? 'pipelines' : userPath(io, values.path),
        readAll: values.generated === true,
        ...(values['no-cache'] === true ? {} : { cache: await openHistoryCache(io.env) }),
        ...(values['no-index'] === true
          ? {}
          : { index: { out: values.out === undefined ? 'generated' : userPath(io, values.out) } }),
      });
      if (!result.ok) {
        // The shared formatter: positions, code frames (secrets masked) and a summary line.
        io.stderr(formatText(result, { color: useColor(io) }));
        const where = result.invalid
          .map((s) => `the ${s.side} side (${s.label === WORKING_TREE ? 'the working tree' : s.label.slice(0, 12)})`)
          .join(' and ');
        io.stderr(
          `pipewright: diff: specs are invalid at ${where}; fix them (see \`pipewright validate\`) to compare\n`,
        );
        return 1;
      }
      let report = result.report;
      if (values.generated) report = { ...report, generated: generatedDiffs(result.base.sources, result.head.sources) };
      report = redactDeep(report);
      if (format === 'json') io.stdout(renderDiffJson(report));
      else if (format === 'markdown') io.stdout(renderDiffMarkdown(report));
      else io.stdout(renderDiffText(report, { color: useColor(io) }));
      if (failOn === 'breaking' && hasBreaking(report)) {
        io.stderr('pipewright: diff: breaking changes found (--fail-on breaking)\n');
        return 1;
      }
      if (failOn === 'policy' && hasViolations(report)) {
        io.stderr('pipewright: diff: version policy violated (--fail-on policy): bump metadata.version as required\n');
        return 1;
      }
      return detailed && (report.pipelines.length > 0 || (report.generated?.length ?? 0) > 0) ? 2 : 0;
    } catch (error) {
      // An unknown revision, a shallow clone missing it, not a repository: errors of use.
      if (error instanceof HistoryError) throw new UserError(`diff: ${error.message}`, 2);
      throw error;
    }
  }
}

async function diffEnvironments(
  io: CliIO,
  options: {
    env?: string[];
    rev?: string;
    path?: string;
    generated?: boolean;
    format: 'text' | 'json' | 'markdown';
    failOn: 'breaking' | 'policy' | undefined;
    detailed: boolean;
  },
  positionals: string[],
): Promise<number> {
  const envs = options.env ?? [];
  if (envs.length !== 2) {
    throw new UserError(
      `diff: ${options.rev !== undefined && envs.length === 0 ? '--rev needs' : 'expected'} two --env options (--env <A> --env <B>), got ${envs.length} (see \`pipewright diff --help\`)`,
      2,
    );
  }
  if (positionals.length > 0) {
    throw new UserError(
      `diff: with --env, give the revision with --rev <rev>, not as an argument (got '${positionals[0]}')`,
      2,
    );
  }
  if (options.generated) throw new UserError('diff: --generated compares two revisions; it does not apply to --env', 2);
  if (options.failOn === 'policy') {
    throw new UserError('diff: --fail-on policy does not apply to --env (both sides have the same versions)', 2);
  }
  try {
    const result = await compareEnvironments({
      cwd: io.cwd,
      environments: [envs[0]!, envs[1]!],
      ...(options.rev !== undefined ? { rev: options.rev } : {}),
      path: options.path === undefined ? 'pipelines' : userPath(io, options.path),
    });
    if (!result.ok) {
      io.stderr(formatText(result, { color: useColor(io) }));
      if (result.kind === 'usage') return options.detailed ? 1 : 2;
      io.stderr(
        'pipewright: diff: specs or environment overrides are invalid; fix them (see `pipewright validate`, `pipewright compile`) to compare\n',
      );
      return 1;
    }
    const report = redactDeep(result.report);
    if (options.format === 'json') io.stdout(renderDiffJson(report));
    else if (options.format === 'markdown') io.stdout(renderDiffMarkdown(report));
    else io.stdout(renderDiffText(report, { color: useColor(io) }));
    if (options.failOn === 'breaking' && hasBreaking(report)) {
      io.stderr('pipewright: diff: breaking differences found (--fail-on breaking)\n');
      return 1;
    }
    const differs = report.pipelines.length > 0 || (report.environments?.settings.length ?? 0) > 0;
    return options.detailed && differs ? 2 : 0;
  } catch (error) {
    if (error instanceof HistoryError) throw new UserError(`diff: ${error.message}`, 2);
    throw error;
  }
}
