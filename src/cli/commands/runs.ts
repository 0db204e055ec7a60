import { join } from 'node:path';
import { UserError } from '../../diagnostics/diagnostic.js';
import { table } from '../../runtime/report.js';
import { displayStatus, listRuns } from '../../runtime/state.js';
import { oneOf, parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../io.js';

const HELP = `Usage: pipewright runs [--pipeline NAME] [--limit N] [--format text|json]

List recorded runs (.pipewright/runs/), newest last: run id, pipeline, version, logical date, executor, status,
tasks succeeded/total, start time, and an SLA column when a listed run missed its SLA (a scheduled run not succeeded
by its tick + sla). Status is succeeded, failed, running (its runner is alive) or interrupted (its
runner was killed: continue it with \`pipewright run --resume <runId>\`).

Options:
  --pipeline <name>   only runs of this pipeline
  --limit <n>         only the last n runs (default 50; 0 = all)
  --format <fmt>      text (default) or json

Exit codes: 0 listed (also when there are no runs), 2 usage error or internal error.
`;

export const command: Command = {
  summary: 'list recorded runs and their status',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      { pipeline: { type: 'string' }, limit: { type: 'string' }, format: { type: 'string' } },
      'runs',
    );
    if (positionals.length > 0) throw new UserError(`runs takes no arguments (got ${positionals.join(' ')})`, 2);
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const limitText = values.limit ?? '50';
    if (!/^\d+$/.test(limitText)) throw new UserError(`--limit must be a whole number (got '${limitText}')`, 2);
    const limit = Number(limitText);
    const runsDir = join(io.cwd, '.pipewright', 'runs');
    let runs = listRuns(runsDir).filter((r) => values.pipeline === undefined || r.pipeline === values.pipeline);
    if (limit > 0) runs = runs.slice(-limit);
    const rows = runs.map((r) => {
      const tasks = Object.values(r.tasks);
      return {
        runId: r.runId,
        pipeline: r.pipeline,
        version: r.version,
        logicalDate: r.logicalDate,
        executor: r.executor,
        status: displayStatus(runsDir, r),
        tasksSucceeded: tasks.filter((t) => t.status === 'succeeded').length,
        tasks: tasks.length,
        createdAt: r.createdAt,
        finishedAt: r.finishedAt ?? null,
        slaMissed: r.slaMiss ? { dueBy: r.slaMiss.dueBy } : null,
      };
    });
    if (format === 'json') {
      io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      io.stdout(`no runs recorded${values.pipeline ? ` for ${values.pipeline}` : ''} (in ${runsDir})\n`);
      return 0;
    }
    // The SLA column appears when a listed run missed its SLA (release --scheduled records it).
    const sla = rows.some((r) => r.slaMissed !== null);
    io.stdout(
      table(
        ['RUN', 'PIPELINE', 'VERSION', 'DATE', 'EXECUTOR', 'STATUS', 'TASKS', 'STARTED', ...(sla ? ['SLA'] : [])],
        rows.map((r) => [
          r.runId,
          r.pipeline,
          r.version,
          r.logicalDate,
          r.executor,
          r.status,
          `${r.tasksSucceeded}/${r.tasks}`,
          r.createdAt.replace(/\.\d+Z$/, 'Z'),
          ...(sla ? [r.slaMissed ? `missed (due ${r.slaMissed.dueBy.replace(/\.\d+Z$/, 'Z')})` : ''] : []),
        ]),
      ),
    );
    return 0;
  },
};
