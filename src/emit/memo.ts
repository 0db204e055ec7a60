import { serialize } from 'node:v8';
import { sha256Hex } from '../model/hash.js';
import type { EmittedFile } from '../targets/target.js';
import { serializeYaml } from './serialize.js';

/**
 * serializeYaml for files built from every pipeline (the GitLab parent), remembered by a hash of the emitted object.
 * Such a file changes only when the set of pipelines or their trigger settings change, but it is rebuilt on every
 * link (every watch rebuild, every compile) and serializing it costs ~0.6 ms per pipeline; emitting the object and
 * hashing it costs a few percent of that. Bounded: the last MEMO_SIZE distinct files (a few per target × output
 * directory in one process).
 */
const MEMO_SIZE = 8;
const memo = new Map<string, string>();

/**
 * The memo key of an emitted file: sha256 of its structured-clone serialization (V8's, native and about as fast as
 * JSON.stringify). Unlike JSON it tells NaN, Infinity, -0, null and undefined apart, as YAML does; undefined when
 * the file holds something that cannot be cloned (a function), which is then serialized without the memo.
 */
function memoKey(file: EmittedFile): string | undefined {
  try {
    return sha256Hex(serialize(file));
  } catch {
    return undefined;
  }
}

/** serializeYaml(file), served from the memo when the same object was serialized before. Same bytes either way. */
export function serializeYamlMemo(file: EmittedFile): string {
  const key = memoKey(file);
  if (key === undefined) return serializeYaml(file);
  const hit = memo.get(key);
  if (hit !== undefined) {
    memo.delete(key);
    memo.set(key, hit);
    return hit;
  }
  const text = serializeYaml(file);
  memo.set(key, text);
  if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!);
  return text;
}

/** Entries in the memo (for tests). */
export function serializeMemoSize(): number {
  return memo.size;
}
