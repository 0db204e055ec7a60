/**
 * Plaintext secret detection, shared by the secret rules (PW210/PW211) and every place that shows source text
 * (code frames, diffs, changelogs) so a secret value is never echoed.
 */
export interface SecretSpan {
  start: number;
  end: number;
  /** What was recognised, e.g. 'AWS access key id'. Safe to print. */
  kind: string;
}

const PATTERNS: { kind: string; re: RegExp }[] = [
  { kind: 'private key block', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g },
  { kind: 'AWS access key id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/g },
  { kind: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
  { kind: 'Slack token', re: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g },
];

/** Known secret formats inside arbitrary text, sorted by start, non-overlapping. */
export function findSecretSpans(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const { kind, re } of PATTERNS) {
    for (const m of text.matchAll(re)) spans.push({ start: m.index, end: m.index + m[0].length, kind });
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretSpan[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.start < last.end) continue;
    out.push(s);
  }
  return out;
}

/** Replace every detected span with `****`. */
export function redactSecrets(text: string): string {
  let out = '';
  let at = 0;
  for (const s of findSecretSpans(text)) {
    out += `${text.slice(at, s.start)}****`;
    at = s.end;
  }
  return out + text.slice(at);
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  if (!text) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const SECRET_NAME = /(?:pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth)/i;

/** A key that names a secret (PASSWORD, DB_SECRET, API_KEY…). */
export function isSecretLikeName(name: string): boolean {
  return SECRET_NAME.test(name);
}
