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
  // A start inside a run of token characters is never a new token (a `\b` would re-scan `eyJ…-eyJ…-…` from each one).
  {
    kind: 'JSON Web Token',
    re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  },
];

/**
 * `…;Password=value;…` / `Pwd=value` in an ADO.NET/ODBC/JDBC-style connection string: the value up to the next `;`.
 * Only where a `;` shows it is a connection string (before the name or right after the value).
 */
const CONNECTION_PASSWORD = /(?<![\w.-])(?:password|pwd)[ \t]*=[ \t]*([^;\s'"]*)(;?)/dgi;

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

/**
 * How much of a value is read to classify it. Scanning is linear in the text: each match reads at most this much
 * (plus O(log n) line lookups), never the rest of its line — a 1 MiB line of `password: x{` used to be read once per
 * match. A value longer than this that does not end inside the window is masked up to the end of its line.
 */
export const VALUE_WINDOW = 256;

/** Every secret found in `text` (known formats and secret-like assignments), sorted by start, non-overlapping. */
export function findSecretSpans(text: string): SecretSpan[] {
  const known = findKnownSecrets(text);
  const spans: SecretSpan[] = [...known];
  const lines = new LineIndex(text);
  // A known format is the better span (`Password=x;Database=y`: the password, not the rest of the line), and a
  // connection string's reference (`Password=${DB_PASSWORD};`) is not a value.
  const references = new Set(
    connectionPasswords(text)
      .filter((c) => c.reference)
      .map((c) => c.start),
  );
  const overlapsKnown = (start: number, end: number) => {
    const i = firstSpanEndingAfter(known, start);
    return references.has(start) || (i < known.length && known[i]!.start < end);
  };
  for (const re of [ASSIGNMENT, FLAG_THEN_VALUE]) {
    let covered = -1;
    for (const m of text.matchAll(re)) {
      if (m.index < covered) continue; // inside a value already found: dedupe would drop it anyway
      const name = m[1]!;
      if (!isSecretLikeName(name)) continue;
      const before = text[m.index - 1];
      const enclosing = before === '"' || before === "'" ? before : undefined;
      const value = readValue(lines, m.index + m[0].length, enclosing);
      if (!value || (re === FLAG_THEN_VALUE && value.text.startsWith('-'))) continue;
      if (secretValueKind(value.text) === undefined || overlapsKnown(value.start, value.end)) continue;
      spans.push({ start: value.start, end: value.end, kind: `value of ${name}`, name });
      covered = value.end;
    }
  }
  return dedupe(spans);
}

/**
 * A literal every match of a known format contains (KNOWN_FORMATS, URL_USERINFO, CONNECTION_PASSWORD). Text without
 * any of them holds no known secret, so the dozen scans are skipped: most strings of a spec are short words and paths,
 * and those scans were a fifth of reading a spec in history commands.
 */
const MAY_HOLD_KNOWN =
  /-----BEGIN|A(?:KIA|SIA|BIA|CCA)|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|oas)-|xox[abprs]-|AIza|[sr]k_live_|npm_|eyJ|:\/\/|p(?:assword|wd)/i;

/** Known secret formats only: the text says it is a secret wherever it appears. Sorted, non-overlapping. */
export function findKnownSecrets(text: string): SecretSpan[] {
  if (!MAY_HOLD_KNOWN.test(text)) return [];
  return scanKnownSecrets(text);
}

/** findKnownSecrets without its shortcut (exported for the test that proves the shortcut changes nothing). */
export function scanKnownSecrets(text: string): SecretSpan[] {
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
  for (const c of connectionPasswords(text)) {
    if (!c.reference) spans.push({ start: c.start, end: c.end, kind: 'password in a connection string' });
  }
  return dedupe(spans);
}

/** Passwords of connection strings; `reference` when the value points at a secret (`Password=${DB_PASSWORD};`). */
function connectionPasswords(text: string): { start: number; end: number; reference: boolean }[] {
  const out: { start: number; end: number; reference: boolean }[] = [];
  for (const m of text.matchAll(CONNECTION_PASSWORD)) {
    const [start, end] = m.indices![1]!;
    const password = m[1]!;
    if (password === '') continue;
    let i = m.index - 1;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
    if (text[i] !== ';' && m[2] !== ';') continue;
    out.push({ start, end, reference: isReference(password) });
  }
  return out;
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

/** Line boundaries of a text, found once (O(n)) and looked up by binary search; per-line facts computed once. */
class LineIndex {
  private breaks?: number[];
  private readonly flowStarts = new Map<number, number>();
  constructor(readonly text: string) {}

  /** Offset of the `\n` ending the line that holds `at` (or the text length). */
  end(at: number): number {
    const breaks = this.lineBreaks();
    const i = firstAtOrAfter(breaks, at);
    return i < breaks.length ? breaks[i]! : this.text.length;
  }

  start(at: number): number {
    const breaks = this.lineBreaks();
    const i = firstAtOrAfter(breaks, at) - 1;
    return i >= 0 ? breaks[i]! + 1 : 0;
  }

  /** Whether a flow collection (`[` or `{`) opens on this line before `at`. */
  inFlow(at: number): boolean {
    const lineStart = this.start(at);
    let first = this.flowStarts.get(lineStart);
    if (first === undefined) {
      first = Number.POSITIVE_INFINITY;
      for (let i = lineStart, end = this.end(at); i < end; i++) {
        const ch = this.text[i];
        if (ch === '[' || ch === '{') {
          first = i;
          break;
        }
      }
      this.flowStarts.set(lineStart, first);
    }
    return first < at;
  }

  private lineBreaks(): number[] {
    if (!this.breaks) {
      this.breaks = [];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.breaks.push(i);
    }
    return this.breaks;
  }
}

/** Index of the first of the sorted, non-overlapping spans that ends after `offset`. */
function firstSpanEndingAfter(spans: readonly SecretSpan[], offset: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid]!.end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element >= value in a sorted array (its length when none). */
function firstAtOrAfter(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The scalar value starting at `at`: a quoted string (its inside) or a plain word run up to a comment / line end.
 * Inside a quoted word (`"--token=abc"`), `enclosing` is that quote and the value ends before it. At most
 * VALUE_WINDOW characters are read: `text` is what was read (for classification); a value that does not end within
 * the window reaches to the end of its line.
 */
function readValue(
  lines: LineIndex,
  at: number,
  enclosing?: string,
): { text: string; start: number; end: number } | undefined {
  const text = lines.text;
  const lineEnd = lines.end(at);
  const limit = Math.min(lineEnd, at + VALUE_WINDOW);
  if (enclosing !== undefined) {
    let close = at;
    while (close < limit && text[close] !== enclosing) close++;
    const end = close < limit || limit === lineEnd ? close : lineEnd;
    return end > at ? { text: text.slice(at, Math.min(end, limit)), start: at, end } : undefined;
  }
  const quoteChar = text[at];
  if (quoteChar === '"' || quoteChar === "'") {
    const stop = Math.min(lineEnd, at + 1 + VALUE_WINDOW);
    let i = at + 1;
    while (i < stop) {
      if (quoteChar === '"' && text[i] === '\\') i += 2;
      else if (quoteChar === "'" && text[i] === "'" && text[i + 1] === "'") i += 2;
      else if (text[i] === quoteChar) break;
      else i++;
    }
    const closed = i < stop && text[i] === quoteChar;
    const end = closed ? i : lineEnd;
    return { text: text.slice(at + 1, Math.min(i, stop)), start: at + 1, end };
  }
  // Nested collections, block scalars, comments, anchors and aliases are not a one-line value.
  if (quoteChar === undefined || /[\s|>#{[&*]/.test(quoteChar)) return undefined;
  let end = lineEnd;
  const window = text.slice(at, limit);
  const comment = window.search(/\s#/);
  if (comment !== -1) end = at + comment;
  // Inside a flow collection (`{ A: x, B: y }`, `[--token, x]`) the value ends at the next indicator.
  if (lines.inFlow(at)) {
    const indicator = window.slice(0, end - at).search(/[,\]}]/);
    if (indicator !== -1) end = at + indicator;
  }
  const floor = Math.max(at, end - VALUE_WINDOW);
  while (end > floor && /\s/.test(text[end - 1]!)) end--;
  return end > at ? { text: text.slice(at, Math.min(end, limit)), start: at, end } : undefined;
}

/** Replace every detected span with `****`. */
export function redactSecrets(text: string): string {
  return maskSpans(text, findSecretSpans(text));
}

/**
 * Replace known secret formats only (tokens, keys, passwords in URLs and connection strings) with `****`. For prose
 * that pipewright writes itself (diagnostic messages): "…a plaintext GitHub token: store it in the secret store…"
 * reads like an assignment to `token`, and masking it would hide the advice, not a secret.
 */
export function redactKnownSecrets(text: string): string {
  return maskSpans(text, findKnownSecrets(text));
}

/**
 * A value whose key says it is secret (`db_password: Hunter2Prod`) is masked whole when it looks like a value
 * (secretValueKind), anything else in it as `redactSecrets` finds it. The key is evidence the value alone lacks.
 */
export function redactNamedValue(name: string | undefined, value: string): string {
  if (name !== undefined && isSecretLikeName(name) && secretValueKind(value) !== undefined) return '****';
  return redactSecrets(value);
}

function maskSpans(text: string, spans: readonly SecretSpan[]): string {
  let out = '';
  let at = 0;
  for (const s of spans) {
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
  'SECONDS',
  'MINUTES',
  'HOURS',
  'DAYS',
  'MS',
  'MAX',
  'MIN',
  'LIMIT',
]);

/** Endings that make one run-together word secret-like (PGPASSWORD, DBPASSWORD in `--dbpassword`, GHTOKEN). */
const SECRET_SUFFIXES = ['PASSWORD', 'PASSWD', 'PASSPHRASE', 'SECRET', 'TOKEN', 'APIKEY'];

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
  return ws.some(
    (w, i) =>
      SECRET_WORDS.has(w) ||
      (w === 'KEY' && i > 0 && KEY_QUALIFIERS.has(ws[i - 1]!)) ||
      SECRET_SUFFIXES.some((suffix) => w.length > suffix.length && w.endsWith(suffix)),
  );
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

const TRIVIAL = /^(?:true|false|yes|no|on|off|null|none|~)$/i;
/** A short number (a port, a count, a flag) is not a secret; a long one given to a secret name is (a PIN, `12345678`). */
const SHORT_NUMBER = /^-?[0-9]{1,5}(?:\.[0-9]+)?$/;

/**
 * How a value given to a secret-like name looks: 'high-entropy value' (random-looking, e.g. a token),
 * 'literal value' (a plain password), or undefined when it is not a secret (empty, a template or variable reference, a
 * path or store reference, a boolean, a number of up to 5 digits, a URL without credentials, a placeholder, shorter than 4 characters).
 */
export function secretValueKind(value: string): 'high-entropy value' | 'literal value' | undefined {
  const v = value.trim();
  if (v.length < 4 || TRIVIAL.test(v) || SHORT_NUMBER.test(v) || isReference(v)) return undefined;
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
