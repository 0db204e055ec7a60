/**
 * Entry point of the worker threads of validate, compile and check (src/emit/pool.ts): runs each posted per-spec task
 * (src/emit/spec-task.ts) and posts its result back with the task's id. A task that throws is reported as that
 * task's error (the main thread reports it as an internal error); the worker keeps serving.
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerReply } from './pool.js';
import { runSpecTask, type SpecTask, type SpecTaskResult } from './spec-task.js';

const port = parentPort;
if (!port) throw new Error('spec-worker.js runs as a worker thread only');
port.on('message', ({ id, task }: { id: number; task: SpecTask }) => {
  let reply: WorkerReply<SpecTaskResult>;
  try {
    reply = { id, result: runSpecTask(task) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { id, error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) } };
  }
  port.postMessage(reply);
});
