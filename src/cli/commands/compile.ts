import { performance } from 'node:perf_hooks';
import { UserError } from '../../diagnostics/diagnostic.js';
import { ManifestError } from '../../emit/manifest.js';
import { compileAndWrite, ProjectError } from '../../emit/project.js';
import { compileSummary, diagnosticCounts, diagnosticsJson, diagnosticsText, plural } from '../../emit/report.js';
import { WriteRefused } from '../../emit/write.js';
import { TARGETS, type TargetName } from '../../targets/target.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type CliIO, type Command, useColor } from '../io.js';

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

const HELP = `Usage: pipewright compile [paths…] [--target compose,k8s,gitlab] [--out generated] [--format text|json] [--no-cache]

Compile pipeline specs (default: pipelines/) into generated/<target>/… for every target.

All-or-nothing: any error writes nothing (exit 1). Only files whose bytes changed are written, each atomically.
Files compile wrote are listed in <out>/.pipewright-manifest.json; compile removes its own stale outputs (e.g. of a
deleted pipeline) and never touches a file that manifest does not list.

Options:
  --target <list>   targets to compile: compose, k8s (kubernetes), gitlab (default: all)
  --out <dir>       output directory inside the working directory (default: generated)
  --format <fmt>    text (default) or json
  --no-cache        compile every spec: neither read nor update the compile cache

Compile cache: per-spec results are kept in .pipewright/cache/compile-v1.json (keep .pipewright/ out of version
control), keyed by the pipewright version and build, the targets, the spec's path and the sha256 of its text. A spec
is reused only when that key matches and its outputs on disk are still as compiled: the same file metadata (inode,
size, mtime, ctime) as recorded after compile wrote them, else the same sha256. Anything else (an edited spec, a new
version, other targets, a damaged cache file, an output changed by hand) is compiled again. With --format json,
"cache" says how many specs were reused and how many compiled.

Exit codes: 0 compiled (warnings allowed), 1 errors in specs or nothing could be written, 2 usage error.
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
      },
      'compile',
    );
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const targets = parseTargets(values.target) ?? [...TARGETS];
    const paths = positionals.length > 0 ? positionals : ['pipelines'];
    const started = performance.now();
    const result = await compileAndWrite({
      paths,
      cwd: io.cwd,
      out: values.out ?? 'generated',
      targets,
      useCache: values['no-cache'] !== true,
    }).catch(asUserError);
    const ms = performance.now() - started;
    const counts = diagnosticCounts(result.diagnostics);
    const out = result.out.display;

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
            handEdited: w?.handEdited ?? [],
            ...(result.cache ? { cache: result.cache } : {}),
            ...diagnosticsJson(result.diagnostics, result.specCount),
            durationMs: Math.round(ms),
          },
          null,
          2,
        )}\n`,
      );
      return w ? 0 : 1;
    }

    io.stderr(diagnosticsText(result.diagnostics, result.units, useColor(io)));
    if (!result.write) {
      io.stderr(
        `compile failed: ${plural(counts.errors, 'error')}, ${plural(counts.warnings, 'warning')} — nothing written\n`,
      );
      return 1;
    }
    for (const p of result.write.handEdited)
      io.stderr(`note: ${out}/${p} had been edited by hand; compile replaced it\n`);
    io.stdout(`${compileSummary(result.pipelines.length, result.write, ms)}\n`);
    return 0;
  },
};
