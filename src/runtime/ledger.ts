/**
 * The audit ledger: an append-only JSON-lines file where every record carries the SHA-256 of its predecessor (`prev`)
 * and of itself (`hash`, over the canonical JSON of the record without `hash`). Editing, deleting, inserting or
 * reordering records breaks the chain at the first touched record; a head file (`<ledger>.head`, the last seq + hash)
 * makes the removal of trailing records visible too.
 *
 * Appends take an exclusive lock file (O_EXCL, stale locks of dead processes are broken), write the line with one
 * write(2) on an O_APPEND descriptor and fsync it before returning, so concurrent writers never interleave and an
 * append that returned survives a crash.
 */

import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { canonicalJson, sha256Hex } from '../model/hash.js';
import { LinkRefused, linkMessage } from '../spec/no-follow.js';
import { writeFileAtomic } from './atomic-file.js';
import { acquireLock, LockHeldError } from './lock-file.js';
import { makeStateDir } from './state-dir.js';

/** The ledger cannot be appended to (incomplete last record, lock held too long): the user's to look at. */
export class LedgerError extends Error {
  override name = 'LedgerError';
}

export type LedgerAction = 'run.start' | 'run.finish' | 'run.skip' | 'task.attempt' | (string & {});

/** What a caller supplies; the ledger adds seq, time, actor (unless given), commit, prev and hash. */
export interface LedgerEntry {
  action: LedgerAction;
  pipeline: string;
  version: string;
  specHash: string;
  result: string;
  /** Defaults to PIPEWRIGHT_ACTOR or `<user>@<host>`. */
  actor?: string;
  /** Defaults to `git rev-parse HEAD` in `cwd`, null outside a repository. */
  commit?: string | null;
  /** Action details: run id, task, attempt, logical date, exit code … (never secret values). */
  details?: Record<string, string | number | boolean | null>;
}

export interface LedgerRecord {
  seq: number;
  time: string;
  actor: string;
  action: string;
  pipeline: string;
  version: string;
  specHash: string;
  commit: string | null;
  result: string;
  details: Record<string, string | number | boolean | null>;
  prev: string | null;
  hash: string;
}

export interface LedgerOptions {
  /** Directory for `git rev-parse HEAD` and the default actor's environment. */
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Injected clock (tests). */
  now?: () => Date;
  /** How long to wait for the lock before giving up (ms). */
  lockTimeoutMs?: number;
}

export function hashRecord(record: Omit<LedgerRecord, 'hash'>): string {
  return sha256Hex(canonicalJson(record));
}

export function headFileOf(ledgerFile: string): string {
  return `${ledgerFile}.head`;
}

/** `git rev-parse HEAD` in `cwd`, or null when it is not a repository (or has no commit yet). */
export function gitCommit(cwd: string): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

export function defaultActor(env: Record<string, string | undefined>): string {
  if (env.PIPEWRIGHT_ACTOR) return env.PIPEWRIGHT_ACTOR;
  let user = env.USER ?? env.LOGNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${hostname()}`;
}

/** The last complete line of the file, read from its tail; throws when the file does not end with a newline. */
function lastRecord(file: string): LedgerRecord | undefined {
  if (!existsSync(file)) return undefined;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined;
    let chunk = 4096;
    for (;;) {
      const length = Math.min(chunk, size);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      if (buffer[length - 1] !== 0x0a) {
        throw new LedgerError(
          `ledger ${file} ends with an incomplete record; run \`pipewright audit verify\` before appending`,
        );
      }
      const start = buffer.lastIndexOf(0x0a, length - 2);
      if (start !== -1 || length === size) {
        const line = buffer.subarray(start + 1, length - 1).toString('utf8');
        try {
          return JSON.parse(line) as LedgerRecord;
        } catch {
          throw new LedgerError(`ledger ${file}: the last record is not JSON; run \`pipewright audit verify\``);
        }
      }
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** Appends one record (under the lock, fsynced) and returns it. */
export function appendLedger(file: string, entry: LedgerEntry, options: LedgerOptions = {}): LedgerRecord {
  return appendLedgerBatch(file, [entry], options)[0]!;
}

/**
 * Appends several records at once: one lock, one write, one fsync (an apply of 5,000 objects made 5,000 of each,
 * 18 ms a record here). Each entry may say when it happened (`at`, default now); the chain is the same as with one
 * appendLedger per entry.
 */
export function appendLedgerBatch(
  file: string,
  entries: readonly (LedgerEntry & { at?: Date })[],
  options: LedgerOptions = {},
): LedgerRecord[] {
  if (entries.length === 0) return [];
  makeStateDir(dirname(file));
  // O_APPEND follows a link: a ledger file that is one (committed, say) would get records appended elsewhere
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) throw new LinkRefused(linkMessage(file));
  const env = options.env ?? process.env;
  let head: string | null | undefined;
  const commitOf = (entry: LedgerEntry) => {
    if (entry.commit !== undefined) return entry.commit;
    if (head === undefined) head = gitCommit(options.cwd ?? process.cwd());
    return head;
  };
  let actor: string | undefined;
  // once per batch: the default actor asks the OS (hostname, and userInfo without USER/LOGNAME), per record it was
  // about a fifth of the ledger's CPU time in a profiled apply of 1,000 objects
  const actorOf = (entry: LedgerEntry) => {
    if (entry.actor !== undefined) return entry.actor;
    actor ??= defaultActor(env);
    return actor;
  };
  let release: () => void;
  try {
    release = acquireLock(file, options.lockTimeoutMs ?? 10_000);
  } catch (error) {
    if (error instanceof LockHeldError) {
      throw new LedgerError(
        `ledger ${file} is locked by process ${error.owner} (waited ${options.lockTimeoutMs ?? 10_000} ms)`,
      );
    }
    throw error;
  }
  try {
    let last = lastRecord(file);
    const records: LedgerRecord[] = [];
    for (const entry of entries) {
      const body: Omit<LedgerRecord, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        time: (entry.at ?? (options.now ?? (() => new Date()))()).toISOString(),
        actor: actorOf(entry),
        action: entry.action,
        pipeline: entry.pipeline,
        version: entry.version,
        specHash: entry.specHash,
        commit: commitOf(entry),
        result: entry.result,
        details: entry.details ?? {},
        prev: last?.hash ?? null,
      };
      last = { ...body, hash: hashRecord(body) };
      records.push(last);
    }
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    writeHead(file, last!);
    return records;
  } finally {
    release();
  }
}

function writeHead(file: string, record: LedgerRecord): void {
  writeFileAtomic(headFileOf(file), `${JSON.stringify({ seq: record.seq, hash: record.hash })}\n`);
}

/** What `--expect-head` found: the record carrying the anchored hash, if any. */
export interface AnchorResult {
  hash: string;
  found: boolean;
  /** seq of the record with that hash (when found). */
  seq?: number;
  /** Records appended after it (when found). */
  after?: number;
}

export type LedgerVerdict =
  | { ok: true; records: number; head: string | null; anchor?: AnchorResult }
  | { ok: false; records: number; line: number; seq?: number; reason: string; anchor?: AnchorResult };

const RECORD_KEYS = [
  'action',
  'actor',
  'commit',
  'details',
  'hash',
  'pipeline',
  'prev',
  'result',
  'seq',
  'specHash',
  'time',
  'version',
];

/**
 * Checks the whole chain (pure: text in, verdict out). `head` is the content of the head file, if any.
 * Reports the first bad record by line number and what is wrong with it. `expectHead`: a record hash the caller kept
 * outside the ledger's directory; the chain must contain it (records appended after it are fine), else the ledger
 * was truncated below it or rewritten up to it — which the chain and head file alone cannot show when both were
 * rewritten together.
 */
export function verifyLedgerText(text: string, head?: string, expectHead?: string): LedgerVerdict {
  const verdict = verifyChain(text, head);
  if (expectHead === undefined) return verdict;
  const seq = verdict.ok || verdict.records > 0 ? seqOfHash(text, expectHead, verdict.records) : undefined;
  const anchor: AnchorResult =
    seq === undefined
      ? { hash: expectHead, found: false }
      : { hash: expectHead, found: true, seq, after: verdict.records - seq };
  if (!verdict.ok) return { ...verdict, anchor };
  if (!anchor.found)
    return {
      ok: false,
      records: verdict.records,
      line: verdict.records + 1,
      reason: `the expected head ${expectHead} is not in the ledger: records up to it were deleted (the ledger was truncated) or rewritten`,
      anchor,
    };
  return { ...verdict, anchor };
}

/** seq of the record (among the first `verified` lines) whose hash is `hash`. */
function seqOfHash(text: string, hash: string, verified: number): number | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < Math.min(verified, lines.length); i++) {
    try {
      if ((JSON.parse(lines[i]!) as LedgerRecord).hash === hash) return i + 1;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function verifyChain(text: string, head?: string): LedgerVerdict {
  if (text === '') {
    if (head !== undefined && head.trim() !== '') {
      return {
        ok: false,
        records: 0,
        line: 1,
        reason: 'the ledger is missing or empty but its head file names a last record (records were deleted)',
      };
    }
    return { ok: true, records: 0, head: null };
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  let prev: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const fail = (reason: string, seq?: number): LedgerVerdict => ({
      ok: false,
      records: i,
      line,
      ...(seq !== undefined ? { seq } : {}),
      reason,
    });
    if (i === lines.length - 1 && !complete) return fail('the last record is truncated (no final newline)');
    let record: LedgerRecord;
    try {
      record = JSON.parse(lines[i]!) as LedgerRecord;
    } catch {
      return fail('not valid JSON');
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return fail('not a JSON object');
    const keys = Object.keys(record).sort();
    if (keys.join(',') !== RECORD_KEYS.join(',')) return fail(`unexpected fields (${keys.join(', ')})`);
    const seq = typeof record.seq === 'number' ? record.seq : undefined;
    if (record.seq !== line)
      return fail(
        `sequence number is ${JSON.stringify(record.seq)}, expected ${line} (a record was deleted, inserted or moved)`,
        seq,
      );
    if (record.prev !== prev)
      return fail(`prev does not match the hash of record ${line - 1} (a record was deleted, inserted or moved)`, seq);
    const { hash, ...body } = record;
    if (hash !== hashRecord(body)) return fail('hash does not match its content (the record was edited)', seq);
    prev = record.hash;
  }
  if (head !== undefined) {
    let parsed: { seq?: unknown; hash?: unknown };
    try {
      parsed = JSON.parse(head) as { seq?: unknown; hash?: unknown };
    } catch {
      return { ok: false, records: lines.length, line: lines.length, reason: 'the head file is not valid JSON' };
    }
    if (parsed.seq !== lines.length || parsed.hash !== prev) {
      const line = typeof parsed.seq === 'number' && parsed.seq > lines.length ? lines.length + 1 : lines.length;
      return {
        ok: false,
        records: lines.length,
        line,
        reason:
          typeof parsed.seq === 'number' && parsed.seq > lines.length
            ? `the head file names record ${parsed.seq} but the ledger ends at record ${lines.length} (trailing records were deleted)`
            : `the last record does not match the head file (seq ${JSON.stringify(parsed.seq)}); the ledger was rewritten or extended outside pipewright`,
      };
    }
  }
  return { ok: true, records: lines.length, head: prev };
}

/**
 * verifyLedgerText on the file and its head file. A ledger file that does not exist while its head file does is a
 * finding (records were deleted); when neither exists there is nothing to verify: `missing` (an error of use for
 * callers, never an empty, intact ledger).
 */
export function verifyLedger(file: string, expectHead?: string): LedgerVerdict | { missing: true } {
  const headFile = headFileOf(file);
  const head = existsSync(headFile) ? readFileSync(headFile, 'utf8') : undefined;
  if (!existsSync(file) && head === undefined) return { missing: true };
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return verifyLedgerText(text, head, expectHead);
}

/** All complete records (no verification: use verifyLedger for that). */
export function readLedger(file: string): LedgerRecord[] {
  if (!existsSync(file)) return [];
  const out: LedgerRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as LedgerRecord);
    } catch {
      // Unreadable lines are verify's business; the log shows what can be read.
    }
  }
  return out;
}
