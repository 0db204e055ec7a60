import { spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { VERSION } from '../cli/main.js';
import { CONFIG_FILE } from '../config/root.js';
import type { ProjectConfig } from '../config/types.js';
import { BlobReader } from '../history/blob-reader.js';
import { HistoryError } from '../history/errors.js';
import { GitRepo } from '../history/git.js';
import { isFullSha } from '../history/revs.js';
import { type DiscoveredSpec, discoverSpecs } from '../spec/discover.js';
import { MANIFEST_PATH, type Manifest, parseManifest } from './manifest.js';

/**
 * Change scoping for the merge-request gate (`check --base <rev>`, `validate --base <rev>`): which specs and which
 * generated files differ between a base commit and the working tree (committed, staged, unstaged and untracked —
 * ignored files too, compile reads them), and whether the gate may reason from the base at all. The trust assumption:
 * the base passed a full `pipewright check` with this same pipewright build and configuration, so what did not change
 * since the base is still right. Whenever that cannot be established, the scope says why and the commands run in full.
 */

/** A changed file: its status against the base (A added/untracked, M modified, D deleted) and its blob at the base. */
export interface FileChange {
  status: 'A' | 'M' | 'D';
  /** Blob id at the base (M, D). */
  baseBlob?: string;
}

export interface ChangeScope {
  /** The base commit (full SHA). */
  base: string;
  /** Why the gate must run in full (undefined: incremental). */
  full?: string;
  /** Changed spec files by display path (relative to the project root, POSIX). */
  specs: Map<string, FileChange>;
  /** Changed files under the output directory, by path relative to it. */
  outputs: Map<string, FileChange>;
  /** The specs compile reads now (discovery over the working tree). */
  discovered: DiscoveredSpec[];
  /** The manifest committed at the base, and the blob of every file under the output directory at the base. */
  baseManifest?: Manifest;
  baseOutputs?: Map<string, string>;
  /** Reads blobs of the base (close() when done). */
  blobs: BlobReader;
}

export interface ScopeRequest {
  /** The project root (absolute): display paths are relative to it. */
  cwd: string;
  /** Spec paths as given (relative to cwd or absolute). */
  paths: readonly string[];
  /** The output directory relative to cwd (POSIX display form, e.g. `generated`). */
  out: string;
  /** The revision as the user typed it: validated and resolved before any other use. */
  base: string;
  config?: ProjectConfig;
  /**
   * The root of the pipewright package running now (default: this build's package directory). When it lies inside
   * the repository, any change below it may change pipewright itself: the gate runs in full.
   */
  pipewrightRoot?: string;
}

/** Files that pick the pipewright build a project runs (when they change, the build may differ from the base's). */
const PACKAGE_FILES = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  '.npmrc',
  '.yarnrc.yml',
]);
/**
 * Files of pipewright's own package that make up the build (its code, schema, dependencies and build settings), when
 * the package lies inside the repository (this repository, a vendored copy): docs, tests and the like do not.
 */
const BUILD_INPUT =
  /^(?:src|dist|schema|node_modules|scripts)\/|^(?:package\.json|package-lock\.json|npm-shrinkwrap\.json|tsconfig[^/]*\.json)$/;
/** Attributes under which git compares files other than byte for byte (line endings, filters). */
const CONVERTING_ATTRIBUTES = ['text', 'eol', 'crlf', 'filter', 'ident', 'working-tree-encoding'];
/** Largest base blob read (a manifest of many thousand pipelines, a 32 MiB output): far above any real one. */
const MAX_BLOB_BYTES = 512 * 1024 * 1024;
const SKIPPED_DIRS = new Set(['node_modules', 'generated']);
const SPEC_FILE = /\.ya?ml$/i;

/** This build's package directory (dist/.. or src/..). */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function under(path: string, dir: string): string | undefined {
  if (dir === '') return path;
  if (path === dir) return '';
  return path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : undefined;
}

/** Whether `display` (relative to the project root) is a spec file of the given spec paths, by discovery's rules. */
export function isSpecPath(display: string, specPaths: readonly { display: string; file: boolean }[]): boolean {
  for (const p of specPaths) {
    if (p.file) {
      if (display === p.display) return true;
      continue;
    }
    const rest = under(display, p.display === '.' ? '' : p.display);
    if (rest === undefined || rest === '') continue;
    const segments = rest.split('/');
    const dirs = segments.slice(0, -1);
    if (dirs.some((d) => d.startsWith('.') || SKIPPED_DIRS.has(d))) continue;
    if (SPEC_FILE.test(segments.at(-1)!)) return true;
  }
  return false;
}

/** git's `--raw -z` diff records: `:<mode> <mode> <blob> <blob> <status>\0<path>\0`. */
function parseRawDiff(out: string): { path: string; status: string; srcMode: string; dstMode: string; blob: string }[] {
  const tokens = out.split('\0');
  const records = [];
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const meta = tokens[i]!.replace(/^\n/, '');
    if (meta === '') break;
    if (!meta.startsWith(':')) throw new Error(`unexpected git diff record ${JSON.stringify(meta.slice(0, 80))}`);
    const [srcMode, dstMode, blob, , status] = meta.slice(1).split(' ');
    records.push({
      path: tokens[i + 1]!,
      status: (status ?? '').charAt(0),
      srcMode: srcMode!,
      dstMode: dstMode!,
      blob: blob!,
    });
  }
  return records;
}

async function gitWithInput(root: string, args: string[], input: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolvePromise(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`git ${args[0]}: ${err.trim()}`)),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/**
 * Resolve the base (a bad or unknown revision is a HistoryError: an error of use), list what changed since it, and
 * decide whether the gate can reason incrementally. Never throws for a change it cannot reason about: that is `full`.
 */
export async function scopeChange(request: ScopeRequest): Promise<ChangeScope> {
  const repo = await GitRepo.open(request.cwd);
  const base = await repo.resolveNeededCommit(request.base);
  const root = await realpath(repo.root);
  // display paths as compile shows them (relative to the project root as given); git paths from the real root
  const cwd = request.cwd;
  const prefixRel = toPosix(relative(root, await realpath(cwd)));
  if (prefixRel.startsWith('..') || isAbsolute(prefixRel))
    throw new HistoryError(`${request.cwd} is outside the repository ${root}`);
  const prefix = prefixRel === '' ? '' : `${prefixRel}/`;
  const git = simpleGit({ baseDir: root });
  // generated files and the manifest may exceed the spec size cap the history commands read with
  const blobs = new BlobReader(root, MAX_BLOB_BYTES);
  const scope: ChangeScope = { base, specs: new Map(), outputs: new Map(), discovered: [], blobs };
  const fail = (reason: string) => {
    scope.full ??= reason;
  };
  try {
    // what compile reads now: the same discovery (and the same errors: missing paths, links) as a full run
    scope.discovered = await discoverSpecs(request.paths, cwd);
    const specPaths: { display: string; file: boolean }[] = [];
    for (const p of request.paths) {
      const abs = resolve(cwd, p);
      const display = toPosix(relative(cwd, abs)) || '.';
      const file = scope.discovered.some((d) => d.path === abs);
      specPaths.push({ display, file });
    }
    const discovered = new Set(scope.discovered.map((d) => d.file));
    const out = request.out.replace(/\/+$/, '');
    const watched = [...specPaths.map((p) => (p.display === '.' ? '' : p.display)), out, CONFIG_FILE].map(
      (p) => `${prefix}${p}` || '.',
    );

    // package files of the project root and the directories above it (where node resolves pipewright from)
    const projectDirs = new Set<string>(['']);
    const parts = prefixRel === '' ? [] : prefixRel.split('/');
    for (let i = 1; i <= parts.length; i++) projectDirs.add(parts.slice(0, i).join('/'));
    const packageFiles = [...projectDirs].flatMap((d) => [...PACKAGE_FILES].map((f) => (d === '' ? f : `${d}/${f}`)));
    const [diffOut, untrackedOut, flagsOut, autocrlf, treeOut] = await Promise.all([
      git.raw([
        '--literal-pathspecs',
        'diff',
        '--raw',
        '-z',
        '--no-renames',
        '--no-abbrev',
        '--no-ext-diff',
        '--no-textconv',
        '--ignore-submodules=none',
        base,
        '--',
      ]),
      git.raw(['--literal-pathspecs', 'ls-files', '-z', '--others', '--', ...watched, ...packageFiles]),
      git.raw(['--literal-pathspecs', 'ls-files', '-z', '-v', '--', ...watched]),
      git.raw(['config', '--get', 'core.autocrlf']).catch(() => ''),
      git.raw(['--literal-pathspecs', 'ls-tree', '-r', '-z', '--full-tree', base, '--', `${prefix}${out}`]),
    ]);

    // pipewright itself, its configuration, the way git compares files
    const crlf = autocrlf.trim().toLowerCase();
    if (crlf === 'true' || crlf === 'input')
      fail(`git converts line endings (core.autocrlf=${crlf}): files on disk may differ from what git compares`);
    const tracked: string[] = [];
    for (const entry of flagsOut.split('\0')) {
      if (!entry) continue;
      const tag = entry.slice(0, 1);
      const path = entry.slice(2);
      tracked.push(path);
      if (tag === 'S' || (tag !== tag.toUpperCase() && tag.toLowerCase() === tag))
        fail(`${path} is marked assume-unchanged or skip-worktree in the git index: git does not compare it`);
    }
    if (tracked.length > 0) {
      const attrs = await gitWithInput(
        root,
        ['check-attr', '-z', '--stdin', ...CONVERTING_ATTRIBUTES],
        tracked.join('\0'),
      );
      const fields = attrs.split('\0');
      for (let i = 0; i + 2 < fields.length; i += 3) {
        const value = fields[i + 2];
        if (value !== 'unspecified' && value !== 'unset') {
          fail(
            `git attribute ${fields[i + 1]}=${value} applies to ${fields[i]}: git may compare it after converting, not byte for byte`,
          );
          break;
        }
      }
    }

    const pipewrightRoot = request.pipewrightRoot ?? packageRoot();
    const realPipewright = await realpath(pipewrightRoot).catch(() => pipewrightRoot);
    const pwRel = toPosix(relative(root, realPipewright));
    const pipewrightInRepo = !(pwRel.startsWith('..') || isAbsolute(pwRel));

    const changes: { path: string; change: FileChange; mode?: string }[] = [];
    for (const r of parseRawDiff(diffOut)) {
      const status = r.status;
      if (status === 'T' || status === 'U' || status === 'X') {
        changes.push({ path: r.path, change: { status: 'M' }, mode: 'type' });
        continue;
      }
      const change: FileChange =
        status === 'A' ? { status: 'A' } : { status: status === 'D' ? 'D' : 'M', baseBlob: r.blob };
      const mode = status === 'A' ? r.dstMode : r.srcMode;
      changes.push({ path: r.path, change, mode });
    }
    const byPath = new Map(changes.map((c) => [c.path, c]));
    for (const path of untrackedOut.split('\0')) {
      if (!path) continue;
      // untracked (ignored too): compile reads it; a base file dropped from the index shows as D and as untracked
      const previous = byPath.get(path);
      if (previous === undefined) changes.push({ path, change: { status: 'A' } });
      else if (previous.change.status === 'D') previous.change = { status: 'M', baseBlob: previous.change.baseBlob! };
    }

    for (const { path, change, mode } of changes) {
      const display = under(path, prefixRel) ?? undefined;
      if (display === CONFIG_FILE)
        fail(`${CONFIG_FILE} changed since the base: the project configuration decides every output`);
      if (PACKAGE_FILES.has(basename(path)) && projectDirs.has(path.includes('/') ? dirname(path) : '')) {
        fail(`${path} changed since the base: the pipewright build (or its dependencies) may differ from the base's`);
      }
      const outRel = display === undefined ? undefined : under(display, out);
      const isSpec =
        display !== undefined && (discovered.has(display) || (change.status !== 'A' && isSpecPath(display, specPaths)));
      if (mode === 'type' && (isSpec || outRel !== undefined))
        fail(`${path} changed its type (file, link, submodule) since the base`);
      else if (
        mode !== undefined &&
        mode !== '100644' &&
        mode !== '100755' &&
        mode !== '000000' &&
        (isSpec || outRel !== undefined)
      )
        fail(`${path} is a symbolic link or submodule (at the base or now)`);
      if (outRel !== undefined && outRel !== '') scope.outputs.set(outRel, change);
      else if (isSpec) scope.specs.set(display!, change);
      else if (pipewrightInRepo) {
        const own = under(path, pwRel);
        if (own !== undefined && BUILD_INPUT.test(own))
          fail(`${path} changed since the base: it is part of the pipewright build running this check`);
      }
    }

    if (request.config?.environments && Object.keys(request.config.environments).length > 0)
      fail('the project declares environments (the incremental gate covers projects without them)');

    const baseOutputs = new Map<string, string>();
    for (const record of treeOut.split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [mode, type, blob] = record.slice(0, tab).split(' ');
      const rel = under(under(record.slice(tab + 1), prefixRel) ?? '', out);
      if (rel === undefined || rel === '') continue;
      if (type !== 'blob' || mode === '120000' || !blob || !isFullSha(blob)) {
        fail(`${out}/${rel} is not a regular file at the base`);
        continue;
      }
      baseOutputs.set(rel, blob);
    }
    scope.baseOutputs = baseOutputs;
    const manifestBlob = baseOutputs.get(MANIFEST_PATH);
    if (manifestBlob === undefined) {
      fail(`the base has no ${out}/${MANIFEST_PATH}: no verified output to start from (commit ${out}/)`);
    } else {
      const bytes = await blobs.read(manifestBlob);
      try {
        if (!Buffer.isBuffer(bytes)) throw new Error('unreadable');
        scope.baseManifest = parseManifest(bytes.toString('utf8'));
      } catch {
        fail(`${out}/${MANIFEST_PATH} at the base is not a pipewright manifest`);
      }
      const manifest = scope.baseManifest;
      if (manifest && manifest.version !== VERSION)
        fail(`the base's outputs were written by pipewright ${manifest.version}, this is ${VERSION}`);
      if (manifest && Object.keys(manifest.files).some((p) => !baseOutputs.has(p)))
        fail(`the base's ${out}/ lacks files its manifest lists: it did not pass a full check`);
    }
    return scope;
  } catch (error) {
    await blobs.close();
    throw error;
  }
}

/** Text of a blob of the base (UTF-8), or undefined when it is absent or too large. */
export async function readBaseText(scope: ChangeScope, blob: string): Promise<string | undefined> {
  const bytes = await scope.blobs.read(blob);
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8') : undefined;
}

/** What a gate command reports about its scope (text line and JSON `gate`). */
export interface GateInfo {
  /** The base commit. */
  base: string;
  mode: 'incremental' | 'full';
  /** Why a full run (mode full). */
  reason?: string;
  /** Changed specs (display paths) and changed generated files (relative to the output directory). */
  specs: string[];
  outputs: string[];
  /** Specs compile reads now. */
  totalSpecs: number;
}

export function gateInfo(scope: ChangeScope): GateInfo {
  return {
    base: scope.base,
    mode: scope.full === undefined ? 'incremental' : 'full',
    ...(scope.full !== undefined ? { reason: scope.full } : {}),
    specs: [...scope.specs.keys()].sort(),
    outputs: [...scope.outputs.keys()].sort(),
    totalSpecs: scope.discovered.length,
  };
}

/** One line saying which mode ran and why, for the command's output. */
export function describeGate(command: string, gate: GateInfo): string {
  const base = gate.base.slice(0, 12);
  if (gate.mode === 'full') return `${command} --base ${base}: full run: ${gate.reason}`;
  const total = gate.totalSpecs;
  const outputs = gate.outputs.length;
  return (
    `${command} --base ${base}: incremental: ${gate.specs.length} of ${total} spec${total === 1 ? '' : 's'} changed` +
    `${outputs > 0 ? `, ${outputs} generated file${outputs === 1 ? '' : 's'} changed` : ''} since the base ` +
    '(trusting that the base passed a full check with this pipewright and configuration)'
  );
}
