/** Types for bench/history.mjs (imported by test/bench/). */
export interface HistoryOptions {
  seed?: number;
  specs?: number;
  tasks?: number;
  commits?: number;
}
export function historyStream(options?: HistoryOptions): { stream: Buffer; files: string[]; bumps: number };
export function createHistoryRepo(
  dir: string,
  options?: HistoryOptions,
): { dir: string; root: string; head: string; commits: number; files: string[]; bumps: number };
