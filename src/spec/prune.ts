/**
 * pruneRejected: a spec value minus every part the JSON Schema rejected, so that the semantic rules can run on the rest
 * and one run reports a bad version, a bad cron and a bad time zone together (instead of one schema error per run).
 *
 * What is removed, and why it is safe for the rules (which read a PipelineSpec):
 * - a rejected value is deleted from its parent; a rejected task becomes an empty task (its id still exists, so
 *   `needs: [it]` is not reported as unknown); a rejected `metadata`, `spec` or `spec.tasks` becomes an empty mapping;
 * - a rejected list item: in `command`, `inputs` and `outputs` it becomes "" (later items keep their index, so the
 *   rules still point at the right word); in `needs` the whole list goes (a shifted index would point at the wrong
 *   item); elsewhere (matrix values, param enums) the item is dropped;
 * - a key with a bad name, a missing required property or an unknown property leaves the value as it is, except that
 *   the unknown property is deleted.
 * The result is partial: required properties may be missing, and the rules tolerate that. Returns undefined when the
 * document itself is not a mapping.
 */
import type { ErrorObject } from 'ajv';
import { type SpecPath, valueAt } from './document.js';
import type { PipelineSpec } from './types.js';

/** List fields whose item positions appear in rule messages: rejected items are blanked, not removed. */
const POSITIONAL_LISTS = new Set(['command', 'inputs', 'outputs']);
/** Lists whose items refer to other things: a partial list would mislead, so a rejected item drops the list. */
const REFERENCE_LISTS = new Set(['needs']);

export function pruneRejected(
  value: unknown,
  errors: readonly ErrorObject[],
  parse: (pointer: string) => SpecPath,
  /** Keys to drop whole (a field indented one level too little is not the task it was read as). */
  drop: readonly SpecPath[] = [],
): PipelineSpec | undefined {
  if (!isRecord(value)) return undefined;
  const root = structuredClone(value) as Record<string, unknown>;
  for (const path of drop) {
    const parent = valueAt(root, path.slice(0, -1));
    if (isRecord(parent)) delete parent[path[path.length - 1]!];
  }
  const dropItems = new Map<unknown[], Set<number>>();
  for (const error of errors) {
    if (error.keyword === 'required' || error.keyword === 'propertyNames' || error.propertyName !== undefined) continue;
    const path = [...parse(error.instancePath)];
    if (drop.some((d) => d.every((s, i) => path[i] === s))) continue;
    if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
    if (path.length === 0) return undefined;
    const itemAt = path.findIndex((s) => typeof s === 'number');
    if (itemAt > 0) {
      const listPath = path.slice(0, itemAt);
      const list = valueAt(root, listPath);
      const field = listPath[listPath.length - 1];
      const index = path[itemAt] as number;
      if (!Array.isArray(list) || typeof field !== 'string' || REFERENCE_LISTS.has(field)) {
        remove(root, listPath);
      } else if (POSITIONAL_LISTS.has(field)) {
        list[index] = '';
      } else {
        const set = dropItems.get(list) ?? new Set<number>();
        set.add(index);
        dropItems.set(list, set);
      }
      continue;
    }
    remove(root, path);
  }
  for (const [list, indexes] of dropItems) {
    const kept = list.filter((_, i) => !indexes.has(i));
    list.splice(0, list.length, ...kept);
  }
  // The skeleton every rule walks: the document, metadata, spec, spec.tasks and each task are mappings.
  if (!isRecord(root.metadata)) root.metadata = {};
  if (!isRecord(root.spec)) root.spec = {};
  const body = root.spec as Record<string, unknown>;
  if (!isRecord(body.tasks)) body.tasks = {};
  const tasks = body.tasks as Record<string, unknown>;
  for (const id of Object.keys(tasks)) if (!isRecord(tasks[id])) tasks[id] = {};
  return root as unknown as PipelineSpec;
}

function remove(root: Record<string, unknown>, path: SpecPath): void {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (!isRecord(parent)) return;
  const isTask = path.length === 3 && path[0] === 'spec' && path[1] === 'tasks';
  if (isTask) parent[key] = {};
  else delete parent[key];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
