/**
 * OpenLineage runIds: UUIDs derived from pipewright's run id (and the task instance id), so a resumed run — a new
 * process continuing `<runId>` — reports under the same OpenLineage run. Name-based UUIDs (RFC 9562 version 5, SHA-1)
 * in a pipewright namespace: deterministic, valid `format: uuid`.
 */
import { createHash } from 'node:crypto';

/** uuid v5 namespace of pipewright lineage ids (a fixed random UUID). */
const NAMESPACE = Buffer.from('6f1b8a52c3e04f0e9a7d2b4c5e6f7a81', 'hex');

function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function pipelineRunUuid(runId: string): string {
  return uuidV5(`run:${runId}`);
}

export function taskRunUuid(runId: string, taskId: string): string {
  return uuidV5(`task:${runId}:${taskId}`);
}
