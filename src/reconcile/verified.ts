/**
 * What this machine last verified about each live object (I/O): "at uid U and resourceVersion R, the object held
 * every field of the desired object whose hash is H". Written by apply from the server's answer to each of its
 * writes and by plan/apply after a full field comparison found an object up to date; read by the next plan, which
 * then needs only the objects' metadata (a metadata-only LIST): an object whose uid, resourceVersion and applied-hash
 * annotation still equal the record, and whose desired hash is still H, has not been written by anyone since it was
 * verified — every write to an object, by any client and field manager (kubectl edit, another manager's apply, a raw
 * server-side apply under pipewright's own manager name), gives it a new resourceVersion. Anything else (no record,
 * another resourceVersion, another desired hash) gets the full comparison of today: GET and field check, dry-run
 * when it differs.
 *
 * Why not the applied-hash annotation and `managedFields` owners alone: a server-side apply sent under the manager name
 * `pipewright` with the same annotation but another value leaves both exactly as our apply left them (one manager,
 * operation Apply, same field set; the entry's time has one-second resolution), so it would be missed; the record's
 * resourceVersion catches it.
 *
 * One file per cluster, namespace and inventory: `.pipewright/cache/verified-v1/<HMAC of those>.json`. Like compile's
 * cache it is authenticated with the machine-local key (src/emit/cache-key.ts): a record that was committed, copied
 * or edited fails the MAC and is ignored (every object is then compared in full), so it can only save time. Records
 * from another machine's applies do not exist here: after someone else applies, the objects they wrote are compared
 * in full once and recorded again.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheKeyFile, loadCacheKey } from '../emit/cache-key.js';
import { makeStateDir } from '../runtime/state-dir.js';
import { linkOnTheWay, readTextNoFollow } from '../spec/no-follow.js';
import type { KubeObject } from './object.js';

export const VERIFIED_DIR = '.pipewright/cache/verified-v1';

export interface Verified {
  uid: string;
  resourceVersion: string;
  /** The desired hash the object was verified against (its applied-hash annotation then). */
  hash: string;
}

function isVerified(v: unknown): v is Verified {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return typeof r.uid === 'string' && typeof r.resourceVersion === 'string' && typeof r.hash === 'string';
}

/** The record of a live object verified against `hash` (undefined when the object lacks uid or resourceVersion). */
export function verifiedOf(live: KubeObject, hash: string): Verified | undefined {
  const { uid, resourceVersion } = live.metadata;
  return typeof uid === 'string' && typeof resourceVersion === 'string' && uid && resourceVersion
    ? { uid, resourceVersion, hash }
    : undefined;
}

/** Whether `live` (its metadata suffices) is the very object state `record` verified against `hash`. */
export function stillVerified(record: Verified | undefined, live: KubeObject, hash: string): boolean {
  return (
    record !== undefined &&
    record.hash === hash &&
    record.uid === live.metadata.uid &&
    record.resourceVersion === live.metadata.resourceVersion
  );
}

export class VerifiedRecords {
  readonly #path: string;
  readonly #secret: Buffer;
  readonly #scope: string;
  readonly #records: Map<string, Verified>;
  #changed = false;

  private constructor(path: string, secret: Buffer, scope: string, records: Map<string, Verified>) {
    this.#path = path;
    this.#secret = secret;
    this.#scope = scope;
    this.#records = records;
  }

  /**
   * The records of one cluster (API server URL), namespace and inventory; undefined without a machine-local key or
   * when `.pipewright/` or `cache/` is a symbolic link. A missing, damaged or forged file means no records.
   */
  static async open(options: {
    cwd: string;
    env: Record<string, string | undefined>;
    server: string;
    namespace: string;
    inventory: string;
  }): Promise<VerifiedRecords | undefined> {
    const link = await linkOnTheWay(options.cwd, VERIFIED_DIR, '').catch(() => VERIFIED_DIR);
    if (link !== undefined) return undefined;
    const keyFile = cacheKeyFile(options.env);
    const secret = keyFile ? await loadCacheKey(keyFile) : undefined;
    if (!secret) return undefined;
    const scope = `${options.server}\0${options.namespace}\0${options.inventory}`;
    const name = `${createHmac('sha256', secret).update('verified-name\0').update(scope).digest('hex')}.json`;
    const path = join(options.cwd, VERIFIED_DIR, name);
    const records = new Map<string, Verified>();
    const text = await readTextNoFollow(path, name).catch(() => undefined);
    if (text !== undefined) {
      const nl = text.indexOf('\n');
      const payload = text.slice(nl + 1);
      const mac = Buffer.from(text.slice(0, Math.max(nl, 0)), 'hex');
      const expected = Buffer.from(macOf(secret, scope, payload), 'hex');
      if (nl === 64 && mac.length === expected.length && timingSafeEqual(mac, expected)) {
        try {
          const parsed = JSON.parse(payload) as unknown;
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
            for (const [key, value] of Object.entries(parsed)) if (isVerified(value)) records.set(key, value);
        } catch {
          records.clear();
        }
      }
    }
    return new VerifiedRecords(path, secret, scope, records);
  }

  get(key: string): Verified | undefined {
    return this.#records.get(key);
  }

  set(key: string, record: Verified | undefined): void {
    const old = this.#records.get(key);
    if (record === undefined) {
      if (old !== undefined) {
        this.#records.delete(key);
        this.#changed = true;
      }
      return;
    }
    if (old && old.uid === record.uid && old.resourceVersion === record.resourceVersion && old.hash === record.hash)
      return;
    this.#records.set(key, record);
    this.#changed = true;
  }

  /** Keep only the records of `keys` (objects no longer desired or listed are forgotten). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.#records.keys()]) if (!keys.has(key)) this.set(key, undefined);
  }

  /** Write the records when they changed (atomic; failures are ignored: a record only saves time). */
  async save(): Promise<void> {
    if (!this.#changed) return;
    const payload = JSON.stringify(Object.fromEntries([...this.#records].sort(([a], [b]) => (a < b ? -1 : 1))));
    const dir = join(this.#path, '..');
    const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      makeStateDir(dir);
      await writeFile(temp, `${macOf(this.#secret, this.#scope, payload)}\n${payload}`, { flag: 'wx' });
      await rename(temp, this.#path);
      this.#changed = false;
    } catch {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }
}

function macOf(secret: Buffer, scope: string, payload: string): string {
  return createHmac('sha256', secret).update('verified\0').update(scope).update('\0').update(payload).digest('hex');
}
