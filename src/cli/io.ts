/** Everything a command touches of the process, so commands run in-process in tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Colours only when true and NO_COLOR is unset. */
  isTTY: boolean;
  /** Resolves when the command should stop (Ctrl-C / SIGTERM) — used by long-running commands (watch). */
  signal?: AbortSignal;
}

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** Full --help text. */
  help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

export function useColor(io: CliIO): boolean {
  return io.isTTY && !('NO_COLOR' in io.env && io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '');
}
