/** Plans rendered as text (terraform-like), JSON and a Markdown merge-request comment; desired objects from compile output. */
import { describe, expect, it } from 'vitest';
import { compileSources } from '../../src/emit/compile.js';
import { DesiredError, desiredFromFiles } from '../../src/reconcile/desired.js';
import type { Plan } from '../../src/reconcile/plan.js';
import { planJson, renderPlanMarkdown, renderPlanText } from '../../src/reconcile/render.js';

const ref = (kind: string, name: string, group = '') => ({ group, kind, namespace: 'ns', name });

const plan: Plan = {
  namespace: 'ns',
  actions: [
    { type: 'create', ref: ref('ServiceAccount', 'p-runner'), pipeline: 'p' },
    {
      type: 'update',
      ref: ref('ConfigMap', 'p-plan'),
      pipeline: 'p',
      changes: [
        {
          path: 'data["task.a.yaml"]',
          before: 'kind: Job\nspec:\n  backoffLimit: 0\n',
          after: 'kind: Job\nspec:\n  backoffLimit: 1\n',
        },
        { path: 'metadata.labels.tier', before: 'a', after: 'b' },
      ],
    },
    {
      type: 'replace',
      ref: ref('RoleBinding', 'p-runner', 'rbac.authorization.k8s.io'),
      changes: [{ path: 'roleRef.name', before: 'x', after: 'y' }],
      reason: 'roleRef is immutable',
    },
    { type: 'unchanged', ref: ref('CronJob', 'p', 'batch') },
    { type: 'foreign', ref: ref('ConfigMap', 'q-plan'), blocks: true, reason: 'taken | by <helm>' },
    { type: 'prune', ref: ref('CronJob', 'old', 'batch'), pipeline: 'old' },
  ],
};

describe('renderPlanText', () => {
  it('lists each action with its field changes, embedded text as changed lines, then the summary', () => {
    expect(renderPlanText(plan)).toBe(
      [
        '  + ServiceAccount/p-runner will be created (pipeline p)',
        '  ~ ConfigMap/p-plan will be updated in place (pipeline p)',
        '      data["task.a.yaml"]:',
        '          -   backoffLimit: 0',
        '          +   backoffLimit: 1',
        '      metadata.labels.tier: "a" → "b"',
        '-/+ RoleBinding.rbac.authorization.k8s.io/p-runner must be replaced (deleted, then created)',
        '      roleRef.name: "x" → "y"',
        '      because: roleRef is immutable',
        '  ! ConfigMap/q-plan is not ours: refused',
        '      taken | by <helm>',
        '  - CronJob.batch/old will be pruned (deleted) (pipeline old)',
        '',
        'Plan for namespace ns: 1 to create, 1 to update, 1 to replace, 1 to prune; 1 unchanged, 1 foreign.',
        'Apply would refuse this plan: 1 object blocked (see ! above).',
        '',
      ].join('\n'),
    );
  });

  it('says so when nothing changes', () => {
    expect(renderPlanText({ namespace: 'ns', actions: [{ type: 'unchanged', ref: ref('ConfigMap', 'a') }] })).toBe(
      'Plan for namespace ns: 0 to create, 0 to update, 0 to replace, 0 to prune; 1 unchanged.\nNo changes. The cluster matches generated/k8s.\n',
    );
  });

  it('masks secret-looking values', () => {
    const secret = {
      namespace: 'ns',
      actions: [
        {
          type: 'update' as const,
          ref: ref('ConfigMap', 'a'),
          changes: [{ path: 'data.k', before: 'x', after: 'AKIAIOSFODNN7EXAMPLE' }],
        },
      ],
    };
    expect(renderPlanText(secret)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(JSON.stringify(planJson(secret))).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('masks what it prints (changes, reasons) without reading the objects apply sends', () => {
    // An object whose fields cannot be read: rendering must not walk it (at 1,000 pipelines the objects are 141 MiB
    // of run plans and were masked for nothing), yet a secret in a reason or a change is still masked.
    const unreadable = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a' },
      get data(): never {
        throw new Error('the object was read');
      },
    };
    const withObjects: Plan = {
      namespace: 'ns',
      actions: [
        { type: 'create', ref: ref('ConfigMap', 'a'), pipeline: 'p', object: unreadable },
        {
          type: 'replace',
          ref: ref('ConfigMap', 'b'),
          object: unreadable,
          reason: 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 is immutable',
          changes: [{ path: 'data.k', before: 'x', after: 'AKIAIOSFODNN7EXAMPLE' }],
        },
      ],
    };
    expect(renderPlanText(withObjects)).toContain('+ ConfigMap/a will be created');
    expect(renderPlanMarkdown(withObjects)).toContain('`ConfigMap/a`');
    expect(planJson(withObjects).actions[0]).toMatchObject({ kind: 'ConfigMap', name: 'a' });
    for (const out of [
      renderPlanText(withObjects),
      renderPlanMarkdown(withObjects),
      JSON.stringify(planJson(withObjects)),
    ]) {
      expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(out).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    }
  });
});

describe('planJson and renderPlanMarkdown', () => {
  it('JSON: summary, change flag and one entry per action', () => {
    const json = planJson(plan);
    expect(json.summary).toMatchObject({ create: 1, update: 1, replace: 1, prune: 1, unchanged: 1, foreign: 1 });
    expect(json.changes).toBe(true);
    expect(json.actions[4]).toMatchObject({ action: 'foreign', kind: 'ConfigMap', name: 'q-plan', blocks: true });
  });

  it('Markdown: a summary table, an escaped action table and collapsible diffs', () => {
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('| 1 | 1 | 1 | 1 | 1 | 0 | 1 |');
    expect(md).toContain('| foreign | `ConfigMap/q-plan` |  | taken \\| by &#60;helm&#62; |');
    expect(md).toContain(
      '<details><summary>update <code>ConfigMap/p-plan</code></summary>\n\n```diff\ndata["task.a.yaml"]:\n-   backoffLimit: 0\n+   backoffLimit: 1\n',
    );
    expect(md).toContain('**Apply would refuse this plan');
    const fenced = renderPlanMarkdown({
      namespace: 'ns',
      actions: [
        {
          type: 'update',
          ref: ref('ConfigMap', 'a'),
          changes: [{ path: 'data.k', before: 'a\n```x\n', after: 'b\n```y\n' }],
        },
      ],
    });
    expect(fenced).toContain('````diff');
  });
});

describe('desiredFromFiles', () => {
  const spec = `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata: { name: p, version: 1.0.0, owner: a }
spec:
  schedule: "0 5 * * *"
  defaults: { image: "alpine:3.21" }
  tasks:
    a: { command: [echo, a] }
    b: { command: [echo, b], needs: [a] }
`;
  it('reads every object of a compiled file with its pipeline and spec hash', () => {
    const result = compileSources([{ file: 'pipelines/p.yaml', source: spec }], {
      targets: ['k8s'],
      outDir: 'generated',
    });
    const text = result.files.get('k8s/p.yaml')!;
    const desired = desiredFromFiles([{ path: 'generated/k8s/p.yaml', text }]);
    expect(desired.map((d) => `${d.object.kind}/${d.object.metadata.name}`)).toEqual([
      'ServiceAccount/p-runner',
      'Role/p-runner',
      'RoleBinding/p-runner',
      'ConfigMap/p-plan',
      'CronJob/p',
    ]);
    expect(desired.every((d) => d.pipeline === 'p' && /^[0-9a-f]{64}$/.test(d.specHash ?? ''))).toBe(true);
  });

  it('refuses malformed files, namespaced objects and duplicates, naming the file', () => {
    expect(() => desiredFromFiles([{ path: 'x.yaml', text: 'kind: [' }])).toThrow(DesiredError);
    expect(() => desiredFromFiles([{ path: 'x.yaml', text: 'a: 1\n' }])).toThrow(
      /x.yaml: document 1 is not a Kubernetes object/,
    );
    const ns = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n';
    expect(() => desiredFromFiles([{ path: 'x.yaml', text: ns }])).toThrow(/sets metadata.namespace/);
    const one = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';
    expect(() =>
      desiredFromFiles([
        { path: 'x.yaml', text: one },
        { path: 'y.yaml', text: one },
      ]),
    ).toThrow(/y.yaml: ConfigMap a is also generated by x.yaml/);
  });
});
