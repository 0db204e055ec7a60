/**
 * Compose-spec variable interpolation, the subset Compose implements (compose-go `template` package):
 * `$$` → `$`; `$VAR` and `${VAR}` → the value ('' when unset); `${VAR:-d}` → d when unset or empty;
 * `${VAR-d}` → d when unset; `${VAR:?msg}` / `${VAR?msg}` → error when unset (or empty); `${VAR:+a}` / `${VAR+a}` →
 * a when set (and non-empty). Defaults and alternatives are themselves interpolated, so `${A:-${B}}` works.
 *
 * The pipewright runtime reads generated compose files through this function, exactly as Compose would; emitters
 * write literal text through escapeCompose so that it comes back unchanged.
 */

export class ComposeInterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ComposeInterpolationError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Literal text → Compose text that interpolates back to it. */
export function escapeCompose(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/** Index of the `}` closing a `${` whose body starts at `from`, honouring nested `${…}` and `$$`. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') {
      i++;
    } else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

export function interpolateCompose(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  const lookup = (name: string) => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(text, dollar + 2);
      if (end === -1) throw new ComposeInterpolationError(`unterminated '\${' at offset ${dollar}`);
      out += substitute(text.slice(dollar + 2, end), lookup, vars);
      i = end + 1;
      continue;
    }
    const name = NAME.exec(text.slice(dollar + 1))?.[0];
    if (!name) throw new ComposeInterpolationError(`invalid '$' at offset ${dollar} (write '$$' for a literal '$')`);
    out += lookup(name) ?? '';
    i = dollar + 1 + name.length;
  }
  return out;
}

function substitute(
  body: string,
  lookup: (name: string) => string | undefined,
  vars: Readonly<Record<string, string | undefined>>,
): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw new ComposeInterpolationError(`invalid variable reference '\${${body}}'`);
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return value ?? '';
  const op = /^(:?)([-?+])/.exec(rest);
  if (!op) throw new ComposeInterpolationError(`invalid variable reference '\${${body}}'`);
  const colon = op[1] === ':';
  const arg = rest.slice(op[0].length);
  const present = colon ? value !== undefined && value !== '' : value !== undefined;
  switch (op[2]) {
    case '-':
      return present ? value! : interpolateCompose(arg, vars);
    case '+':
      return present ? interpolateCompose(arg, vars) : '';
    default:
      if (present) return value!;
      throw new ComposeInterpolationError(
        `required variable ${name} is ${value === undefined ? 'unset' : 'empty'}${arg ? `: ${interpolateCompose(arg, vars)}` : ''}`,
      );
  }
}
