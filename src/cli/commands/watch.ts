import { UserError } from '../../diagnostics/diagnostic.js';
import { ManifestError } from '../../emit/manifest.js';
import { ProjectError } from '../../emit/project.js';
import { WriteRefused } from '../../emit/write.js';
import { jsonEvent, jsonMessage, ShownDiagnostics, statusLine } from '../../watch/report.js';
import { DEFAULT_DEBOUNCE_MS, MIN_DEBOUNCE_MS, NATIVE_DEBOUNCE_MS, type RebuildEvent } from '../../watch/session.js';
import { startWatch } from '../../watch/watch.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { DIAGNOSTIC_OPTIONS, DIAGNOSTIC_OPTIONS_HELP, diagnosticView, renderDiagnostics } from '../diagnostics.js';
import { type CliIO, type Command, useColor, userPath } from '../io.js';
import { parseTargets } from './compile.js';

const HELP = `Usage: pipewright watch [paths…] [--target compose,k8s,gitlab] [--out generated] [--format text|json]
                       [--debounce ms] [--poll]

Compile pipeline specs (default: pipelines/) like \`pipewright compile\`, then keep the generated files up to date
while you edit: one rebuild per burst of saves, only the pipelines whose spec content changed are recompiled, only
changed outputs are written (atomically).

A spec with errors prints its diagnostics and keeps its last good generated files in place; every other pipeline
still updates (compile, by contrast, writes nothing while any spec has errors). A duplicate pipeline name blocks
both specs involved. A deleted spec's generated files are removed.

Options:
  --target <list>   targets to compile: compose, k8s (kubernetes), gitlab (default: all)
  --out <dir>       output directory inside the working directory (default: generated)
  --format <fmt>    text (default): diagnostics and one status line per rebuild;
                    json: one JSON object per line per rebuild, for editor integrations
  --debounce <ms>   quiet time before a burst of file events is rebuilt (default ${NATIVE_DEBOUNCE_MS} with the native
                    watcher; ${DEFAULT_DEBOUNCE_MS}, minimum ${MIN_DEBOUNCE_MS}, when chokidar delivers the events)
  --poll            poll the file system instead of OS events (network file systems, some containers)
${DIAGNOSTIC_OPTIONS_HELP.split('\n').slice(0, 3).join('\n')}

Text output shows each diagnostic once: after a save, only diagnostics that are new or changed are printed (one
line counts those not repeated). Levels of warning codes come from pipewright.yaml (docs/config.md).

Ctrl-C or SIGTERM stops watching. Details and event format: docs/watch.md.

Exit codes: 0 stopped by Ctrl-C/SIGTERM (errors in specs do not end watching), 1 the output directory or a path
cannot be used, 2 usage error, invalid pipewright.yaml or internal error.
`;

function userFacing(error: unknown): string | undefined {
  if (error instanceof ProjectError || error instanceof WriteRefused || error instanceof ManifestError) {
    return error.message;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && error instanceof Error) return error.message; // an OS error (EACCES, ENOSPC on disk…)
  return undefined;
}

function parseDebounce(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 60_000) {
    throw new UserError(`--debounce must be a whole number of milliseconds up to 60000 (got '${value}')`, 2);
  }
  return Number(value);
}

export const command: Command = {
  summary: 'compile, then recompile changed specs on save (incremental, keeps last good output on errors)',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        target: { type: 'string', multiple: true },
        out: { type: 'string' },
        format: { type: 'string' },
        debounce: { type: 'string' },
        poll: { type: 'boolean' },
        quiet: DIAGNOSTIC_OPTIONS.quiet,
        verbose: DIAGNOSTIC_OPTIONS.verbose,
      },
      'watch',
    );
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const targets = parseTargets(values.target);
    const debounceMs = parseDebounce(values.debounce);
    const paths = positionals.length > 0 ? positionals.map((p) => userPath(io, p)) : ['pipelines'];
    const view = diagnosticView(values);
    const color = useColor(io);

    let session: ReturnType<typeof startWatch>;
    try {
      session = startWatch({
        cwd: io.cwd,
        paths,
        out: values.out === undefined ? 'generated' : userPath(io, values.out),
        ...(targets ? { targets } : {}),
        ...(io.project?.config ? { config: io.project.config } : {}),
        ...(debounceMs !== undefined ? { debounceMs } : {}),
        ...(values.poll ? { usePolling: true } : {}),
      });
    } catch (error) {
      if (error instanceof ProjectError) throw new UserError(error.message);
      throw error;
    }

    const shown = new ShownDiagnostics();
    const onRebuild = (event: RebuildEvent) => {
      if (format === 'json') {
        io.stdout(`${jsonEvent(event)}\n`);
        return;
      }
      const { show, repeated } = shown.select(event);
      if (show.length > 0) {
        io.stderr(renderDiagnostics(show, event.changed.length, event.sources, view, { color }));
      }
      if (repeated > 0 && !view.quiet) {
        io.stderr(`(${repeated} diagnostic${repeated === 1 ? '' : 's'} shown before and unchanged: not repeated)\n`);
      }
      const line = statusLine(event, new Date());
      const paint = event.failing.length > 0 ? '1;31' : '32';
      io.stdout(`${color ? `\u001b[${paint}m${line}\u001b[0m` : line}\n`);
    };
    const onWarning = (message: string) => {
      if (format === 'json') io.stdout(`${jsonMessage('warning', message)}\n`);
      else io.stderr(`warning: ${message}\n`);
    };
    const onError = (error: unknown) => {
      const known = userFacing(error);
      const message = known ?? (error instanceof Error ? (error.stack ?? error.message) : String(error));
      if (format === 'json') io.stdout(`${jsonMessage('error', message)}\n`);
      else io.stderr(`error: ${known ? '' : 'internal error (this is a bug, please report it): '}${message}\n`);
    };
    session.on('rebuild', onRebuild).on('warning', onWarning).on('error', onError);

    const stopped = new Promise<void>((resolve) => {
      if (io.signal?.aborted) resolve();
      io.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      await Promise.race([session.ready, stopped]);
    } catch (error) {
      await session.close();
      const known = userFacing(error);
      if (known) throw new UserError(known);
      throw error;
    }
    if (!io.signal?.aborted && format === 'text') {
      io.stderr(`watching ${paths.join(', ')} (Ctrl-C to stop)\n`);
    }
    await stopped;
    await session.close();
    return 0;
  },
};
