import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CONFIG_FILE } from '../../config/root.js';
import { UserError } from '../../diagnostics/diagnostic.js';
import { STATE_DIR } from '../../runtime/state-dir.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../io.js';

/**
 * What `pipewright init` writes. Static texts (nothing from the user goes into them); test/cli/init.test.ts proves
 * the spec validates and compiles, the config loads, and every command the CI snippet runs exists with those options.
 */
export const SCAFFOLD: Readonly<Record<string, string>> = {
  [CONFIG_FILE]: `# yaml-language-server: $schema=node_modules/pipewright/schema/config.schema.json
# pipewright project settings (docs/config.md): commands find the project root by this file.
apiVersion: pipewright.dev/v1
kind: Project
# Levels of warning codes, off / warn / error, for the project or per pipeline (\`pipewright explain <code>\`):
# diagnostics:
#   PW303: off
# pipelines:
#   example:
#     diagnostics:
#       PW302: off
`,
  'pipelines/example.yaml': `# yaml-language-server: $schema=../node_modules/pipewright/schema/pipeline.schema.json
# A first pipeline: two tasks, the second after the first, every day at 06:00 UTC.
# Check it with \`pipewright validate\`, compile it with \`pipewright compile\`, run it with \`pipewright run example\`.
apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: example
  version: 0.1.0
  owner: my-team
  description: Say hello for the logical date, then check that it was said
spec:
  schedule: "0 6 * * *"
  timezone: UTC
  defaults:
    image: alpine:3.20
    retries: 1
    timeout: 5m
  tasks:
    hello:
      command: [echo, "hello for {{ ds }}"]
    check-hello:
      type: check
      needs: [hello]
      command: ["true"]
`,
  '.gitlab/pipewright.gitlab-ci.yml': `# pipewright in GitLab CI: include it from .gitlab-ci.yml with
#   include:
#     - local: .gitlab/pipewright.gitlab-ci.yml
# It validates the specs and checks that the committed generated/ is what compile writes: in full on the default
# branch after every merge, and in merge requests only what changed since the merge base (--base), which is sound
# because that base passed the full run (docs/gate.md). Merge requests also fail when a spec changed without the
# version bump its changes need (docs/versioning.md).
pipewright:
  stage: test
  image: node:20.20-alpine
  variables:
    GIT_DEPTH: "0"
  before_script:
    - apk add --no-cache git
    - npm ci
  script:
    - |
      if [ -n "$CI_MERGE_REQUEST_DIFF_BASE_SHA" ]; then
        npx pipewright validate --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
        npx pipewright check --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
        npx pipewright diff "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --fail-on policy
      else
        npx pipewright validate
        npx pipewright check
      fi
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
`,
};

/** Lines init makes sure .gitignore has (appended when missing; the file is created when there is none). */
export const GITIGNORE_ENTRIES: readonly string[] = [`${STATE_DIR}/`];

const HELP = `Usage: pipewright init [dir]

Scaffold a pipewright project in dir (default: the current directory):
  ${CONFIG_FILE.padEnd(33)} the project configuration (docs/config.md)
  ${'pipelines/example.yaml'.padEnd(33)} a first spec, with the schema modeline editors read
  ${'.gitlab/pipewright.gitlab-ci.yml'.padEnd(33)} a GitLab CI job: validate + check (in full on the default branch, --base in merge requests), diff --fail-on policy
  ${'.gitignore'.padEnd(33)} gets ${GITIGNORE_ENTRIES.join(', ')} (machine-local state) when it lacks it
The modelines point at node_modules/pipewright/schema/ (npm install --save-dev pipewright).

init never overwrites: when any of those files exists (.gitignore aside), it writes nothing and says which.

Exit codes: 0 scaffolded, 1 refused (a file exists) or a file could not be written, 2 usage error or internal error.
`;

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

export const command: Command = {
  summary: 'scaffold a project: pipewright.yaml, a first spec, a GitLab CI job, .gitignore entries',
  help: HELP,
  usesProject: false,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals } = parseCommandArgs(argv, {}, 'init');
    if (positionals.length > 1)
      throw new UserError(`init takes at most one directory (got ${positionals.join(' ')})`, 2);
    const dir = resolve(io.cwd, positionals[0] ?? '.');
    const show = (path: string) => relative(io.cwd, join(dir, path)).split(sep).join('/');
    const taken: string[] = [];
    for (const path of Object.keys(SCAFFOLD)) if (await exists(join(dir, path))) taken.push(show(path));
    if (taken.length > 0) {
      throw new UserError(`init: ${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; nothing written`);
    }
    for (const [path, text] of Object.entries(SCAFFOLD)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text, { flag: 'wx' });
      io.stdout(`created ${show(path)}\n`);
    }
    const gitignore = join(dir, '.gitignore');
    const current = await readFile(gitignore, 'utf8').catch(() => undefined);
    const lines = new Set((current ?? '').split(/\r?\n/).map((l) => l.trim()));
    const missing = GITIGNORE_ENTRIES.filter((e) => !lines.has(e) && !lines.has(e.replace(/\/$/, '')));
    if (missing.length > 0) {
      const prefix = current === undefined || current === '' || current.endsWith('\n') ? '' : '\n';
      await writeFile(gitignore, `${current ?? ''}${prefix}${missing.join('\n')}\n`);
      io.stdout(`${current === undefined ? 'created' : 'updated'} ${show('.gitignore')} (${missing.join(', ')})\n`);
    }
    io.stdout(
      '\nnext: npm install --save-dev pipewright, then `npx pipewright validate` and `npx pipewright compile`;\n' +
        'include .gitlab/pipewright.gitlab-ci.yml from .gitlab-ci.yml (see the comment at its top)\n',
    );
    return 0;
  },
};
