import { redactNamedValue } from '../spec/secrets.js';

/**
 * Every string inside `value` with anything the secret rules flag masked (`****`). Valid specs cannot hold secret
 * values, but a diff or changelog also shows history and generated text, so reports are redacted before rendering.
 * The name a value is given is evidence too: a string under a secret-like key (`labels.db_password`), and the
 * `before`/`after` of a change whose path ends in one (`metadata.labels.db_password: Hunter2Prod → N3wS3cretPw`),
 * is masked whole when it looks like a value, even if the value alone does not look secret. A secret's `ref`
 * (`secrets.API_TOKEN: warehouse/token`) names where the value is stored and stays readable.
 */
export function redactDeep<T>(value: T, name?: string): T {
  return redactWith(value, name, new Map());
}

/**
 * `memo`: name → value → masked, for this one report. A changelog repeats the same names and values thousands of
 * times (authors, versions, paths, unchanged values), and the secret scan of a string was most of a warm run.
 */
function redactWith<T>(value: T, name: string | undefined, memo: Map<string | undefined, Map<string, string>>): T {
  if (typeof value === 'string') {
    const byValue = memo.get(name) ?? new Map<string, string>();
    memo.set(name, byValue);
    const masked = byValue.get(value) ?? redactNamedValue(name, value);
    byValue.set(value, masked);
    return masked as T;
  }
  if (Array.isArray(value)) return value.map((v) => redactWith(v, undefined, memo)) as T;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const changedName = typeof record.path === 'string' ? valueName(record.path) : undefined;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      out[k] = redactWith(v, changedName !== undefined && (k === 'before' || k === 'after') ? changedName : k, memo);
    }
    return out as T;
  }
  return value;
}

/** The name a changed value was given: the last segment of its path, unless it is a secret's ref. */
function valueName(path: string): string | undefined {
  const segments = path.split('.');
  return segments[segments.length - 2] === 'secrets' ? undefined : segments[segments.length - 1];
}
