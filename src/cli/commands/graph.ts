import { UserError } from '../../diagnostics/diagnostic.js';
import { compileSources } from '../../emit/compile.js';
import { renderGraph } from '../../emit/graph.js';
import { readSources } from '../../emit/project.js';
import { diagnosticCounts, diagnosticsText, plural } from '../../emit/report.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type CliIO, type Command, useColor, userPath } from '../io.js';

const HELP = `Usage: pipewright graph <pipeline> [paths…] [--format mermaid|dot]

Print the DAG of one pipeline (by metadata.name) — task instances, their type (task or check) and their needs — as a
Mermaid flowchart (default; paste it into a \`\`\`mermaid block of a merge request) or Graphviz DOT (\`| dot -Tsvg\`).
Specs are read from paths (default: pipelines/). Checks are drawn as hexagons.

Exit codes: 0 printed, 1 no such pipeline or its spec has errors, 2 usage error or internal error.
`;

export const command: Command = {
  summary: 'print a pipeline DAG as Mermaid or Graphviz DOT',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, { format: { type: 'string' } }, 'graph');
    const format = oneOf(values.format, ['mermaid', 'dot'] as const, '--format', 'mermaid');
    const [name, ...paths] = positionals;
    if (name === undefined)
      throw new UserError('graph: which pipeline? (usage: pipewright graph <pipeline> [paths…])', 2);
    const inputs = await readSources({
      paths: paths.length > 0 ? paths.map((p) => userPath(io, p)) : ['pipelines'],
      cwd: io.cwd,
    });
    // no targets: load, validate and normalize only
    const result = compileSources(inputs, { targets: [], outDir: '' });
    const unit = result.units.find((u) => u.pipeline === name);
    if (!unit) {
      const known = result.units.flatMap((u) => (u.pipeline ? [u.pipeline] : [])).sort();
      throw new UserError(`graph: no pipeline named '${name}' (found: ${known.length ? known.join(', ') : 'none'})`);
    }
    const ownErrors = unit.diagnostics.filter((d) => d.severity === 'error');
    if (!unit.ir || ownErrors.length > 0) {
      io.stderr(diagnosticsText(ownErrors, [unit], useColor(io)));
      io.stderr(`graph: ${unit.file} has ${plural(diagnosticCounts(ownErrors).errors, 'error')}\n`);
      return 1;
    }
    io.stdout(renderGraph(unit.ir, format));
    return 0;
  },
};
