/**
 * Entry point of changelog's worker threads (src/emit/pool.ts runs them): parses each posted spec blob
 * (src/history/spec-blob.ts) and posts back its IR as JSON text (cheaper to pass between threads than the object) or
 * its problem. A task that throws is reported as that task's error; the worker keeps serving.
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerReply } from '../emit/pool.js';
import type { SpecSource } from './sources.js';
import { type PackedSpec, parseSpecBlob } from './spec-blob.js';

const port = parentPort;
if (!port) throw new Error('spec-blob-worker.js runs as a worker thread only');
port.on('message', ({ id, task }: { id: number; task: SpecSource }) => {
  let reply: WorkerReply<PackedSpec>;
  try {
    const { ir, problem } = parseSpecBlob(task);
    reply = {
      id,
      result: {
        ...(ir !== undefined ? { irJson: JSON.stringify(ir) } : {}),
        ...(problem !== undefined ? { problem } : {}),
      },
    };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { id, error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) } };
  }
  port.postMessage(reply);
});
