import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UserError } from '../diagnostics/diagnostic.js';

/** node:util parseArgs with usage errors turned into exit-code-2 UserErrors (never a stack trace). */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  command: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UserError(`${command}: ${message} (see \`pipewright ${command} --help\`)`, 2);
  }
}

export function oneOf<const V extends string>(
  value: string | undefined,
  allowed: readonly V[],
  flag: string,
  fallback: V,
): V {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as V;
  throw new UserError(`${flag} must be one of ${allowed.join(', ')} (got '${value}')`, 2);
}
