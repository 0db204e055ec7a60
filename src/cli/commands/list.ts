import { compileSources } from '../../emit/compile.js';
import { targetOfPath } from '../../emit/manifest.js';
import { readSources, resolveOutDir } from '../../emit/project.js';
import { readManifest } from '../../emit/write.js';
import { table } from '../../runtime/report.js';
import { TARGETS, type TargetName } from '../../targets/target.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type CliIO, type Command, userPath } from '../io.js';
import { asUserError } from './compile.js';

const HELP = `Usage: pipewright list [paths…] [--out generated] [--format text|json]

List the pipelines of the project (default: the specs under pipelines/): name, version, owner, schedule (and its
time zone), enabled, and the targets whose files for that pipeline are in the output directory (from its manifest,
i.e. what \`pipewright compile\` last wrote; "-" when none). Specs with errors are named on stderr (see
\`pipewright validate\`).

Options:
  --out <dir>       output directory whose manifest says what is compiled (default: generated)
  --format <fmt>    text (default) or json: [{name, version, owner, schedule, timezone, enabled, targets, file}]

Exit codes: 0 listed, 1 a spec has errors (the valid ones are still listed), 2 usage error or internal error.
`;

export const command: Command = {
  summary: 'list the pipelines: name, version, owner, schedule, enabled, compiled targets',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      { out: { type: 'string' }, format: { type: 'string' } },
      'list',
    );
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const paths = positionals.length > 0 ? positionals.map((p) => userPath(io, p)) : ['pipelines'];
    const inputs = await readSources({ paths, cwd: io.cwd });
    let out: ReturnType<typeof resolveOutDir>;
    try {
      out = resolveOutDir(io.cwd, values.out === undefined ? 'generated' : userPath(io, values.out), paths);
    } catch (error) {
      asUserError(error);
    }
    const manifest = await readManifest(out.abs).catch(asUserError);
    const owned = new Set(Object.keys(manifest?.files ?? {}));
    const result = compileSources(inputs, { targets: TARGETS, outDir: out.display });
    const rows = result.units
      .filter((u) => u.header !== undefined && !u.diagnostics.some((d) => d.severity === 'error'))
      .map((u) => {
        const h = u.header!;
        const compiled = new Set<TargetName>();
        for (const o of u.outputs) {
          const target = targetOfPath(o.path);
          if (target && owned.has(o.path)) compiled.add(target);
        }
        return {
          name: h.name,
          version: h.version,
          owner: h.owner,
          schedule: h.schedule ?? null,
          timezone: h.timezone,
          enabled: h.enabled,
          targets: TARGETS.filter((t) => compiled.has(t)),
          file: u.file,
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const invalid = result.units.filter((u) => u.diagnostics.some((d) => d.severity === 'error')).map((u) => u.file);
    if (format === 'json') io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    else if (rows.length === 0) io.stdout(`no valid pipelines in ${paths.join(', ')}\n`);
    else
      io.stdout(
        table(
          ['NAME', 'VERSION', 'OWNER', 'SCHEDULE', 'ENABLED', 'TARGETS'],
          rows.map((r) => [
            r.name,
            r.version,
            r.owner,
            r.schedule === null ? '-' : `${r.schedule} (${r.timezone})`,
            r.enabled ? 'yes' : 'no',
            r.targets.length > 0 ? r.targets.join(',') : '-',
          ]),
        ),
      );
    for (const file of invalid)
      io.stderr(`pipewright: list: ${file} has errors (see \`pipewright validate ${file}\`)\n`);
    return invalid.length > 0 ? 1 : 0;
  },
};
