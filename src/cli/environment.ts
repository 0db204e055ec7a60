/**
 * `--env <name>`: which environment of pipewright.yaml a command works on (docs/environments.md). A project that
 * declares environments needs one (its artifacts live in generated/<env>/…); a name it does not declare is a usage
 * error with a did-you-mean, never a silent fallback to the specs as written.
 */

import { UserError } from '../diagnostics/diagnostic.js';
import type { ProjectOptions } from '../emit/project.js';
import {
  environmentNames,
  resolveEnvironment,
  UNLOCATED_CONFIG,
  unknownEnvironmentMessage,
} from '../model/environments.js';
import type { CliIO } from './io.js';

export const ENV_OPTION = { env: { type: 'string' } } as const;

export const ENV_OPTION_HELP =
  '  --env <name>          environment of pipewright.yaml (required when it declares environments; docs/environments.md)';

export interface SelectedEnvironment {
  name: string;
  /** The environment's Kubernetes namespace, when it sets one. */
  namespace?: string;
}

export function selectEnvironment(
  io: CliIO,
  value: string | undefined,
  command: string,
): SelectedEnvironment | undefined {
  const config = io.project?.config;
  const names = environmentNames(config);
  if (value === undefined) {
    if (names.length === 0) return undefined;
    throw new UserError(
      `${command}: pipewright.yaml declares environments (${names.join(', ')}): choose one with --env <name>`,
      2,
    );
  }
  if (!names.includes(value)) throw new UserError(`${command}: --env: ${unknownEnvironmentMessage(value, config)}`, 2);
  const resolved = resolveEnvironment(config!, value, io.project?.configSource ?? UNLOCATED_CONFIG).environment;
  return { name: value, ...(resolved?.namespace !== undefined ? { namespace: resolved.namespace } : {}) };
}

/** What compileProject needs to compile the project as the command sees it (one environment, or none). */
export function projectOptions(
  io: CliIO,
  environment: SelectedEnvironment | undefined,
): Pick<ProjectOptions, 'config' | 'configSource' | 'environment'> {
  return {
    ...(io.project?.config ? { config: io.project.config } : {}),
    ...(io.project?.configSource ? { configSource: io.project.configSource } : {}),
    ...(environment ? { environment: environment.name } : {}),
  };
}
