/**
 * In-process CLI runner for tests: runs `pipewright <argv>` through the real entry point (`runCli`, with its one
 * top-level catch) against a capturing io, so commands are exercised exactly as the binary runs them, minus the process.
 */

import type { CliIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';

export interface CliCapture {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliCaptureOptions {
  /** Working directory the command sees (default: process.cwd()). */
  cwd?: string;
  /** Environment the command sees (default: empty — tests stay independent of the developer's shell). */
  env?: Record<string, string | undefined>;
  /** Pretend stdout is a terminal (colours then depend on NO_COLOR). Default false. */
  isTTY?: boolean;
  /** Abort signal for long-running commands (watch, run). */
  signal?: AbortSignal;
}

export async function runCliCapture(argv: string[], options: CliCaptureOptions = {}): Promise<CliCapture> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
