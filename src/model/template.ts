import type { RuntimeRef, Segment, Template } from './ir.js';

/** A reference found in a templated string, with its offsets in that string (for positioned diagnostics). */
export interface TemplateRef {
  /** Trimmed expression, e.g. `ds`, `params.region`, `matrix.region`. */
  expr: string;
  start: number;
  end: number;
}

export interface ParsedTemplate {
  parts: ({ text: string } | { expr: string; start: number; end: number })[];
  /** Unbalanced `{{` / `}}` positions. */
  errors: { start: number; end: number; message: string }[];
}

const BUILTINS = new Set(['ds', 'ds_nodash', 'ts', 'run_id']);
const EXPR = /^(?:[a-z_][a-z0-9_]*|(?:params|matrix)\.[A-Za-z_][A-Za-z0-9_-]*)$/;

/** Split `a{{ ds }}b` into literal and expression parts. Never throws. */
export function parseTemplate(text: string): ParsedTemplate {
  const parts: ParsedTemplate['parts'] = [];
  const errors: ParsedTemplate['errors'] = [];
  let i = 0;
  let literal = '';
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const stray = text.indexOf('}}', i);
    if (stray !== -1 && (open === -1 || stray < open)) {
      errors.push({ start: stray, end: stray + 2, message: "'}}' without a matching '{{'" });
      literal += text.slice(i, stray + 2);
      i = stray + 2;
      continue;
    }
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    const close = text.indexOf('}}', open + 2);
    if (close === -1) {
      errors.push({ start: open, end: text.length, message: "'{{' without a closing '}}'" });
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    if (literal) parts.push({ text: literal });
    literal = '';
    parts.push({ expr: text.slice(open + 2, close).trim(), start: open, end: close + 2 });
    i = close + 2;
  }
  if (literal) parts.push({ text: literal });
  return { parts, errors };
}

export function templateRefs(text: string): TemplateRef[] {
  return parseTemplate(text).parts.filter((p): p is TemplateRef => 'expr' in p);
}

/** Why an expression cannot be resolved, or undefined when it can. */
export function checkTemplateExpr(
  expr: string,
  params: ReadonlySet<string>,
  matrixKeys: ReadonlySet<string>,
): string | undefined {
  if (!EXPR.test(expr))
    return `'{{ ${expr} }}' is not a template reference (use ds, ds_nodash, ts, run_id, params.NAME or matrix.KEY)`;
  if (expr.startsWith('params.')) {
    const name = expr.slice('params.'.length);
    return params.has(name)
      ? undefined
      : `unknown parameter '${name}' in '{{ ${expr} }}' (declare it under spec.params)`;
  }
  if (expr.startsWith('matrix.')) {
    const key = expr.slice('matrix.'.length);
    return matrixKeys.has(key)
      ? undefined
      : `unknown matrix key '${key}' in '{{ ${expr} }}' (this task's matrix has ${matrixKeys.size ? [...matrixKeys].sort().join(', ') : 'no keys'})`;
  }
  return BUILTINS.has(expr)
    ? undefined
    : `unknown template reference '{{ ${expr} }}' (built-ins: ds, ds_nodash, ts, run_id)`;
}

/**
 * Compile a templated string for one task instance: matrix refs become literal text, built-ins and params stay refs.
 * Assumes the template was validated (unknown refs throw: that is a bug, not user input).
 */
export function toTemplate(text: string, matrix: Readonly<Record<string, string>>): Template {
  const out: Segment[] = [];
  const pushText = (t: string) => {
    const last = out[out.length - 1];
    if (last && 'text' in last) last.text += t;
    else if (t) out.push({ text: t });
  };
  for (const part of parseTemplate(text).parts) {
    if ('text' in part) pushText(part.text);
    else if (part.expr.startsWith('matrix.')) {
      const value = matrix[part.expr.slice('matrix.'.length)];
      if (value === undefined) throw new Error(`unresolved matrix reference ${part.expr}`);
      pushText(value);
    } else {
      let ref: RuntimeRef;
      if (part.expr.startsWith('params.')) ref = { kind: 'param', name: part.expr.slice('params.'.length) };
      else if (BUILTINS.has(part.expr)) ref = { kind: 'builtin', name: part.expr as 'ds' };
      else throw new Error(`unresolved template reference ${part.expr}`);
      out.push({ ref });
    }
  }
  return out;
}

/** Back to the spec's notation, for diffs and messages. */
export function renderTemplate(template: Template): string {
  return template
    .map((s) => ('text' in s ? s.text : s.ref.kind === 'param' ? `{{ params.${s.ref.name} }}` : `{{ ${s.ref.name} }}`))
    .join('');
}

/** Substitute concrete values (runtime, tests): `values` maps builtin names and `params.NAME` to strings. */
export function resolveTemplate(template: Template, values: Readonly<Record<string, string>>): string {
  return template
    .map((s) => {
      if ('text' in s) return s.text;
      const key = s.ref.kind === 'param' ? `params.${s.ref.name}` : s.ref.name;
      const v = values[key];
      if (v === undefined) throw new Error(`no value for ${key}`);
      return v;
    })
    .join('');
}
