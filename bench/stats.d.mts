/** Types for bench/stats.mjs (imported by test/bench/). */
export function median(values: readonly number[]): number;
export function formatMs(ms: number): string;
export function formatMiB(kb: number): string;
export function table(rows: readonly (readonly unknown[])[], headers?: readonly string[]): string;
export function verdict(ok: boolean | undefined): string;
