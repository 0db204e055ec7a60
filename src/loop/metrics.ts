/**
 * What the loop reports to metrics. The registry itself (names, help, label rules) is src/observe/'s; this is the
 * narrow interface the daemon calls, implemented over it in src/loop/observe-metrics.ts.
 */
import type { CycleResult } from './daemon.js';
import type { ScheduledPipeline } from './desired.js';
import type { RunEntry } from './state.js';

export interface LoopMetrics {
  cycle(result: CycleResult): void;
  pipelines(pipelines: readonly ScheduledPipeline[]): void;
  slaMissed(pipeline: string): void;
  /** A due run started `seconds` after its scheduled time. */
  lag(pipeline: string, seconds: number): void;
  runFinished(pipeline: string, status: 'succeeded' | 'failed', run: RunEntry): void;
  pruned(): void;
}
