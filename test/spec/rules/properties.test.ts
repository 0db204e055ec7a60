/** Properties of the graph and id rules over random pipelines (written as JSON, which is valid YAML 1.2). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceId } from '../../../src/model/ids.js';
import { cycle } from '../../../src/spec/rules/cycle.js';
import { idCollision } from '../../../src/spec/rules/id-collision.js';
import type { PipelineSpec, TaskSpec } from '../../../src/spec/types.js';
import { checked } from './helpers.js';

function specText(tasks: Record<string, TaskSpec>): string {
  const spec: PipelineSpec = {
    apiVersion: 'pipewright.dev/v1',
    kind: 'Pipeline',
    metadata: { name: 'random', version: '1.0.0', owner: 'qa' },
    spec: { defaults: { image: 'ghcr.io/acme/etl:1.0.0' }, tasks },
  };
  return JSON.stringify(spec, null, 1);
}

/** Kahn's algorithm: is the needs graph (known, non-self edges) acyclic? */
function acyclic(tasks: Record<string, TaskSpec>): boolean {
  const ids = Object.keys(tasks);
  const pending = new Map(
    ids.map((id) => [id, new Set((tasks[id]!.needs ?? []).filter((n) => n !== id && n in tasks))]),
  );
  let progress = true;
  while (progress) {
    progress = false;
    for (const [id, needs] of pending) {
      if (needs.size > 0) continue;
      pending.delete(id);
      for (const other of pending.values()) other.delete(id);
      progress = true;
    }
  }
  return pending.size === 0;
}

const graphs = fc
  .integer({ min: 1, max: 9 })
  .chain((n) =>
    fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n }), { maxLength: 3 }), { minLength: n, maxLength: n }),
  )
  .map((needs) => {
    const tasks: Record<string, TaskSpec> = {};
    needs.forEach((list, i) => {
      tasks[`t${i}`] = { command: ['run'], needs: list.map((j) => `t${j}`) };
    });
    return tasks;
  });

describe('PW202 cycle properties', () => {
  it('reports a cycle exactly when the graph has one; every reported cycle is real and starts at its earliest task', () => {
    fc.assert(
      fc.property(graphs, (tasks) => {
        const found = cycle.check!(checked(specText(tasks)));
        expect(found.length === 0).toBe(acyclic(tasks));
        const order = Object.keys(tasks);
        const seen = new Set<string>();
        for (const d of found) {
          const names = /^dependency cycle: (.*) \(each task needs the next one\)$/.exec(d.message)![1]!.split(' → ');
          expect(names[0]).toBe(names[names.length - 1]);
          const ring = names.slice(0, -1);
          for (let i = 0; i < ring.length; i++) {
            expect(tasks[ring[i]!]!.needs).toContain(ring[(i + 1) % ring.length]);
            expect(ring[i]).not.toBe(ring[(i + 1) % ring.length]);
          }
          expect(Math.min(...ring.map((t) => order.indexOf(t)))).toBe(order.indexOf(ring[0]!));
          expect(new Set(ring).size).toBe(ring.length);
          expect(seen.has(d.message)).toBe(false);
          seen.add(d.message);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('PW214 id collision properties', () => {
  const idChars = fc.constantFrom('a', 'b', '-', '_', 'A');
  const id = fc
    .array(idChars, { minLength: 1, maxLength: 4 })
    .map((cs) => `t${cs.join('')}`)
    .filter((s) => /^[A-Za-z][A-Za-z0-9_-]*$/.test(s));
  const tasksArb = fc.uniqueArray(
    fc.record({
      id,
      matrix: fc.option(fc.uniqueArray(fc.constantFrom('a', 'b', 'A', 'a-b'), { minLength: 1, maxLength: 3 }), {
        nil: undefined,
      }),
    }),
    { minLength: 1, maxLength: 6, selector: (t) => t.id },
  );

  it('reports a collision exactly when two instances share an id', () => {
    fc.assert(
      fc.property(tasksArb, (list) => {
        const tasks: Record<string, TaskSpec> = {};
        const instances: string[] = [];
        for (const t of list) {
          tasks[t.id] = { command: ['run'], ...(t.matrix ? { matrix: { k: t.matrix } } : {}) };
          for (const v of t.matrix ?? [undefined]) instances.push(instanceId(t.id, v === undefined ? {} : { k: v }));
        }
        const found = idCollision.check!(checked(specText(tasks)));
        const duplicated = new Set(instances).size !== instances.length;
        expect(found.length > 0).toBe(duplicated);
        for (const d of found) {
          const shared = /both get the id '([^']+)'/.exec(d.message)![1]!;
          expect(instances.filter((i) => i === shared).length).toBeGreaterThan(1);
          expect(d.related).toHaveLength(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
