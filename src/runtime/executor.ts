/**
 * What the run orchestrator hands an executor for one attempt, and what every executor implements.
 * Executors turn failures into outcomes (the scheduler never sees an exception for a task that could not run).
 */
import type { RunTask } from './plan.js';
import type { AttemptHandle, AttemptRecord } from './scheduler.js';

export interface RunIdentity {
  runId: string;
  pipeline: string;
  version: string;
  specHash: string;
  logicalDate: string;
}

export interface AttemptSpec {
  run: RunIdentity;
  task: RunTask;
  attempt: number;
  /** Interpolated argv. */
  argv: string[];
  /** Run variables + task environment (not secrets). */
  env: Record<string, string>;
  /** Secret env name → value: only ever placed in the task's environment. */
  secrets: Record<string, string>;
  /** The attempt's record in run state: executors set `ref` (what to adopt after a crash). */
  record: AttemptRecord;
  /** Adopt an attempt recorded by a runner that died, instead of starting a duplicate. */
  resume: boolean;
}

export type LogStream = 'stdout' | 'stderr';

export interface ExecutorContext {
  /** One line of task output (without the newline). */
  log(taskId: string, stream: LogStream, line: string): void;
  /** Notes from the executor about a task (adoption, kills, removals). */
  note(taskId: string, message: string): void;
  /** Persist run state (after `record.ref` was set). */
  persist(): Promise<void> | void;
}

export interface Executor {
  readonly name: 'local' | 'docker' | 'kubernetes';
  /** Checks that everything the plan needs is there (engine reachable, images present); throws a user-facing error. */
  preflight?(tasks: readonly RunTask[]): Promise<void>;
  /**
   * The reference of an attempt when it is known before the executor acts (a deterministic container name): recorded
   * with the attempt's intent, which saves `launch` a second durable write of the run state.
   */
  attemptRef?(run: RunIdentity, taskId: string, attempt: number): Record<string, string | number>;
  launch(spec: AttemptSpec, context: ExecutorContext): Promise<AttemptHandle>;
  /** End of a run: clean up what the run left behind (finished containers). */
  finish?(run: RunIdentity, failedTasks: ReadonlySet<string>, context: ExecutorContext): Promise<void>;
}

/** Splits a byte stream into lines (a final unterminated line is flushed on end). */
export function lineSplitter(emit: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let nl = pending.indexOf('\n');
      while (nl !== -1) {
        emit(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    },
    end() {
      if (pending !== '') emit(pending.replace(/\r$/, ''));
      pending = '';
    },
  };
}
