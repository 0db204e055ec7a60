import { UserError } from '../../diagnostics/diagnostic.js';
import { describeGate, type GateInfo } from '../../emit/change-scope.js';
import { renderDiff } from '../../emit/check.js';
import { checkAgainstBase, type GateCheck } from '../../emit/gate.js';
import { checkProject } from '../../emit/project.js';
import {
  checkHeadline,
  checkJson,
  checkListing,
  diagnosticCounts,
  diagnosticsJson,
  diagnosticsText,
  plural,
} from '../../emit/report.js';
import { HistoryError } from '../../history/errors.js';
import { TARGETS } from '../../targets/target.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { withDetailedExitCode } from '../detailed-exitcode.js';
import { ENV_OPTION, selectEnvironment } from '../environment.js';
import { type CliIO, type Command, useColor, userPath } from '../io.js';
import { JOBS_OPTION, jobsHelp, parseJobs } from '../jobs.js';
import { asUserError, parseTargets } from './compile.js';

const HELP = `Usage: pipewright check [paths…] [--out generated] [--target …] [--format text|json] [--max-diff-lines N] [--cache]
                       [--base <rev>] [--jobs N]

Check that the output directory holds exactly what \`pipewright compile\` would write (CI runs this on the committed
generated/). Nothing is written. Every spec is compiled unless --cache is given. Symbolic links under the output
directory are refused before anything is opened (exit 1).

Exit 0 when up to date. Exit 1 with the stale (different bytes), missing and extra (owned by the manifest but no longer
produced) files and a unified diff from what is on disk to what compile would write, truncated after --max-diff-lines
lines (default 200) with counts. Files the manifest does not list are not compile's and are ignored.

With --base <rev> (the merge-request gate): compile and compare only what the change since <rev> can affect — specs
whose content changed (committed, staged, unstaged or untracked), generated files that changed, the project-wide
files (GitLab parent pipeline, manifest) when what they read changed, outputs of deleted or renamed pipelines. The
findings are those of a full check PROVIDED THAT <rev> passed a full check with this pipewright build and
configuration (e.g. the default branch runs a full \`pipewright check\` after every merge and merge requests pass
their merge base). It runs the full check instead, and says why, when pipewright.yaml, a package or lock file,
pipewright's own files, the manifest's version or targets changed, when the project declares environments, or when
git would not compare files byte for byte. The first line on stderr says which mode ran and why. A revision that is
not a commit of this repository is an error of use (exit 2).

Options:
  --base <rev>           check only what changed since <rev> (a commit that passed a full check; see above)
  --out <dir>            output directory (default: generated)
  --env <name>           compare only generated/<name>/ (an environment of pipewright.yaml; default: every tree)
  --target <list>        targets to check (default: those recorded in the manifest, else all)
  --format <fmt>         text (default) or json
  --max-diff-lines <n>   diff lines to print (default 200; 0 prints none)
  --cache                reuse (and update) the compile cache like compile does: faster, same result (entries
                         are authenticated with this machine's key, so a cache from the checkout is ignored)
${jobsHelp(25)}
  --detailed-exitcode    terraform's exit codes: 0 up to date, 2 stale (compile would change files), 1 findings
                         or errors (invalid specs, bad usage)

Exit codes: 0 up to date, 1 out of date or the specs have errors, 2 usage error, invalid pipewright.yaml or
internal error.
With --detailed-exitcode: 0 up to date, 2 out of date, 1 the specs have errors or any other error.
`;

export const command: Command = {
  summary: 'check that generated/ is what compile would write (for CI)',
  help: HELP,
  run: (argv: string[], io: CliIO) => withDetailedExitCode(argv, io, 'check', () => runCheck(argv, io)),
};

async function runCheck(argv: string[], io: CliIO): Promise<number> {
  {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        target: { type: 'string', multiple: true },
        out: { type: 'string' },
        format: { type: 'string' },
        cache: { type: 'boolean' },
        'max-diff-lines': { type: 'string' },
        'detailed-exitcode': { type: 'boolean' },
        base: { type: 'string' },
        ...ENV_OPTION,
        ...JOBS_OPTION,
      },
      'check',
    );
    /** Stale output: 1 (a finding), or 2 under --detailed-exitcode (changes). */
    const stale = values['detailed-exitcode'] === true ? 2 : 1;
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const maxLinesText = values['max-diff-lines'] ?? '200';
    if (!/^\d+$/.test(maxLinesText))
      throw new UserError(`--max-diff-lines must be a whole number (got '${maxLinesText}')`, 2);
    const targets = parseTargets(values.target);
    const jobs = parseJobs(values.jobs, io.project?.config);
    const paths = positionals.length > 0 ? positionals.map((p) => userPath(io, p)) : ['pipelines'];
    const outDir = values.out === undefined ? 'generated' : userPath(io, values.out);
    let gate: GateInfo | undefined;
    let incremental: GateCheck | undefined;
    if (values.base !== undefined) {
      const ran = await checkAgainstBase({
        base: values.base,
        cwd: io.cwd,
        paths,
        out: outDir,
        ...(targets ? { targets } : {}),
        ...(io.project?.config ? { config: io.project.config } : {}),
      }).catch((error: unknown) => {
        if (error instanceof HistoryError) throw new UserError(`check: --base: ${error.message}`, 2);
        return asUserError(error);
      });
      gate = ran.gate;
      if (values.env !== undefined && gate.mode === 'incremental')
        gate = { ...gate, mode: 'full', reason: '--env compares one environment tree (a full check)' };
      else incremental = ran.check;
      io.stderr(`${describeGate('check', gate)}
`);
    }
    const result =
      incremental ??
      (await checkProject(
        {
          paths,
          cwd: io.cwd,
          env: io.env,
          out: outDir,
          ...(targets ? { targets } : {}),
          useCache: values.cache === true,
          jobs,
          ...(io.project?.config ? { config: io.project.config } : {}),
          ...(io.project?.configSource ? { configSource: io.project.configSource } : {}),
          ...(values.env !== undefined ? { within: selectEnvironment(io, values.env, 'check')!.name } : {}),
        },
        TARGETS,
      ).catch(asUserError));
    const out = result.out.display;

    if (!result.report || !result.input) {
      const counts = diagnosticCounts(result.diagnostics);
      if (format === 'json') {
        io.stdout(
          `${JSON.stringify({ ok: false, out, ...diagnosticsJson(result.diagnostics, result.specCount), ...(gate ? { gate } : {}) }, null, 2)}\n`,
        );
      } else {
        io.stderr(diagnosticsText(result.diagnostics, result.units, useColor(io)));
        io.stderr(`check failed: the specs have ${plural(counts.errors, 'error')}; fix them first\n`);
      }
      return 1;
    }
    const { report, input } = result;
    const fileCount = (result as GateCheck).fileCount ?? input.expected.size;
    const diff = report.ok ? undefined : renderDiff(report, input, { outDir: out, maxLines: Number(maxLinesText) });
    if (format === 'json') {
      io.stdout(`${JSON.stringify({ ...checkJson(report, out, diff), ...(gate ? { gate } : {}) }, null, 2)}\n`);
      return report.ok ? 0 : stale;
    }
    if (report.ok) {
      io.stdout(`${checkHeadline(report, out, fileCount)}\n`);
      return 0;
    }
    io.stderr(`${checkHeadline(report, out, fileCount)}\n${checkListing(report, out).join('\n')}\n`);
    if (diff?.text) io.stdout(diff.text);
    io.stderr(`run \`pipewright compile\` to update ${out}/\n`);
    return stale;
  }
}
