import { availableParallelism } from 'node:os';
import { SPEC_WORKER_LIMITS, WorkerPool, workersAvailable } from '../emit/pool.js';
import type { BlobCache } from './blob-cache.js';
import type { BlobReader, BlobTooLarge } from './blob-reader.js';
import type { Bump, Change, PipelineDiff, PolicyVerdict } from './change.js';
import { checkPolicy, requiredBump } from './classify.js';
import { byText, diffHeads, diffPipeline, type HistoryPipeline, needsFieldDiff, type PipelineHead } from './diff.js';
import { HistoryError } from './errors.js';
import type { GitRepo, LogCommit } from './git.js';
import { type Release, releasesOf } from './releases.js';
import { blobSource, isSpecUnder, type SpecSource } from './sources.js';
import type { PackedSpec, ParsedSpec } from './spec-blob.js';

export interface ChangelogEntry {
  /** The version this commit released, or the (unchanged) version for unreleased/moved entries, the last one for removed. */
  version: string;
  /** added: first appearance; released: version changed; unreleased: spec changed, version did not; moved: file only; removed. */
  status: 'added' | 'released' | 'unreleased' | 'moved' | 'removed';
  commit: string;
  date: string;
  author: string;
  email: string;
  subject: string;
  file: string;
  previousFile?: string;
  changes: Change[];
  requiredBump: Bump;
  policy: PolicyVerdict;
  /** Needs an auditor's attention: changed without a version bump, or a bump smaller than required / backwards. */
  flagged: boolean;
  flagReason?: string;
}

export interface ChangelogWarning {
  commit: string;
  file: string;
  message: string;
}

export interface Changelog {
  from: string | null;
  to: string;
  /** Per pipeline: the audit trail (one entry per commit, oldest first) and the same as release notes (newest first). */
  pipelines: { name: string; entries: ChangelogEntry[]; releases: Release[] }[];
  /** Spec files that could not be read at some commit (their previous state is carried forward). */
  warnings: ChangelogWarning[];
}

/** A spec blob at a path as the walk needs it: its pipeline's head, or the first error that kept it from being one. */
interface Parsed {
  head?: PipelineHead;
  problem?: string;
}

/**
 * Entries of the persistent blob cache (src/history/blob-cache.ts): per (blob, path) the head of its pipeline (what
 * pairing by name and skipping unchanged pipelines need), and per pair of (blob, path) the field-level changes between
 * the two. A second run reads only these small entries: no spec is parsed and no IR is read or compared.
 */
const HEAD_KIND = 'changelog-head-v1';
const PAIR_KIND = 'changelog-pair-v1';

/** The shape of a Parsed read back from the cache (sealed by this machine, but checked before use all the same). */
function isParsed(value: unknown): value is Parsed {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { head?: Record<string, unknown>; problem?: unknown };
  if (v.problem !== undefined && typeof v.problem !== 'string') return false;
  if (v.head === undefined) return v.problem !== undefined;
  return (
    v.head !== null &&
    typeof v.head === 'object' &&
    ['name', 'version', 'specHash', 'file'].every((k) => typeof v.head![k] === 'string')
  );
}

/** The shape of a cached change list. */
function isChanges(value: unknown): value is Change[] {
  return (
    Array.isArray(value) &&
    value.every(
      (c) =>
        c !== null &&
        typeof c === 'object' &&
        typeof c.path === 'string' &&
        typeof c.kind === 'string' &&
        typeof c.severity === 'string' &&
        typeof c.rule === 'string',
    )
  );
}

/** A spec file at a path and blob. */
interface SpecBlob {
  blob: string;
  path: string;
}

/** A pipeline in the walk's state: its head and the blob it was read from (whose IR a field-level diff needs). */
interface Version extends PipelineHead {
  at: SpecBlob;
}

interface FileState {
  blob: string;
  version: Version | undefined;
}

// Keyed by blob AND path: the IR records its file, so a moved file must not reuse the IR parsed at the old path.
const keyOf = (x: SpecBlob) => `${x.blob}\0${x.path}`;
/** A pair's cache key, in BlobCache's (blob, path) form (git paths never hold NUL). */
const pairOf = (b: SpecBlob, h: SpecBlob): SpecBlob => ({ blob: `${b.blob} ${h.blob}`, path: `${b.path}\0${h.path}` });

/**
 * The audit changelog: walk the first-parent chain from `from` (exclusive; the root when undefined) to `to`, reading
 * only commits that touch the pipelines directory and, for each, only the spec blobs that changed (one cat-file
 * process for the whole walk, each distinct blob parsed once). Each commit's pipelines are diffed against its first
 * parent's with the same semantic diff as `pipewright diff`. With `cache`, what a blob parses to (its pipeline's head)
 * and the changes between two blobs are kept in the persistent blob cache (src/history/blob-cache.ts), so a later run
 * parses only blobs it has not seen and diffs only pairs it has not seen.
 */
export async function buildChangelog(
  repo: GitRepo,
  reader: BlobReader,
  options: {
    from: string | undefined;
    to: string;
    dir: string;
    pipeline?: string;
    cache?: BlobCache;
    /** Threads for parsing spec blobs (default 'auto'). */
    jobs?: number | 'auto';
  },
): Promise<Changelog> {
  const { from, to, dir } = options;
  if (from !== undefined && !(await repo.isAncestor(from, to))) {
    throw new HistoryError(`--from ${from.slice(0, 12)} is not an ancestor of --to ${to.slice(0, 12)} on its history`);
  }
  const commits = await repo.firstParentLog(from, to, dir);
  const initial = from === undefined ? [] : (await repo.listFiles(from, dir)).filter((x) => isSpecUnder(x.path, dir));
  // every distinct (blob, path), with the first commit it appears in (named in parse messages)
  const wanted = new Map<string, SpecBlob & { commit: string }>();
  for (const f of initial) if (!wanted.has(keyOf(f))) wanted.set(keyOf(f), { ...f, commit: from! });
  for (const c of commits)
    for (const x of c.changes)
      if (x.blob !== undefined && isSpecUnder(x.path, dir) && !wanted.has(keyOf({ blob: x.blob, path: x.path })))
        wanted.set(keyOf({ blob: x.blob, path: x.path }), { blob: x.blob, path: x.path, commit: c.sha });

  // Heads: from the cache, else parsed (each distinct (blob, path) once); parsed IRs stay for the field-level diffs.
  const heads = new Map<string, Parsed>();
  if (options.cache) {
    const keys = [...wanted.values()];
    const stored = options.cache.getMany<Parsed>(HEAD_KIND, keys);
    keys.forEach((k, i) => {
      const hit = stored[i];
      if (hit !== undefined && isParsed(hit)) heads.set(keyOf(k), hit);
    });
  }
  const jobs = options.jobs ?? 'auto';
  // Parsing runs (on worker threads) while the walk below takes each head in commit order as soon as it is parsed,
  // and diffs a pair as soon as both of its IRs are here: the main thread does not wait for the last parse first.
  const parsing = parseSpecBlobs(
    reader,
    [...wanted].filter(([key]) => !heads.has(key)).map(([, f]) => f),
    jobs,
  );
  const irs = new Map<string, ParsedSpec>();
  /** The head at key: cached, or parsed now (kept in `heads`, the IR in `irs`, the head written to the cache). */
  const headAt = async (key: string): Promise<Parsed> => {
    const known = heads.get(key);
    if (known !== undefined) return known;
    const parsed = await parsing.parsed.get(key)!;
    const { ir, problem } = parsed;
    const head: Parsed = {
      ...(ir !== undefined
        ? { head: { name: ir.name, version: ir.version, specHash: ir.specHash, file: ir.file } }
        : {}),
      ...(problem !== undefined ? { problem } : {}),
    };
    heads.set(key, head);
    irs.set(key, parsed);
    const f = wanted.get(key)!;
    options.cache?.set(HEAD_KIND, f.blob, f.path, head);
    return head;
  };
  /** The field-level changes of a pair from its two parsed IRs (kept in the pair and written to the cache). */
  const diffPair = (p: { b: Version; h: Version; changes?: Change[] }): void => {
    const b = irs.get(keyOf(p.b.at))?.ir;
    const h = irs.get(keyOf(p.h.at))?.ir;
    // the cached head and the parse agree unless the cache lied (it is sealed): never compare the wrong pipeline
    if (!b || !h || b.specHash !== p.b.specHash || h.specHash !== p.h.specHash)
      throw new Error(`internal: the spec ${p.b.at.path} or ${p.h.at.path} parsed differently than its cached head`);
    p.changes = diffPipeline(b, h);
    const at = pairOf(p.b.at, p.h.at);
    options.cache?.set(PAIR_KIND, at.blob, at.path, p.changes);
  };

  try {
    const warnings: ChangelogWarning[] = [];
    const versionAt = async (path: string, blob: string, commit: string): Promise<Version | undefined> => {
      const at = { blob, path };
      const parsed = await headAt(keyOf(at));
      if (parsed.problem)
        warnings.push({
          commit,
          file: path,
          message: `not a valid spec at this commit, previous state kept: ${parsed.problem}`,
        });
      return parsed.head ? { ...parsed.head, at } : undefined;
    };

    // The walk: each commit's pipelines by name (only heads needed), and the pairs whose field-level changes are needed.
    const state = new Map<string, FileState>();
    if (from !== undefined) {
      for (const f of initial) state.set(f.path, { blob: f.blob, version: await versionAt(f.path, f.blob, from) });
    }
    const reportedDuplicates = new Set<string>();
    const first = byName(state, () => undefined);
    const steps: { commit: LogCommit; after: Map<string, Version> }[] = [];
    const pairs = new Map<string, { b: Version; h: Version; changes?: Change[] }>();
    let before = first;
    for (const commit of commits) {
      for (const change of commit.changes) {
        if (!isSpecUnder(change.path, dir)) continue;
        if (change.blob === undefined) {
          state.delete(change.path);
          continue;
        }
        const version = await versionAt(change.path, change.blob, commit.sha);
        // An unreadable spec keeps its last good state rather than looking like a removal followed by a re-add.
        state.set(change.path, { blob: change.blob, version: version ?? state.get(change.path)?.version });
      }
      const after = byName(state, (name, path) => {
        if (reportedDuplicates.has(`${name}\0${path}`)) return;
        reportedDuplicates.add(`${name}\0${path}`);
        warnings.push({
          commit: commit.sha,
          file: path,
          message: `pipeline '${name}' is defined by more than one spec; this one is ignored`,
        });
      });
      for (const [name, h] of after) {
        const b = before.get(name);
        if (b === undefined || !needsFieldDiff(b, h)) continue;
        if (options.pipeline !== undefined && name !== options.pipeline) continue;
        const key = keyOf(pairOf(b.at, h.at));
        if (pairs.has(key)) continue;
        const pair: { b: Version; h: Version; changes?: Change[] } = { b, h };
        pairs.set(key, pair);
        // both parsed in this run (a pair of cached heads waits for the pair cache below)
        if (irs.has(keyOf(b.at)) && irs.has(keyOf(h.at))) diffPair(pair);
      }
      steps.push({ commit, after });
      before = after;
    }

    // Field-level changes of the other pairs: from the cache, else diffed from the two IRs (parsed now if the heads were
    // cached).
    const needed = [...pairs.values()].filter((p) => p.changes === undefined);
    if (options.cache) {
      const stored = options.cache.getMany<Change[]>(
        PAIR_KIND,
        needed.map((p) => pairOf(p.b.at, p.h.at)),
      );
      needed.forEach((p, i) => {
        const hit = stored[i];
        if (hit !== undefined && isChanges(hit)) p.changes = hit;
      });
    }
    const missing = needed.filter((p) => p.changes === undefined);
    const more = new Map<string, SpecBlob & { commit: string }>();
    for (const p of missing)
      for (const at of [p.b.at, p.h.at]) if (!irs.has(keyOf(at))) more.set(keyOf(at), wanted.get(keyOf(at))!);
    const reparsing = parseSpecBlobs(reader, [...more.values()], jobs);
    try {
      for (const [key, parsed] of reparsing.parsed) irs.set(key, await parsed);
    } finally {
      await reparsing.done;
    }
    for (const p of missing) diffPair(p);

    const entries = new Map<string, ChangelogEntry[]>();
    before = first;
    for (const { commit, after } of steps) {
      const diffs = diffHeads(before, after, (b, h) => {
        const changes = pairs.get(keyOf(pairOf(b.at, h.at)))?.changes;
        // only the pairs of other pipelines than --pipeline's were left out (their entries are dropped below)
        if (changes === undefined && options.pipeline === undefined) throw new Error('internal: a pair was not diffed');
        return changes ?? [];
      });
      for (const diff of diffs) {
        if (options.pipeline !== undefined && diff.name !== options.pipeline) continue;
        const list = entries.get(diff.name) ?? [];
        list.push(entryOf(diff, commit));
        entries.set(diff.name, list);
      }
      before = after;
    }
    return {
      from: from ?? null,
      to,
      pipelines: [...entries.keys()]
        .sort(byText)
        .map((name) => ({ name, entries: entries.get(name)!, releases: releasesOf(entries.get(name)!) })),
      warnings,
    };
  } finally {
    // the pool closes once every parse has ended, also when the walk failed; the cache entries written so far (each
    // written as soon as it was computed, while the workers parse) are complete before the command ends
    await parsing.done;
    await options.cache?.flush();
  }
}

/** Spec blobs to parse below which the default stays on the main thread (a worker's start costs ~50 parses). */
export const PARALLEL_MIN_BLOBS = 64;

/** The worker script of the spec parses, next to this module in the built package. */
const SPEC_BLOB_WORKER = new URL('./spec-blob-worker.js', import.meta.url);

/**
 * Read and parse spec blobs (load → validate → normalize), each once; keyed by keyOf. Blob reads are requested ahead
 * (bounded window) so cat-file works while specs are parsed — on the main thread, or on `jobs` worker threads
 * ('auto': one per available CPU once there are PARALLEL_MIN_BLOBS blobs). Results do not depend on where they ran.
 */
function parseSpecBlobs(
  reader: BlobReader,
  specs: readonly (SpecBlob & { commit: string })[],
  jobs: number | 'auto',
): { parsed: Map<string, Promise<ParsedSpec>>; done: Promise<void> } {
  const parsed = new Map<string, Promise<ParsedSpec>>();
  if (specs.length === 0) return { parsed, done: Promise.resolve() };
  const read = prefetch(
    reader,
    specs.map((f) => f.blob),
  );
  const sourceOf = async ({ blob, path, commit }: SpecBlob & { commit: string }) =>
    blobSource(path, `${commit.slice(0, 12)}:${path}`, await read(blob));
  // run from the TypeScript sources (the test runner) the worker script does not exist: everything stays here
  const threads = !workersAvailable(SPEC_BLOB_WORKER)
    ? 1
    : jobs !== 'auto'
      ? Math.min(jobs, specs.length)
      : specs.length >= PARALLEL_MIN_BLOBS
        ? Math.min(availableParallelism(), specs.length)
        : 1;
  if (threads <= 1) {
    const all = (async () => {
      // loaded only when a blob is parsed here: a second run with every entry cached needs neither yaml nor the schema
      const { parseSpecBlob } = await import('./spec-blob.js');
      const out: ParsedSpec[] = [];
      for (const spec of specs) out.push(parseSpecBlob(await sourceOf(spec)));
      return out;
    })();
    specs.forEach((spec, i) => {
      const result = all.then((out) => out[i]!);
      result.catch(() => undefined); // a failure surfaces where the result is awaited
      parsed.set(keyOf(spec), result);
    });
    return {
      parsed,
      done: all.then(
        () => undefined,
        () => undefined,
      ),
    };
  }
  // one settable promise per spec, in the callers' order; each resolves as soon as its worker replies
  const settle: { resolve: (p: ParsedSpec) => void; reject: (e: unknown) => void }[] = [];
  for (const spec of specs) {
    const result = new Promise<ParsedSpec>((resolve, reject) => settle.push({ resolve, reject }));
    result.catch(() => undefined); // a failure surfaces where the result is awaited
    parsed.set(keyOf(spec), result);
  }
  const pool = new WorkerPool<SpecSource, PackedSpec>(SPEC_BLOB_WORKER, threads, undefined, SPEC_WORKER_LIMITS);
  const done = (async () => {
    const replies: Promise<void>[] = [];
    let i = 0;
    try {
      for (; i < specs.length; i++) {
        const { resolve, reject } = settle[i]!;
        replies.push(
          pool
            .run(await sourceOf(specs[i]!))
            .then(({ irJson, problem }) => ({
              ...(irJson !== undefined ? { ir: JSON.parse(irJson) as HistoryPipeline } : {}),
              ...(problem !== undefined ? { problem } : {}),
            }))
            .then(resolve, reject),
        );
      }
    } catch (error) {
      for (; i < specs.length; i++) settle[i]!.reject(error); // a blob could not be read: it and the rest fail
    }
    await Promise.all(replies);
  })().finally(() => pool.close());
  return { parsed, done: done.catch(() => undefined) };
}

/** Reads `order` ahead through the reader, at most `window` in flight; `read(blob)` takes the prefetched reply. */
function prefetch(
  reader: BlobReader,
  order: readonly string[],
  window = 256,
): (blob: string) => Promise<Buffer | BlobTooLarge | undefined> {
  const unique = [...new Set(order)];
  const pending = new Map<string, Promise<Buffer | BlobTooLarge | undefined>>();
  let next = 0;
  const fill = () => {
    while (next < unique.length && pending.size < window) {
      const blob = unique[next++]!;
      const reply = reader.read(blob);
      reply.catch(() => undefined); // rejections surface when the reply is taken
      pending.set(blob, reply);
    }
  };
  fill();
  return (blob) => {
    const reply = pending.get(blob) ?? reader.read(blob);
    pending.delete(blob);
    fill();
    return reply;
  };
}

function byName(
  state: ReadonlyMap<string, FileState>,
  duplicate: (name: string, path: string) => void,
): Map<string, Version> {
  const out = new Map<string, Version>();
  for (const path of [...state.keys()].sort(byText)) {
    const version = state.get(path)!.version;
    if (!version) continue;
    if (out.has(version.name)) duplicate(version.name, path);
    else out.set(version.name, version);
  }
  return out;
}

function entryOf(diff: PipelineDiff, commit: LogCommit): ChangelogEntry {
  const bump = requiredBump(diff.changes);
  const verdict = checkPolicy(diff, bump);
  const { before, after } = diff.version;
  let status: ChangelogEntry['status'];
  if (diff.status !== 'modified') status = diff.status;
  else if (before !== after) status = 'released';
  else status = diff.changes.length > 0 ? 'unreleased' : 'moved';
  const flagReason =
    status === 'unreleased'
      ? `spec changed without a version bump (requires a ${bump} bump)`
      : verdict.policy === 'violation'
        ? verdict.reason
        : undefined;
  return {
    version: (after ?? before)!,
    status,
    commit: commit.sha,
    date: commit.date,
    author: commit.author,
    email: commit.email,
    subject: commit.subject,
    file: diff.file,
    ...(diff.previousFile ? { previousFile: diff.previousFile } : {}),
    changes: diff.changes,
    requiredBump: bump,
    policy: verdict.policy,
    flagged: flagReason !== undefined,
    ...(flagReason ? { flagReason } : {}),
  };
}
