import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { VERSION } from '../cli/main.js';
import { applyLevels, hasLevels } from '../config/levels.js';
import type { ProjectConfig } from '../config/types.js';
import type { SpecCache } from '../emit/cache.js';
import { type CompiledSpec, compileSettings } from '../emit/compile.js';
import { discoverSpecFiles, ProjectError, readSpecInput, resolveOutDirNoLinks } from '../emit/project.js';
import type { writeOutputs } from '../emit/write.js';
import { TARGETS, type TargetName } from '../targets/target.js';
import { SpecScope } from './filter.js';
import type { WatcherFactory } from './fs-watcher.js';
import { displayPath, IncrementalCompiler } from './incremental.js';
import type { NativeWatch } from './native-watcher.js';
import { startSession, type WatchSession } from './session.js';
import { specReader } from './snapshot.js';

export interface WatchOptions {
  /** Absolute working directory (the repository root): display paths and --out are relative to it. */
  cwd: string;
  /** Spec files or directories (default `pipelines`), as for compile. */
  paths?: readonly string[];
  /** Output directory inside cwd (default `generated`). */
  out?: string;
  /** Targets (default: all). */
  targets?: readonly TargetName[];
  /** Quiet time before a batch of file events is rebuilt (default 10 ms with the native watcher; with chokidar 50 ms, minimum 50 ms). */
  debounceMs?: number;
  /** Poll instead of OS events from the start (network file systems, containers with bind mounts). */
  usePolling?: boolean;
  pollIntervalMs?: number;
  /** Creates the chokidar watcher (tests inject errors through it); given, the native watcher is not used. */
  factory?: WatcherFactory;
  /** The native watcher (`false`: chokidar only); default @parcel/watcher when it loads. */
  native?: NativeWatch | false;
  /** Per-spec result cache to share (e.g. across sessions); default: one per session. */
  cache?: SpecCache<CompiledSpec>;
  /** compile's writer, injectable to observe writes (default: src/emit/write.ts). */
  write?: typeof writeOutputs;
  /** The project configuration: its diagnostic levels apply to every rebuild. */
  config?: ProjectConfig;
}

/**
 * The programmatic watch API (used by `pipewright watch`, tests and the benchmark):
 * `const w = startWatch({cwd}); await w.ready; w.on('rebuild', e => …); await w.close();`
 * Throws ProjectError synchronously for a bad --out or a path that does not exist (nothing is started then).
 */
export function startWatch(options: WatchOptions): WatchSession {
  const cwd = resolve(options.cwd);
  const paths = options.paths && options.paths.length > 0 ? options.paths : ['pipelines'];
  const out = resolveOutDirNoLinks(cwd, options.out ?? 'generated', paths);
  const dirs: string[] = [];
  const files: string[] = [];
  for (const given of paths) {
    const abs = resolve(cwd, given);
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(abs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ProjectError(`${abs}: ${code === 'ENOENT' ? 'no such file or directory' : String(code ?? error)}`);
    }
    (info.isDirectory() ? dirs : files).push(abs);
  }
  const targets = options.targets && options.targets.length > 0 ? [...options.targets] : [...TARGETS];
  const engine = new IncrementalCompiler({
    cwd,
    outAbs: out.abs,
    outDisplay: out.display,
    targets,
    version: VERSION,
    ...compileSettings(options.config),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.write ? { write: options.write } : {}),
    ...(hasLevels(options.config)
      ? {
          adjust: (unit: CompiledSpec) => ({
            ...unit,
            diagnostics: applyLevels(unit.diagnostics, options.config, () => unit.pipeline),
          }),
        }
      : {}),
  });
  return startSession({
    scope: new SpecScope(dirs, files, [out.abs]),
    engine,
    discover: discoverSpecFiles,
    read: specReader((path) => readSpecInput(path, displayPath(cwd, path))),
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    ...(options.usePolling !== undefined ? { usePolling: options.usePolling } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.factory ? { factory: options.factory } : {}),
    ...(options.native !== undefined ? { native: options.native } : {}),
  });
}

export type { RebuildReport, WatchEngine } from './engine.js';
export type { BatchEvent, RebuildEvent, WatchSession, WatchSessionEvents } from './session.js';
