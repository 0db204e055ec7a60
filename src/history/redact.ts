import { redactSecrets } from '../spec/secrets.js';

/**
 * Every string inside `value` with anything the secret rules flag masked (`****`). Valid specs cannot hold secret
 * values, but a diff or changelog also shows history and generated text, so reports are redacted before rendering.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
