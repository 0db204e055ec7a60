/**
 * Kubernetes object names and label values: DNS-1123 labels of at most 63 characters, stable across runs.
 * Too-long names keep a readable prefix and end with a hash of the full name, so two long names never collide
 * by truncation alone (cdk8s does the same).
 */
import { createHash } from 'node:crypto';

export const MAX_NAME = 63;
/** The CronJob controller appends an 11-character suffix to the Jobs it creates; their names must stay <= 63. */
export const MAX_CRONJOB_NAME = 52;

/** First 8 hex characters of sha256(text). */
export function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Lower-case, runs of other characters → '-', no leading/trailing '-': the DNS-1123 label alphabet. */
function dnsChars(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A DNS-1123 label of at most `max` characters built from `text`. Unchanged when it already fits; otherwise
 * `<prefix>-<hash8 of text>`. Never empty (an empty input yields `x-<hash8>`).
 */
export function dnsLabel(text: string, max = MAX_NAME): string {
  const clean = dnsChars(text);
  if (clean.length > 0 && clean.length <= max && clean === text) return clean;
  const suffix = hash8(text);
  const room = max - suffix.length - 1;
  const prefix = clean.slice(0, room).replace(/-+$/, '');
  return `${prefix || 'x'}-${suffix}`;
}

/** `<base>-<hash>` within 63 characters: the base is shortened (with its own hash) when needed, the hash is kept. */
export function nameWithHash(base: string, hash: string): string {
  const room = MAX_NAME - hash.length - 1;
  return `${dnsLabel(base, room)}-${hash}`;
}

/** A label value: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric (or empty). */
export function labelValue(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (clean === text && clean.length <= MAX_NAME) return clean;
  const suffix = hash8(text);
  const prefix = clean.slice(0, MAX_NAME - suffix.length - 1).replace(/[^A-Za-z0-9]+$/, '');
  return prefix ? `${prefix}-${suffix}` : suffix;
}

/** Kubernetes label keys: optional DNS-1123 subdomain prefix (<= 253) + '/' + name (<= 63, alphanumeric ends). */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (
    prefix !== undefined &&
    !(prefix.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix))
  ) {
    return false;
  }
  return name.length <= MAX_NAME && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}
