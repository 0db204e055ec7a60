/** Types for bench/environments.mjs (imported by test/emit/parallel.test.ts). */
export function environmentsConfig(options: { pipelines: number; broken?: boolean }): string;
export function writeEnvironmentsProject(
  dir: string,
  options: { seed?: number; pipelines: number; tasks: number },
): void;
export function environmentsBench(options: {
  dir: string;
  runs: number;
  child: (...args: unknown[]) => Promise<unknown>;
  rounds: (...args: unknown[]) => Promise<unknown>;
}): Promise<Record<string, unknown[]>>;
