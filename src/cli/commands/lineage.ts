import { UserError } from '../../diagnostics/diagnostic.js';
import { formatText } from '../../diagnostics/format-text.js';
import { HistoryError } from '../../history/errors.js';
import { GitRepo } from '../../history/git.js';
import { lineageGraph, reach } from '../../history/lineage-graph.js';
import { readSpecs } from '../../history/read-specs.js';
import {
  type LineageAnswer,
  renderLineageJson,
  renderLineageMermaid,
  renderLineageText,
} from '../../history/render-lineage.js';
import { readCommitSources, readWorktreeSources, type SpecSource } from '../../history/sources.js';
import { didYouMean } from '../../spec/validate.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type CliIO, type Command, useColor, userPath } from '../io.js';

const HELP = `Usage: pipewright lineage <dataset|pipeline> [--upstream | --downstream] [--format text|json|mermaid]
                           [--rev REV] [--path pipelines]

Where does this dataset come from, and what breaks if it changes? The lineage graph of the specs' task
inputs/outputs (datasets as written, templates like {{ ds }} kept): from a dataset or a pipeline, the tasks and
datasets upstream (feeding it) and downstream (fed by it), across pipelines. \`pipewright diff\` reports the impact of
removed outputs from the same graph.

Options:
  --upstream           only what feeds the subject
  --downstream         only what the subject feeds (default: both)
  --format <fmt>       text (default), json, or mermaid (a flowchart for markdown)
  --rev <rev>          read the specs at this git revision (default: the working tree)
  --path <dir>         pipelines directory (default pipelines)

Exit codes: 0 answered, 1 invalid specs, 2 usage error (unknown dataset or pipeline, bad revision).
`;

export const command: Command = {
  summary: 'where a dataset comes from and what depends on it (lineage graph of the specs)',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        upstream: { type: 'boolean' },
        downstream: { type: 'boolean' },
        format: { type: 'string' },
        rev: { type: 'string' },
        path: { type: 'string' },
      },
      'lineage',
    );
    const format = oneOf(values.format, ['text', 'json', 'mermaid'] as const, '--format', 'text');
    if (positionals.length !== 1) {
      throw new UserError(`lineage: expected one dataset or pipeline, got ${positionals.length} arguments`, 2);
    }
    if (values.upstream && values.downstream) {
      throw new UserError('lineage: --upstream and --downstream together is the default; give at most one', 2);
    }
    const subject = positionals[0]!;
    const path = values.path === undefined ? 'pipelines' : userPath(io, values.path);
    let sources: SpecSource[];
    try {
      if (values.rev !== undefined) {
        const repo = await GitRepo.open(io.cwd);
        const sha = await repo.resolveNeededCommit(values.rev);
        const reader = repo.openBlobReader();
        try {
          sources = await readCommitSources(repo, reader, sha, repo.repoPath(io.cwd, path));
        } finally {
          await reader.close();
        }
      } else sources = await readWorktreeSources(io.cwd, path);
    } catch (error) {
      if (error instanceof HistoryError) throw new UserError(`lineage: ${error.message}`, 2);
      throw error;
    }
    const side = readSpecs(sources);
    if (side.diagnostics.some((d) => d.severity === 'error')) {
      io.stderr(
        formatText(
          {
            diagnostics: side.diagnostics,
            files: sources.length,
            sources: new Map(sources.map((s) => [s.display, s.source])),
          },
          { color: useColor(io) },
        ),
      );
      io.stderr('pipewright: lineage: the specs are invalid; fix them (see `pipewright validate`)\n');
      return 1;
    }
    const graph = lineageGraph(side.pipelines.values());
    let start: { datasets?: string[]; tasks?: string[] };
    let kind: 'dataset' | 'pipeline';
    if (side.pipelines.has(subject)) {
      kind = 'pipeline';
      start = { tasks: [...graph.tasks.values()].filter((t) => t.pipeline === subject).map((t) => t.key) };
    } else if (graph.readers.has(subject) || graph.writers.has(subject)) {
      kind = 'dataset';
      start = { datasets: [subject] };
    } else {
      const known = [...side.pipelines.keys(), ...graph.readers.keys(), ...graph.writers.keys()];
      const guess = didYouMean(subject, known);
      throw new UserError(
        `lineage: '${subject}' is neither a pipeline nor a dataset any task reads or writes${guess ? ` (did you mean '${guess}'?)` : ''}`,
        2,
      );
    }
    const answer: LineageAnswer = { subject: { kind, name: subject } };
    if (!values.downstream) answer.upstream = reach(graph, start, 'upstream');
    if (!values.upstream) answer.downstream = reach(graph, start, 'downstream');
    if (format === 'json') io.stdout(renderLineageJson(answer, graph));
    else if (format === 'mermaid') io.stdout(renderLineageMermaid(answer, graph));
    else io.stdout(renderLineageText(answer, graph));
    return 0;
  },
};
