import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Project } from '../config/index.js';

/** Everything a command touches of the process, so commands run in-process in tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * The directory the command works in: the project root (src/config/root.ts) once the entry point has found it, so
   * `pipelines/`, `generated/` and `.pipewright/` mean the same from any subdirectory.
   */
  cwd: string;
  env: Record<string, string | undefined>;
  /** Colours only when true and NO_COLOR is unset. */
  isTTY: boolean;
  /** Resolves when the command should stop (Ctrl-C / SIGTERM) — used by long-running commands (watch). */
  signal?: AbortSignal;
  /** The directory the user ran pipewright in (set by the entry point when it differs from `cwd`). */
  invokedFrom?: string;
  /** The project: its root and configuration file (set by the entry point for every command that needs one). */
  project?: Project;
}

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** Full --help text; it states the command's exit codes. */
  help: string;
  /** False for commands that do not work on a project (init, explain, targets): no root search, no config. */
  usesProject?: boolean;
  run(argv: string[], io: CliIO): Promise<number>;
}

/**
 * Colour on a terminal unless NO_COLOR is set (no-color.org); FORCE_COLOR (any value but '0' or 'false') forces it on
 * for CI logs that render ANSI. NO_COLOR wins when both are set.
 */
export function useColor(io: CliIO): boolean {
  const set = (name: string) => io.env[name] !== undefined && io.env[name] !== '';
  if (set('NO_COLOR')) return false;
  if (set('FORCE_COLOR') && io.env.FORCE_COLOR !== '0' && io.env.FORCE_COLOR !== 'false') return true;
  return io.isTTY;
}

/**
 * A path the user typed (an argument or a flag value) as the command must use it: relative to where the user ran
 * pipewright, re-expressed relative to the project root the command works in. Unchanged when both are the same.
 */
export function userPath(io: CliIO, path: string): string {
  if (io.invokedFrom === undefined || io.invokedFrom === io.cwd || isAbsolute(path)) return path;
  const rel = relative(io.cwd, resolve(io.invokedFrom, path));
  return rel === '' ? '.' : rel.split(sep).join('/');
}

/**
 * Where a read-only command that lists files (validate) shows paths from: the directory the user ran pipewright in, so
 * `file:line:col` is clickable there. Its default spec path is the project's `pipelines/`, as seen from there.
 */
export function invocationView(io: CliIO, defaultDir: string): { base: string; defaultPath: string } {
  if (io.invokedFrom === undefined || io.invokedFrom === io.cwd) return { base: io.cwd, defaultPath: defaultDir };
  const rel = relative(io.invokedFrom, resolve(io.cwd, defaultDir)).split(sep).join('/');
  return { base: io.invokedFrom, defaultPath: rel === '' ? '.' : rel };
}
