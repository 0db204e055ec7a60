import type { PipelineIR } from '../model/ir.js';
import type { BlobCache } from './blob-cache.js';
import type { BlobReader, BlobTooLarge } from './blob-reader.js';
import type { Bump, Change, PipelineDiff, PolicyVerdict } from './change.js';
import { checkPolicy, requiredBump } from './classify.js';
import { byText, diffPipelines } from './diff.js';
import { HistoryError } from './errors.js';
import type { GitRepo, LogCommit } from './git.js';
import { readSpecs } from './read-specs.js';
import { type Release, releasesOf } from './releases.js';
import { blobSource, isSpecUnder } from './sources.js';

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

/** What a spec blob at a path parses to: its pipeline, or the first error that kept it from being one. */
interface Parsed {
  ir?: PipelineIR;
  problem?: string;
}

/** Entries of the persistent blob cache (src/history/blob-cache.ts) holding a Parsed. */
const CACHE_KIND = 'changelog-v1';

/** The shape of a Parsed read back from the cache (sealed by this machine, but checked before use all the same). */
function isParsed(value: unknown): value is Parsed {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { ir?: { name?: unknown; specHash?: unknown; tasks?: unknown }; problem?: unknown };
  if (v.problem !== undefined && typeof v.problem !== 'string') return false;
  if (v.ir === undefined) return v.problem !== undefined;
  return typeof v.ir.name === 'string' && typeof v.ir.specHash === 'string' && Array.isArray(v.ir.tasks);
}

interface FileState {
  blob: string;
  ir: PipelineIR | undefined;
}

/**
 * The audit changelog: walk the first-parent chain from `from` (exclusive; the root when undefined) to `to`, reading
 * only commits that touch the pipelines directory and, for each, only the spec blobs that changed (one cat-file
 * process for the whole walk, each distinct blob parsed once, and with `cache` once per machine: the parsed spec is
 * kept in the persistent blob cache, src/history/blob-cache.ts). Each commit's pipelines are diffed against its first
 * parent's with the same semantic diff as `pipewright diff`.
 */
export async function buildChangelog(
  repo: GitRepo,
  reader: BlobReader,
  options: { from: string | undefined; to: string; dir: string; pipeline?: string; cache?: BlobCache },
): Promise<Changelog> {
  const { from, to, dir } = options;
  if (from !== undefined && !(await repo.isAncestor(from, to))) {
    throw new HistoryError(`--from ${from.slice(0, 12)} is not an ancestor of --to ${to.slice(0, 12)} on its history`);
  }
  const commits = await repo.firstParentLog(from, to, dir);
  const initial = from === undefined ? [] : (await repo.listFiles(from, dir)).filter((x) => isSpecUnder(x.path, dir));
  // Keyed by blob AND path: the IR records its file, so a moved file must not reuse the IR parsed at the old path.
  const keyOf = (blob: string, path: string) => `${blob}\0${path}`;
  const wanted = new Map<string, { blob: string; path: string }>();
  for (const f of initial) wanted.set(keyOf(f.blob, f.path), f);
  for (const c of commits)
    for (const x of c.changes)
      if (x.blob !== undefined && isSpecUnder(x.path, dir))
        wanted.set(keyOf(x.blob, x.path), { blob: x.blob, path: x.path });
  // Each distinct (blob, path) is parsed once per run, and once per machine with the persistent cache.
  const cache = new Map<string, Parsed>();
  if (options.cache) {
    const keys = [...wanted.values()];
    const stored = options.cache.getMany<Parsed>(CACHE_KIND, keys);
    keys.forEach((k, i) => {
      const hit = stored[i];
      if (hit !== undefined && isParsed(hit)) cache.set(keyOf(k.blob, k.path), hit);
    });
  }
  // Blob reads are requested ahead (bounded window) so cat-file works while specs are parsed; cached ones not at all.
  const read = prefetch(
    reader,
    [...wanted].filter(([key]) => !cache.has(key)).map(([, f]) => f.blob),
  );
  const warnings: ChangelogWarning[] = [];
  const parse = async (path: string, blob: string, commit: string) => {
    const key = keyOf(blob, path);
    let hit = cache.get(key);
    if (!hit) {
      const content = await read(blob);
      const side = readSpecs([blobSource(path, `${commit.slice(0, 12)}:${path}`, content)]);
      const error = side.diagnostics.find((d) => d.severity === 'error');
      const ir = side.pipelines.values().next().value;
      hit = {
        ...(ir !== undefined ? { ir } : {}),
        ...(error
          ? { problem: `${error.range.start.line}:${error.range.start.column}: ${error.message} [${error.code}]` }
          : {}),
      };
      cache.set(key, hit);
      options.cache?.set(CACHE_KIND, blob, path, hit);
    }
    if (hit.problem)
      warnings.push({
        commit,
        file: path,
        message: `not a valid spec at this commit, previous state kept: ${hit.problem}`,
      });
    return hit.ir;
  };

  const state = new Map<string, FileState>();
  if (from !== undefined) {
    for (const f of initial) {
      state.set(f.path, { blob: f.blob, ir: await parse(f.path, f.blob, from) });
    }
  }
  const entries = new Map<string, ChangelogEntry[]>();
  const reportedDuplicates = new Set<string>();
  let before = byName(state, () => undefined);
  for (const commit of commits) {
    for (const change of commit.changes) {
      if (!isSpecUnder(change.path, dir)) continue;
      if (change.blob === undefined) {
        state.delete(change.path);
        continue;
      }
      const ir = await parse(change.path, change.blob, commit.sha);
      // An unreadable spec keeps its last good state rather than looking like a removal followed by a re-add.
      state.set(change.path, { blob: change.blob, ir: ir ?? state.get(change.path)?.ir });
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
    for (const diff of diffPipelines(before, after)) {
      if (options.pipeline !== undefined && diff.name !== options.pipeline) continue;
      const list = entries.get(diff.name) ?? [];
      list.push(entryOf(diff, commit));
      entries.set(diff.name, list);
    }
    before = after;
  }
  await options.cache?.flush();
  return {
    from: from ?? null,
    to,
    pipelines: [...entries.keys()]
      .sort(byText)
      .map((name) => ({ name, entries: entries.get(name)!, releases: releasesOf(entries.get(name)!) })),
    warnings,
  };
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
): Map<string, PipelineIR> {
  const out = new Map<string, PipelineIR>();
  for (const path of [...state.keys()].sort(byText)) {
    const ir = state.get(path)!.ir;
    if (!ir) continue;
    if (out.has(ir.name)) duplicate(ir.name, path);
    else out.set(ir.name, ir);
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
