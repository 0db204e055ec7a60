import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UserError } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../spec/validate.js';

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
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const given = /'(-[^']*)'/.exec(message)?.[1] ?? '';
      const name = given.replace(/^-+/, '').split('=')[0] ?? '';
      const known = Object.keys(options);
      const suggestion = name.length > 1 ? didYouMean(name, known) : undefined;
      throw new UserError(
        `${command}: unknown option '${given}'${suggestion ? `: did you mean '--${suggestion}'?` : ''} (see \`pipewright ${command} --help\`)`,
        2,
      );
    }
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

/** A whole-number flag value (`--max-warnings 0`), or the fallback when absent. */
export function wholeNumber(value: string | undefined, flag: string, fallback: number): number;
export function wholeNumber(value: string | undefined, flag: string): number | undefined;
export function wholeNumber(value: string | undefined, flag: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UserError(`${flag} must be a whole number (got '${value}')`, 2);
  return Number(value);
}
