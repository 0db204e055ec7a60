import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SpecPath } from '../document.js';
import type { Rule } from './rule.js';
import { describePath as describe, diagnostic, quote, tasksInSourceOrder } from './support.js';

/**
 * Names a spec may not set in `env` or `secrets`: they belong to pipewright's run or to a target, and a spec value
 * would shadow them (a task reading the spec's `PIPEWRIGHT_DS` instead of the logical date, a param's allowed values
 * sidestepped, GitLab tracing every command with `CI_DEBUG_TRACE`, the checkout changed with `GIT_STRATEGY`).
 */
const RESERVED_PREFIXES: { prefix: string; owner: string }[] = [
  { prefix: 'PIPEWRIGHT_', owner: "pipewright's run variables" },
  { prefix: 'CI_', owner: 'GitLab CI predefined variables' },
  { prefix: 'GITLAB_', owner: 'GitLab CI predefined variables' },
  { prefix: 'FF_', owner: 'GitLab Runner feature flags' },
  { prefix: 'RUNNER_', owner: 'GitLab Runner settings' },
  { prefix: 'GIT_SUBMODULE_', owner: 'GitLab Runner Git settings' },
];
/** GitLab's predefined `CI`, and the documented runner variables that change how a job checks out, retries or traces. */
const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  ['CI', 'GitLab CI predefined variables'],
  ...[
    'GIT_STRATEGY',
    'GIT_DEPTH',
    'GIT_CHECKOUT',
    'GIT_CLEAN_FLAGS',
    'GIT_FETCH_EXTRA_FLAGS',
    'GIT_CLONE_PATH',
    'GIT_LFS_SKIP_SMUDGE',
    'GET_SOURCES_ATTEMPTS',
    'ARTIFACT_DOWNLOAD_ATTEMPTS',
    'RESTORE_CACHE_ATTEMPTS',
    'EXECUTOR_JOB_SECTION_ATTEMPTS',
    'TRANSFER_METER_FREQUENCY',
    'CACHE_FALLBACK_KEY',
    'CACHE_COMPRESSION_LEVEL',
    'ARTIFACT_COMPRESSION_LEVEL',
    'DOCKER_AUTH_CONFIG',
  ].map((name) => [name, 'GitLab Runner settings'] as [string, string]),
]);

/** Who owns `name`, when a spec may not set it. */
export function reservedEnvOwner(name: string): string | undefined {
  const upper = name.toUpperCase();
  return RESERVED_NAMES.get(upper) ?? RESERVED_PREFIXES.find((r) => upper.startsWith(r.prefix))?.owner;
}

/** PW217: an env or secret name reserved by pipewright or a target (see RESERVED_PREFIXES and RESERVED_NAMES). */
export const reservedEnvName: Rule = {
  name: 'reserved-env-name',
  codes: ['PW217'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const reserved = (path: SpecPath, name: string, what: string) => {
      const owner = reservedEnvOwner(name);
      if (owner === undefined) return;
      out.push(
        diagnostic(
          doc,
          doc.rangeOf(path, { key: true }),
          'error',
          'PW217',
          `${what} is reserved (${owner}): a spec may not set it; choose another name`,
        ),
      );
    };
    for (const name of Object.keys(spec.spec.defaults?.env ?? {})) {
      reserved(['spec', 'defaults', 'env', name], name, `defaults.env ${quote(name)}`);
    }
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      for (const name of Object.keys(task.env ?? {})) {
        reserved([...path, 'env', name], name, describe([...path, 'env', name]));
      }
      for (const name of Object.keys(task.secrets ?? {})) {
        reserved([...path, 'secrets', name], name, `secret ${quote(name)} of task ${quote(id)}`);
      }
    }
    return out;
  },
};
