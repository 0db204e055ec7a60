/**
 * Secret values for a run, looked up by the Compose artifact's wiring. Values live only in memory and in the task's
 * environment: never in run state, the ledger, logs or error messages (messages name refs and variables only).
 *
 * Lookup order for a secret `{ env: DB_PASSWORD, ref: warehouse/password, variable: PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD }`:
 *   1. the --secrets-file, key = the variable, then the ref;
 *   2. the runner's environment: the variable, then the task's env name (DB_PASSWORD).
 */
import { readFileSync } from 'node:fs';
import { MIN_MASKED_LENGTH, maskedStrings } from './mask.js';
import type { RunPlan, RunSecret } from './plan.js';

export class SecretsFileError extends Error {
  override name = 'SecretsFileError';
}

/**
 * dotenv-like: `KEY=value` per line, `#` comments and blank lines ignored, optional `export ` prefix; a value may be
 * wrapped in single quotes (taken literally) or double quotes (\n, \t, \", \\ escapes). No variable expansion.
 * Errors name the line, never its content.
 */
export function parseSecretsFile(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_./-]*)\s*=\s?(.*)$/.exec(trimmed);
    if (!m) throw new SecretsFileError(`${file}:${i + 1}: expected KEY=value`);
    let value = m[2]!;
    if (value.startsWith("'")) {
      if (!value.endsWith("'") || value.length < 2)
        throw new SecretsFileError(`${file}:${i + 1}: unterminated single quote`);
      value = value.slice(1, -1);
    } else if (value.startsWith('"')) {
      if (!/(?<!\\)(?:\\\\)*"$/.test(value.slice(1)) || value.length < 2) {
        throw new SecretsFileError(`${file}:${i + 1}: unterminated double quote`);
      }
      value = value
        .slice(1, -1)
        .replace(/\\(["\\nt])/g, (_, c: string) => ({ n: '\n', t: '\t', '"': '"', '\\': '\\' })[c]!);
    }
    out.set(m[1]!, value);
  });
  return out;
}

export function readSecretsFile(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SecretsFileError(`cannot read secrets file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseSecretsFile(text, file);
}

export interface SecretSources {
  file?: ReadonlyMap<string, string>;
  env: Readonly<Record<string, string | undefined>>;
}

export function lookupSecret(secret: RunSecret, sources: SecretSources): string | undefined {
  return (
    sources.file?.get(secret.variable) ??
    sources.file?.get(secret.ref) ??
    sources.env[secret.variable] ??
    sources.env[secret.env]
  );
}

/** Values per task (env name → value), or the secrets that could not be found. */
export function resolveSecrets(
  plan: Pick<RunPlan, 'tasks'>,
  sources: SecretSources,
): { byTask: Map<string, Record<string, string>>; missing: RunSecret[] } {
  const byTask = new Map<string, Record<string, string>>();
  const missing = new Map<string, RunSecret>();
  for (const task of plan.tasks) {
    const values: Record<string, string> = {};
    for (const secret of task.secrets) {
      const value = lookupSecret(secret, sources);
      if (value === undefined) missing.set(`${secret.ref}\0${secret.variable}`, secret);
      else values[secret.env] = value;
    }
    byTask.set(task.id, values);
  }
  return { byTask, missing: [...missing.values()] };
}

/**
 * One warning per secret whose value (or a line of it) is shorter than MIN_MASKED_LENGTH: task output cannot mask
 * it (see mask.ts). Names the ref and variable, never the value.
 */
export function unmaskableSecrets(
  plan: Pick<RunPlan, 'tasks'>,
  byTask: ReadonlyMap<string, Record<string, string>>,
): string[] {
  const out = new Set<string>();
  for (const task of plan.tasks) {
    for (const secret of task.secrets) {
      const value = byTask.get(task.id)?.[secret.env];
      if (value === undefined || maskedStrings([value]).tooShort.length === 0) continue;
      const what = value.includes('\n') ? 'has a line' : 'is';
      out.add(
        `secret ${secret.ref} (${secret.env}) ${what} shorter than ${MIN_MASKED_LENGTH} characters: it cannot be masked in task output`,
      );
    }
  }
  return [...out];
}
