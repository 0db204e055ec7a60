/** Types for bench/corpus.mjs (imported by test/bench/). */
import type { PipelineSpec } from '../src/spec/types.js';

export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(list: readonly T[]): T;
  chance(p: number): boolean;
}
export function createRng(seed: number): Rng;
export function pipelineName(index: number): string;
export function generateSpec(
  seed: number,
  index: number,
  tasks: number,
  options?: { revision?: number; version?: string },
): PipelineSpec;
export function specText(spec: PipelineSpec): string;
export function generateCorpus(options?: { seed?: number; pipelines?: number; tasks?: number }): {
  file: string;
  text: string;
}[];
export function writeCorpus(dir: string, options?: { seed?: number; pipelines?: number; tasks?: number }): string[];
export function runtimeSpec(tasks?: number, image?: string): PipelineSpec;
