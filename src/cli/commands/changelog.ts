import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../../diagnostics/diagnostic.js';
import { openHistoryCache } from '../../history/blob-cache.js';
import { buildChangelog, type Changelog } from '../../history/changelog.js';
import { withOverrideEntries } from '../../history/changelog-environments.js';
import { HistoryError } from '../../history/errors.js';
import { GitRepo } from '../../history/git.js';
import { redactDeep } from '../../history/redact.js';
import { renderChangelogJson } from '../../history/render-json.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type Command, userPath } from '../io.js';
import { JOBS_OPTION, parseJobs } from '../jobs.js';

const HELP = `Usage: pipewright changelog [options]

The changelog of the pipelines: walks the first-parent history between two revisions (default: the root commit →
HEAD) and prints, per pipeline, release notes in the manner of Keep a Changelog: newest release first, "Unreleased"
on top, every semantic change under the release that shipped it, with its commits. Commits that changed a spec
without bumping metadata.version are flagged. --format json also has the per-commit audit entries.

Options:
  --from <rev>               start after this commit (default: from the root commit)
  --to <rev>                 end at this commit (default: HEAD)
  --pipeline <name>          only this pipeline
  --format markdown|json     output format (default markdown)
  --template <file.hbs>      render markdown with this Handlebars template instead of the built-in one
                             (strict mode, known helpers only; fields and helpers: docs/versioning.md)
  --path <dir>               pipelines directory (default pipelines)
  --no-cache                 parse every spec blob: neither read nor update the blob cache
  --jobs <n|auto>            threads that parse spec blobs; 1 parses on the main thread; auto: one per available
                             CPU once there are 64 blobs to parse, else 1; default: pipewright.yaml \`jobs\`
                             (docs/config.md), else auto. The output is the same bytes whatever the number.

Each spec blob is parsed once; what the changelog needs of it, and the changes between each pair of blobs a
commit compares, are kept in a cache in your user cache directory ($XDG_CACHE_HOME/pipewright, else
~/.cache/pipewright), sealed with a key that never leaves it, so a later run parses only the blobs and diffs only
the pairs it has not seen.

Exit codes: 0 ok, 2 usage error / unknown revision / shallow clone without --from / template error.
`;

export const command: Command = {
  summary: 'audit changelog of pipeline versions from the first-parent git history',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        from: { type: 'string' },
        to: { type: 'string' },
        pipeline: { type: 'string' },
        format: { type: 'string' },
        template: { type: 'string' },
        path: { type: 'string' },
        'no-cache': { type: 'boolean' },
        ...JOBS_OPTION,
      },
      'changelog',
    );
    if (positionals.length > 0)
      throw new UserError(
        `changelog: unexpected argument '${positionals[0]}' (see \`pipewright changelog --help\`)`,
        2,
      );
    const jobs = parseJobs(values.jobs, io.project?.config);
    const format = oneOf(values.format, ['markdown', 'json'] as const, '--format', 'markdown');
    if (values.template !== undefined && format !== 'markdown')
      throw new UserError('changelog: --template applies to --format markdown only', 2);
    let template: { name: string; source: string } | undefined;
    if (values.template !== undefined) {
      try {
        template = {
          name: values.template,
          source: await readFile(resolve(io.cwd, userPath(io, values.template)), 'utf8'),
        };
      } catch (error) {
        throw new UserError(
          `changelog: cannot read template ${values.template}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          2,
        );
      }
    }
    try {
      const repo = await GitRepo.open(io.cwd);
      // From the root commit the whole history is needed; from --from on, only the commits after it (a shallow
      // clone that has --from has them all).
      if (values.from === undefined) await repo.assertNotShallow();
      const to = await repo.resolveNeededCommit(values.to ?? 'HEAD');
      const from = values.from === undefined ? undefined : await repo.resolveNeededCommit(values.from);
      const dir = repo.repoPath(io.cwd, values.path === undefined ? 'pipelines' : userPath(io, values.path));
      const reader = repo.openBlobReader();
      let changelog: Changelog;
      try {
        const only = values.pipeline !== undefined ? { pipeline: values.pipeline } : {};
        const cache = values['no-cache'] === true ? {} : { cache: await openHistoryCache(io.env) };
        const specs = await buildChangelog(repo, reader, { from, to, dir, jobs, ...only, ...cache });
        // commits that changed pipewright.yaml: their environments' override changes (docs/environments.md)
        const projectDir = repo.repoPath(io.cwd, '.');
        changelog = redactDeep(await withOverrideEntries(specs, repo, reader, { from, to, dir, projectDir, ...only }));
      } finally {
        await reader.close();
      }
      if (values.pipeline !== undefined && changelog.pipelines.length === 0) {
        io.stderr(`pipewright: changelog: no history for pipeline '${values.pipeline}' in this range\n`);
      }
      for (const w of changelog.warnings)
        io.stderr(`pipewright: changelog: warning: ${w.commit.slice(0, 12)}:${w.file}: ${w.message}\n`);
      // the markdown renderer brings Handlebars: loaded only for markdown
      io.stdout(
        format === 'json'
          ? renderChangelogJson(changelog)
          : (await import('../../history/render-changelog.js')).renderChangelog(changelog, template),
      );
      return 0;
    } catch (error) {
      if (error instanceof HistoryError) throw new UserError(`changelog: ${error.message}`, 2);
      throw error;
    }
  },
};
