/**
 * Plaintext secret detection, shared by the secret rules (PW210/PW211) and every place that shows source text
 * (code frames, diffs, changelogs) so a secret value is never echoed.
 *
 * Two kinds of findings:
 *  - known formats (AWS keys, private key blocks, GitHub/GitLab/Slack tokens, passwords inside URLs …): the text
 *    itself says it is a secret, wherever it appears;
 *  - assignments (`DB_PASSWORD: hunter2`, `--token=abc`, `--password hunter2`): a secret-like name given a literal
 *    value. Only the value part is a span.
 * Redaction uses both; the rules decide per context how sure they must be (see `secretValueKind`).
 */
export interface SecretSpan {
  start: number;
  end: number;
  /** What was recognised, e.g. 'AWS access key id'. Safe to print. */
  kind: string;
  /** For assignments: the secret-like name the value was given (safe to print). */
  name?: string;
}

const KNOWN_FORMATS: { kind: string; re: RegExp }[] = [
  {
    kind: 'private key block',
    re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { kind: 'AWS access key id', re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { kind: 'GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/g },
  { kind: 'GitLab token', re: /\bgl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|oas)-[A-Za-z0-9_-]{20,}/g },
  { kind: 'Slack token', re: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
  {
    kind: 'Slack webhook URL',
    re: /https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9_]+\/B[A-Za-z0-9_]+\/[A-Za-z0-9_]+/g,
  },
  { kind: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'Stripe secret key', re: /\b(?:sk|rk)_live_[0-9A-Za-z]{16,}\b/g },
  { kind: 'npm token', re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'JSON Web Token', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
];

/**
 * `scheme://user:password@host`: the password part (unless it is a template or variable reference). The scheme must
 * start where no scheme character precedes it: with a plain `\b`, text like `a.a.a.a…` would be re-scanned from every
 * letter (quadratic on a 1 MiB file).
 */
const URL_USERINFO = /(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s:@/?#'"]*:([^\s@/?#'"]+)@/g;

/**
 * `NAME: value`, `NAME=value`, `--name=value` (YAML keys, env assignments, flags). Group 1: the name.
 * The value is read by `readValue` from the end of the match.
 */
const ASSIGNMENT = /(?<![\w.-])-{0,2}([A-Za-z_][\w.-]*)["']?[ \t]*[:=][ \t]*/g;
/** `--name value`, `--name, value` (flow sequence) and `--name⏎  - value` (block sequence). Group 1: the name. */
const FLAG_THEN_VALUE = /(?<![\w.-])--?([A-Za-z_][\w.-]*)["']?(?:[ \t]*,[ \t]*|[ \t]*\r?\n[ \t]*-[ \t]+|[ \t]+)/g;

/** Every secret found in `text` (known formats and secret-like assignments), sorted by start, non-overlapping. */
export function findSecretSpans(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [...findKnownSecrets(text)];
  for (const re of [ASSIGNMENT, FLAG_THEN_VALUE]) {
    for (const m of text.matchAll(re)) {
      const name = m[1]!;
      if (!isSecretLikeName(name)) continue;
      const before = text[m.index - 1];
      const enclosing = before === '"' || before === "'" ? before : undefined;
      const value = readValue(text, m.index + m[0].length, enclosing);
      if (!value || (re === FLAG_THEN_VALUE && value.text.startsWith('-'))) continue;
      if (secretValueKind(value.text) === undefined) continue;
      spans.push({ start: value.start, end: value.end, kind: `value of ${name}`, name });
    }
  }
  return dedupe(spans);
}

/** Known secret formats only: the text says it is a secret wherever it appears. Sorted, non-overlapping. */
export function findKnownSecrets(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const { kind, re } of KNOWN_FORMATS) {
    for (const m of text.matchAll(re)) spans.push({ start: m.index, end: m.index + m[0].length, kind });
  }
  for (const m of text.matchAll(URL_USERINFO)) {
    const password = m[1]!;
    if (isReference(password)) continue;
    const start = m.index + m[0].length - 1 - password.length;
    spans.push({ start, end: start + password.length, kind: 'password in a URL' });
  }
  return dedupe(spans);
}

function dedupe(spans: SecretSpan[]): SecretSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretSpan[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.start < last.end) continue;
    out.push(s);
  }
  return out;
}

/**
 * The scalar value starting at `at`: a quoted string (its inside) or a plain word run up to a comment / line end.
 * Inside a quoted word (`"--token=abc"`), `enclosing` is that quote and the value ends before it.
 */
function readValue(
  text: string,
  at: number,
  enclosing?: string,
): { text: string; start: number; end: number } | undefined {
  if (enclosing !== undefined) {
    const lineEnd = text.indexOf('\n', at);
    const close = text.slice(at, lineEnd === -1 ? text.length : lineEnd).indexOf(enclosing);
    const end = close === -1 ? (lineEnd === -1 ? text.length : lineEnd) : at + close;
    return end > at ? { text: text.slice(at, end), start: at, end } : undefined;
  }
  const quoteChar = text[at];
  if (quoteChar === '"' || quoteChar === "'") {
    let i = at + 1;
    while (i < text.length && text[i] !== '\n') {
      if (quoteChar === '"' && text[i] === '\\') i += 2;
      else if (quoteChar === "'" && text[i] === "'" && text[i + 1] === "'") i += 2;
      else if (text[i] === quoteChar) break;
      else i++;
    }
    return { text: text.slice(at + 1, i), start: at + 1, end: Math.min(i, text.length) };
  }
  // Nested collections, block scalars, comments, anchors and aliases are not a one-line value.
  if (quoteChar === undefined || /[\s|>#{[&*]/.test(quoteChar)) return undefined;
  const lineEnd = text.indexOf('\n', at);
  let end = lineEnd === -1 ? text.length : lineEnd;
  const comment = text.slice(at, end).search(/\s#/);
  if (comment !== -1) end = at + comment;
  // Inside a flow collection (`{ A: x, B: y }`, `[--token, x]`) the value ends at the next indicator.
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  if (/[[{]/.test(text.slice(lineStart, at))) {
    const indicator = text.slice(at, end).search(/[,\]}]/);
    if (indicator !== -1) end = at + indicator;
  }
  while (end > at && /\s/.test(text[end - 1]!)) end--;
  return end > at ? { text: text.slice(at, end), start: at, end } : undefined;
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

/** Words that make a name secret-like on their own. */
const SECRET_WORDS = new Set([
  'PASSWORD',
  'PASSWORDS',
  'PASSWD',
  'PASSPHRASE',
  'PASS',
  'PWD',
  'SECRET',
  'SECRETS',
  'TOKEN',
  'TOKENS',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
  'APIKEY',
  'APIKEYS',
  'PRIVATEKEY',
  'ACCESSKEY',
  'SECRETKEY',
  'AUTH',
]);
/** `<word>_KEY` is secret-like for these words (API_KEY, PRIVATE_KEY, SIGNING_KEY …). */
const KEY_QUALIFIERS = new Set([
  'API',
  'PRIVATE',
  'ACCESS',
  'SECRET',
  'SIGNING',
  'ENCRYPTION',
  'MASTER',
  'LICENSE',
  'SSH',
  'GPG',
  'CLIENT',
  'SERVICE',
  'ACCOUNT',
]);
/** A last word that turns a secret-like name into metadata about the secret (TOKEN_URL, PASSWORD_FILE …). */
const METADATA_WORDS = new Set([
  'FILE',
  'PATH',
  'DIR',
  'URL',
  'URI',
  'ENDPOINT',
  'HOST',
  'PORT',
  'USER',
  'USERNAME',
  'NAME',
  'ID',
  'TYPE',
  'MODE',
  'METHOD',
  'KIND',
  'HEADER',
  'TTL',
  'EXPIRY',
  'EXPIRES',
  'LENGTH',
  'LEN',
  'ENABLED',
  'DISABLED',
  'REF',
  'PROVIDER',
  'SCOPE',
  'SCOPES',
  'ISSUER',
  'REGION',
  'VERSION',
  'FORMAT',
  'ENV',
  'VAR',
  'FIELD',
  'POLICY',
  'ROTATION',
  'AGE',
  'LIFETIME',
  'TIMEOUT',
  'COUNT',
  'SIZE',
  'ALGORITHM',
  'ALG',
  'AUDIENCE',
  'LOCATION',
  'PREFIX',
  'SUFFIX',
  'REQUIRED',
  'COMMAND',
  'CMD',
  'RETRIES',
  'ARN',
  'STORE',
  'MANAGER',
  'BACKEND',
]);

/** Split `dbPassword`, `DB_PASSWORD`, `db-password`, `db.password` into upper-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
}

/** A name that says its value is a secret: PASSWORD, DB_SECRET, API_KEY, githubToken (not TOKEN_URL, PASSWORD_FILE). */
export function isSecretLikeName(name: string): boolean {
  const ws = words(name);
  if (ws.length === 0 || METADATA_WORDS.has(ws[ws.length - 1]!)) return false;
  return ws.some((w, i) => SECRET_WORDS.has(w) || (w === 'KEY' && i > 0 && KEY_QUALIFIERS.has(ws[i - 1]!)));
}

/** Values that point at a secret instead of holding it, or are placeholders. */
function isReference(value: string): boolean {
  return (
    value.includes('{{') ||
    /^\$(?:\{[^}]*\}|\([^)]*\)|[A-Za-z_][A-Za-z0-9_]*)$/.test(value) ||
    /^(?:\/|\.\.?\/|~\/|file:|vault:|secret:|ref:|env:|arn:aws:(?:secretsmanager|ssm):|projects\/[^/]+\/secrets\/)/.test(
      value,
    ) ||
    /^(?:<[^>]*>|\*+|x+|X+|\.{3,}|redacted|REDACTED)$/.test(value)
  );
}

const TRIVIAL = /^(?:true|false|yes|no|on|off|null|none|~|-?[0-9]+(?:\.[0-9]+)?)$/i;

/**
 * How a value given to a secret-like name looks: 'high-entropy value' (random-looking, e.g. a token),
 * 'literal value' (a plain password), or undefined when it is not a secret (empty, a template or variable reference, a
 * path or store reference, a boolean or number, a URL without credentials, a placeholder, shorter than 4 characters).
 */
export function secretValueKind(value: string): 'high-entropy value' | 'literal value' | undefined {
  const v = value.trim();
  if (v.length < 4 || TRIVIAL.test(v) || isReference(v)) return undefined;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(v) && findKnownSecrets(v).length === 0) return undefined;
  return isHighEntropy(v) ? 'high-entropy value' : 'literal value';
}

/** Random-looking: long enough, no spaces, and close to the entropy of base64/hex secrets. */
export function isHighEntropy(value: string): boolean {
  if (value.length < 16 || /\s/.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
  const threshold = /^[0-9a-f]+$/i.test(value) ? 3.0 : 3.5;
  return classes >= 2 && shannonEntropy(value) >= threshold;
}
