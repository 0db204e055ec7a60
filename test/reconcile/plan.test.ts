/** The reconciler's pure core: desired × live × inventory × dry-run outcomes → actions, without any I/O. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffValues, isSubset } from '../../src/reconcile/field-diff.js';
import { type Inventory, inventoryObject, parseInventory } from '../../src/reconcile/inventory.js';
import { toApply } from '../../src/reconcile/normalize.js';
import { type KubeObject, refKey, refOf } from '../../src/reconcile/object.js';
import {
  blockers,
  type DesiredObject,
  type DryRunOutcome,
  hasChanges,
  type PlanInput,
  planActions,
  refsToDryRun,
  summarize,
} from '../../src/reconcile/plan.js';

const NS = 'team-a';
const OURS = { 'app.kubernetes.io/managed-by': 'pipewright', 'pipewright.dev/pipeline': 'p' };

function cm(name: string, data: Record<string, string> = { k: 'v' }, labels = OURS): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}
function sa(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, labels: OURS } };
}
function role(name: string): KubeObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, labels: OURS }, rules: [] };
}
function cron(name: string, schedule = '0 5 * * *'): KubeObject {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, labels: OURS }, spec: { schedule } };
}

/** What the API server stores for an applied object: ours plus server fields and defaults. */
function stored(object: KubeObject, extra: Record<string, unknown> = {}): KubeObject {
  const applied = structuredClone(toApply(object, NS));
  return {
    ...applied,
    ...extra,
    metadata: {
      ...applied.metadata,
      uid: 'u-1',
      resourceVersion: '42',
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'pipewright' }],
    },
    status: { active: 0 },
  };
}

function inv(objects: KubeObject[]): Inventory {
  return { name: 'pipewright-inventory', namespace: NS, refs: objects.map((o) => refOf(o, NS)) };
}

function input(
  desired: KubeObject[],
  live: KubeObject[],
  inventory: Inventory | undefined,
  dryRuns: Record<string, DryRunOutcome> = {},
): PlanInput {
  return {
    namespace: NS,
    desired: desired.map(
      (object): DesiredObject => ({ object, file: 'generated/k8s/p.yaml', pipeline: 'p', specHash: 'abc' }),
    ),
    live: new Map(live.map((o) => [refKey(refOf(o, NS)), o])),
    inventory,
    dryRuns: new Map(Object.entries(dryRuns)),
    allowEmpty: false,
  };
}

const key = (o: KubeObject) => refKey(refOf(o, NS));

describe('planActions', () => {
  it('creates what is missing, after a dry-run, in apply order (identity and RBAC before data and workloads)', () => {
    const desired = [cron('p'), cm('p-plan'), role('p-runner'), sa('p-runner')];
    const base = input(desired, [], undefined);
    expect(refsToDryRun(base).map(refKey)).toEqual(desired.map(key));
    const dryRuns = Object.fromEntries(
      desired.map((o): [string, DryRunOutcome] => [key(o), { kind: 'ok', object: stored(o) }]),
    );
    const plan = planActions({ ...base, dryRuns: new Map(Object.entries(dryRuns)) });
    expect(plan.actions.map((a) => [a.type, a.ref.kind])).toEqual([
      ['create', 'ServiceAccount'],
      ['create', 'Role'],
      ['create', 'ConfigMap'],
      ['create', 'CronJob'],
    ]);
    expect(plan.actions[0]!.object!.metadata.namespace).toBe(NS);
    expect(plan.actions[0]!.object!.metadata.annotations!['pipewright.dev/applied-hash']).toMatch(/^[0-9a-f]{32}$/);
    expect(plan.actions[0]).toMatchObject({ pipeline: 'p', specHash: 'abc' });
    expect(hasChanges(plan)).toBe(true);
  });

  it('asks the server nothing about objects applied before and unchanged: a no-op plan needs zero calls', () => {
    const desired = [sa('p-runner'), cm('p-plan'), cron('p')];
    const live = desired.map((o) =>
      stored(o, { spec: { ...(o.spec as object), suspend: false, concurrencyPolicy: 'Allow' } }),
    );
    live[0] = stored(desired[0]!);
    live[1] = stored(desired[1]!);
    const base = input(desired, live, inv(desired));
    expect(refsToDryRun(base)).toEqual([]);
    const plan = planActions(base);
    expect(summarize(plan)).toMatchObject({ unchanged: 3, create: 0, update: 0, prune: 0 });
    expect(hasChanges(plan)).toBe(false);
  });

  it('updates with a field-level diff after the dry-run; server defaults and bookkeeping are not noise', () => {
    const before = cron('p', '0 5 * * *');
    const after = cron('p', '0 6 * * *');
    const defaults = { spec: { schedule: '0 5 * * *', suspend: false, concurrencyPolicy: 'Allow' } };
    const live = stored(before, defaults);
    const base = input([after], [live], inv([after]));
    expect(refsToDryRun(base).map(refKey)).toEqual([key(after)]);
    const dry = stored(after, { spec: { schedule: '0 6 * * *', suspend: false, concurrencyPolicy: 'Allow' } });
    const plan = planActions({
      ...base,
      dryRuns: new Map([
        [key(after), { kind: 'ok', object: { ...dry, metadata: { ...dry.metadata, resourceVersion: '43' } } }],
      ]),
    });
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]!.type).toBe('update');
    expect(plan.actions[0]!.changes).toEqual([{ path: 'spec.schedule', before: '0 5 * * *', after: '0 6 * * *' }]);
  });

  it('detects drift on a field we set even when the recorded hash matches', () => {
    const desired = cm('p-plan', { k: 'v' });
    const live = stored(desired);
    (live.data as Record<string, string>).k = 'edited by hand';
    const base = input([desired], [live], inv([desired]));
    expect(refsToDryRun(base).map(refKey)).toEqual([key(desired)]);
    const plan = planActions({ ...base, dryRuns: new Map([[key(desired), { kind: 'ok', object: stored(desired) }]]) });
    expect(plan.actions[0]).toMatchObject({
      type: 'update',
      changes: [{ path: 'data.k', before: 'edited by hand', after: 'v' }],
    });
  });

  it('replaces an object whose change the server refuses as immutable', () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', labels: OURS },
      spec: { template: { x: 1 } },
    };
    const changed = { ...job, spec: { template: { x: 2 } } };
    const base = input([changed], [stored(job)], inv([job]));
    const plan = planActions({
      ...base,
      dryRuns: new Map([[key(job), { kind: 'immutable', message: 'spec.template: field is immutable' }]]),
    });
    expect(plan.actions[0]).toMatchObject({ type: 'replace', reason: 'spec.template: field is immutable' });
    expect(plan.actions[0]!.changes).toEqual([{ path: 'spec.template.x', before: 1, after: 2 }]);
    expect(blockers(plan)).toEqual([]);
  });

  it('prunes what the inventory lists and is no longer desired — last, in reverse apply order', () => {
    const keep = cm('q-plan');
    const gone = [sa('p-runner'), cron('p'), cm('p-plan')];
    const live = [stored(keep), ...gone.map((o) => stored(o))];
    const plan = planActions(input([keep], live, inv([keep, ...gone])));
    expect(plan.actions.map((a) => [a.type, a.ref.kind])).toEqual([
      ['unchanged', 'ConfigMap'],
      ['prune', 'CronJob'],
      ['prune', 'ConfigMap'],
      ['prune', 'ServiceAccount'],
    ]);
    expect(plan.refusal).toBeUndefined();
  });

  it('never prunes to zero without --allow-empty', () => {
    const gone = [cm('p-plan'), cron('p')];
    const base = input(
      [],
      gone.map((o) => stored(o)),
      inv(gone),
    );
    const refused = planActions(base);
    expect(refused.refusal).toMatch(/would prune all 2 objects pipewright owns in namespace team-a.*--allow-empty/);
    expect(planActions({ ...base, allowEmpty: true }).refusal).toBeUndefined();
    // An empty namespace with an empty inventory is not a refusal: there is nothing to prune.
    expect(planActions(input([], [], inv([]))).refusal).toBeUndefined();
  });

  it('refuses a desired name taken by an object that is not ours, and never touches it', () => {
    const desired = cm('p-plan');
    const foreign = cm('p-plan', { other: 'team' }, { 'app.kubernetes.io/managed-by': 'helm' } as typeof OURS);
    const base = input([desired], [foreign], undefined);
    expect(refsToDryRun(base)).toEqual([]);
    const plan = planActions(base);
    expect(plan.actions[0]).toMatchObject({ type: 'foreign', blocks: true });
    expect(plan.actions[0]!.reason).toMatch(/already exists in namespace team-a and is not pipewright's/);
    expect(plan.actions[0]!.object).toBeUndefined();
    expect(blockers(plan)).toHaveLength(1);
  });

  it('treats an object labelled ours but missing from the inventory as foreign (another project, or by hand)', () => {
    const desired = cm('p-plan');
    const plan = planActions(input([desired], [stored(desired)], inv([])));
    expect(plan.actions[0]).toMatchObject({ type: 'foreign', blocks: true });
    expect(plan.actions[0]!.reason).toMatch(
      /labelled as pipewright's but is not in the inventory pipewright-inventory/,
    );
  });

  it('forgets inventory entries whose object is gone, and leaves relabelled ones alone', () => {
    const gone = cm('gone');
    const relabelled = cm('taken-over');
    const liveRelabelled = {
      ...stored(relabelled),
      metadata: { ...stored(relabelled).metadata, labels: { team: 'x' } },
    };
    const plan = planActions(
      input([cm('keep')], [stored(cm('keep')), liveRelabelled], inv([cm('keep'), gone, relabelled])),
    );
    expect(plan.actions.map((a) => [a.type, a.ref.name, a.blocks ?? false])).toEqual([
      ['unchanged', 'keep', false],
      ['foreign', 'taken-over', false],
      ['forget', 'gone', false],
    ]);
    expect(hasChanges(plan)).toBe(true);
  });

  it('reports a field owned by another manager as a conflict that blocks apply', () => {
    const desired = cm('p-plan', { k: 'new' });
    const base = input([desired], [stored(cm('p-plan', { k: 'old' }))], inv([desired]));
    const plan = planActions({
      ...base,
      dryRuns: new Map([[key(desired), { kind: 'conflict', message: 'conflict with "kubectl-edit": .data.k' }]]),
    });
    expect(plan.actions[0]).toMatchObject({
      type: 'conflict',
      blocks: true,
      reason: 'conflict with "kubectl-edit": .data.k',
    });
  });

  it('property: applying the desired objects and planning again gives only unchanged actions, with no dry-run', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
    const data = fc.dictionary(fc.stringMatching(/^[a-z.]{1,8}$/), fc.string({ maxLength: 20 }), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, data), { selector: ([n]) => n, maxLength: 8 }), (items) => {
        const desired = items.map(([n, d]) => cm(n, d));
        const base = input(
          desired,
          desired.map((o) => stored(o)),
          inv(desired),
        );
        expect(refsToDryRun(base)).toEqual([]);
        const plan = planActions(base);
        expect(plan.actions.every((a) => a.type === 'unchanged')).toBe(true);
        expect(hasChanges(plan)).toBe(false);
      }),
    );
  });
});

describe('diffValues and isSubset', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  it('property: diff(a, a) is empty and a is a subset of itself', () => {
    fc.assert(
      fc.property(json, (a) => {
        expect(diffValues(a, a)).toEqual([]);
        expect(isSubset(a, a)).toBe(true);
      }),
    );
  });

  it('property: diff(a, b) is empty exactly when a and b are equal', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(diffValues(a, b).length === 0).toBe(JSON.stringify(a) === JSON.stringify(b) || isDeepEqual(a, b));
      }),
    );
  });

  it('matches named lists by name, as server-side apply merges them', () => {
    const a = {
      containers: [
        { name: 'a', image: 'x:1' },
        { name: 'b', image: 'y:1' },
      ],
    };
    const b = {
      containers: [
        { name: 'a', image: 'x:2' },
        { name: 'b', image: 'y:1' },
      ],
    };
    expect(diffValues(a, b)).toEqual([{ path: 'containers[name=a].image', before: 'x:1', after: 'x:2' }]);
    expect(diffValues({ data: { 'task.a.yaml': 'x' } }, { data: {} })).toEqual([
      { path: 'data["task.a.yaml"]', before: 'x' },
    ]);
    expect(isSubset({ env: [{ name: 'A' }, { name: 'B' }] }, { env: [{ name: 'B' }, { name: 'A' }] })).toBe(false);
    expect(isSubset({ spec: { a: 1 } }, { spec: { a: 1, defaulted: true } })).toBe(true);
  });
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  return diffValues(a, b).length === 0 && diffValues(b, a).length === 0 && canonical(a) === canonical(b);
}
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

describe('inventory', () => {
  it('round-trips through its ConfigMap, one sorted line per object', () => {
    const inventory = inv([cron('p'), cm('p-plan'), role('p-runner')]);
    const object = inventoryObject(inventory);
    expect(object.data).toEqual({
      objects: 'batch/CronJob/p\ncore/ConfigMap/p-plan\nrbac.authorization.k8s.io/Role/p-runner\n',
    });
    expect(parseInventory(object, NS).refs.map(refKey).sort()).toEqual(inventory.refs.map(refKey).sort());
  });

  it('refuses what is not a pipewright inventory or not readable', () => {
    const object = inventoryObject(inv([]));
    expect(() => parseInventory({ ...object, metadata: { ...object.metadata, labels: {} } }, NS)).toThrow(
      /not a pipewright inventory/,
    );
    expect(() => parseInventory({ ...object, data: { objects: 'nonsense\n' } }, NS)).toThrow(
      /line 1 of data.objects is not group\/Kind\/name/,
    );
  });
});
