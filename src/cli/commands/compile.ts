import { performance } from 'node:perf_hooks';
import { UserError } from '../../diagnostics/diagnostic.js';
import { formatCodeQuality } from '../../diagnostics/format-codequality.js';
import { MANIFEST_PATH, ManifestError } from '../../emit/manifest.js';
import { compileAndWrite, ProjectError } from '../../emit/project.js';
import { compileSummary, diagnosticCounts, diagnosticsJson, plural } from '../../emit/report.js';
import { WriteRefused } from '../../emit/write.js';
import { TARGETS, type TargetName } from '../../targets/target.js';
import { oneOf, parseCommandArgs } from '../args.js';
import {
  DIAGNOSTIC_OPTIONS,
  DIAGNOSTIC_OPTIONS_HELP,
  diagnosticView,
  renderDiagnostics,
  warningLimitExceeded,
} from '../diagnostics.js';
import { type CliIO, type Command, useColor, userPath } from '../io.js';
import { JOBS_OPTION, jobsHelp, parseJobs } from '../jobs.js';

const ALIASES: Record<string, TargetName> = { compose: 'compose', k8s: 'k8s', kubernetes: 'k8s', gitlab: 'gitlab' };

/** `--target compose,k8s` (repeatable, comma-separated) → targets in canonical order. */
export function parseTargets(values: readonly string[] | undefined): TargetName[] | undefined {
  if (!values || values.length === 0) return undefined;
  const chosen = new Set<TargetName>();
  for (const word of values.flatMap((v) => v.split(',')).map((w) => w.trim())) {
    const target = Object.hasOwn(ALIASES, word) ? ALIASES[word] : undefined;
    if (!target)
      throw new UserError(`--target must be a comma-separated list of ${TARGETS.join(', ')} (got '${word}')`, 2);
    chosen.add(target);
  }
  return TARGETS.filter((t) => chosen.has(t));
}

/** Project errors (bad --out, missing path, foreign file, corrupt manifest) are the user's to fix: exit 1, no stack. */
export function asUserError(error: unknown): never {
  if (error instanceof ProjectError || error instanceof WriteRefused || error instanceof ManifestError) {
    throw new UserError(error.message);
  }
  throw error;
}

const HELP = `Usage: pipewright compile [paths…] [--target compose,k8s,gitlab] [--out generated] [--format text|json|codequality]
                         [--no-cache] [--jobs N] [--quiet] [--verbose] [--max-warnings N]

Compile pipeline specs (default: pipelines/) into generated/<target>/… for every target.

All-or-nothing: any error writes nothing (exit 1). Only files whose bytes changed are written, each atomically.
Files compile wrote are listed in <out>/.pipewright-manifest.json with their sha256; compile deletes its own stale
outputs (e.g. of a deleted pipeline) only when their bytes are still exactly what it wrote (printing "deleted …"),
keeps any other listed file, and never touches a file that manifest does not list. Nothing is read, written or
deleted through a symbolic link: a link in the output directory, in --out or under a spec directory is refused.
Each spec's outputs are written to a staging directory inside the output directory (<out>/.pipewright-staging-…/)
as soon as that spec is compiled, and renamed into place at the end; on any error that directory is removed and the
output directory is left as it was.

Options:
  --target <list>   targets to compile: compose, k8s (kubernetes), gitlab (default: all)
  --out <dir>       output directory inside the working directory (default: generated)
  --format <fmt>    text (default), json, or codequality (a GitLab Code Quality report of every diagnostic,
                    the target capability notes PW3xx included, on stdout)
  --no-cache        compile every spec: neither read nor update the compile cache
${jobsHelp(20)}
${DIAGNOSTIC_OPTIONS_HELP}

Levels of warning codes (off, warn, error) come from pipewright.yaml (docs/config.md); a warning made an error stops
compile like any error.

Compile cache: per-spec results are kept in .pipewright/cache/compile-v1.json (the directory ignores itself in git),
keyed by the pipewright version and build, the targets, the spec's path and the sha256 of its text. A spec is reused
only when that key matches, the entry carries a valid HMAC under this machine's secret key
($XDG_CACHE_HOME/pipewright/compile-cache.key, else ~/.cache/pipewright/…, created on first use; never in the
project), and its outputs on disk are still as compiled (same file metadata as recorded, else the same sha256).
Anything else (an edited spec, a new version, other targets, a cache file from a checkout or another machine, an
output changed by hand) is compiled again: the cache changes only the speed, never the result. Without HOME or
XDG_CACHE_HOME there is no cache. With --format json, "cache" says how many specs were reused and how many compiled.

Exit codes: 0 compiled (warnings allowed), 1 errors in specs, nothing could be written, or more warnings than
--max-warnings (the files are written then), 2 usage error, invalid pipewright.yaml or internal error.
`;

export const command: Command = {
  summary: 'compile specs to Docker Compose, Kubernetes and GitLab CI under generated/',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        target: { type: 'string', multiple: true },
        out: { type: 'string' },
        format: { type: 'string' },
        'no-cache': { type: 'boolean' },
        ...JOBS_OPTION,
        ...DIAGNOSTIC_OPTIONS,
      },
      'compile',
    );
    const format = oneOf(values.format, ['text', 'json', 'codequality'] as const, '--format', 'text');
    const view = diagnosticView(values);
    const jobs = parseJobs(values.jobs, io.project?.config);
    const targets = parseTargets(values.target) ?? [...TARGETS];
    const paths = positionals.length > 0 ? positionals.map((p) => userPath(io, p)) : ['pipelines'];
    const started = performance.now();
    const result = await compileAndWrite({
      paths,
      cwd: io.cwd,
      env: io.env,
      out: values.out === undefined ? 'generated' : userPath(io, values.out),
      targets,
      useCache: values['no-cache'] !== true,
      jobs,
      ...(io.project?.config ? { config: io.project.config } : {}),
      ...(io.project?.configSource ? { configSource: io.project.configSource } : {}),
    }).catch(asUserError);
    const ms = performance.now() - started;
    const counts = diagnosticCounts(result.diagnostics);
    const out = result.out.display;
    const overLimit = warningLimitExceeded(result.diagnostics, view);
    const limitLine = overLimit ? `pipewright: compile: ${overLimit}\n` : '';
    const listed = view.quiet ? result.diagnostics.filter((d) => d.severity === 'error') : result.diagnostics;

    if (format === 'codequality') {
      io.stdout(formatCodeQuality({ diagnostics: listed, files: result.specCount }));
      io.stderr(limitLine);
      return result.write && !overLimit ? 0 : 1;
    }

    if (format === 'json') {
      const w = result.write;
      io.stdout(
        `${JSON.stringify(
          {
            ok: w !== undefined,
            out,
            targets,
            pipelines: result.pipelines.map((p) => p.name),
            written: w?.written ?? [],
            unchanged: w?.unchanged ?? [],
            removed: w?.removed ?? [],
            kept: w?.kept ?? [],
            handEdited: w?.handEdited ?? [],
            ...(result.cache ? { cache: result.cache } : {}),
            ...diagnosticsJson(listed, result.specCount),
            durationMs: Math.round(ms),
          },
          null,
          2,
        )}\n`,
      );
      io.stderr(limitLine);
      return w && !overLimit ? 0 : 1;
    }

    const sources = new Map(result.units.map((u) => [u.file, u.source]));
    if (io.project?.configSource) sources.set(io.project.configSource.file, io.project.configSource.source);
    io.stderr(renderDiagnostics(result.diagnostics, result.units.length, sources, view, { color: useColor(io) }));
    if (!result.write) {
      io.stderr(
        `compile failed: ${plural(counts.errors, 'error')}, ${plural(counts.warnings, 'warning')} — nothing written\n`,
      );
      return 1;
    }
    for (const p of result.write.handEdited)
      io.stderr(`note: ${out}/${p} had been edited by hand; compile replaced it\n`);
    for (const p of result.write.removed) io.stderr(`deleted ${out}/${p} (no spec produces it any more)\n`);
    for (const p of result.write.kept)
      io.stderr(
        `note: kept ${out}/${p}: ${MANIFEST_PATH} lists it, but its bytes are not what pipewright wrote; no longer listed (delete it yourself if it is not needed)\n`,
      );
    io.stdout(`${compileSummary(result.pipelines.length, result.write, ms)}\n`);
    io.stderr(limitLine);
    return overLimit ? 1 : 0;
  },
};
