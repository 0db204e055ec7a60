/** The release runner's pure parts: Job names, the Job of an attempt, state rebuilt from Jobs, due dates. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSources } from '../../src/emit/compile.js';
import { desiredFromFiles } from '../../src/reconcile/desired.js';
import { dateIn, dueDates } from '../../src/release/dates.js';
import { jobForAttempt, jobName, parseRunPlan, releaseRunId, stateFromJobs } from '../../src/release/run-plan.js';
import type { RunState } from '../../src/runtime/state.js';
import { isRunId } from '../../src/runtime/state.js';

const spec = `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata: { name: p, version: 1.0.0, owner: a }
spec:
  params: { region: { default: eu } }
  defaults: { image: "alpine:3.21", retries: 2, retryDelay: 5s, timeout: 1m }
  tasks:
    a: { command: [echo, "{{ ds }}", "{{ params.region }}"] }
    gate: { type: check, command: [test], needs: [a] }
`;

function loaded() {
  const result = compileSources([{ file: 'pipelines/p.yaml', source: spec }], {
    targets: ['k8s'],
    outDir: 'generated',
  });
  const desired = desiredFromFiles([{ path: 'k8s/p.yaml', text: result.files.get('k8s/p.yaml')! }]);
  const cm = desired.find((d) => d.object.kind === 'ConfigMap')!.object;
  return parseRunPlan('ns/p-plan', cm.data as Record<string, string>);
}

describe('parseRunPlan', () => {
  it('reads tasks, needs, retries, delays, timeouts and types from the templates', () => {
    const { plan, templates } = loaded();
    expect(plan.tasks.map((t) => [t.id, t.type, t.needs, t.retries, t.retryDelaySeconds, t.timeoutSeconds])).toEqual([
      ['a', 'task', [], 2, 5, 60],
      ['gate', 'check', ['a'], 2, 5, 60],
    ]);
    expect(plan.params).toEqual([{ name: 'region', env: 'PIPEWRIGHT_PARAM_REGION', default: 'eu' }]);
    expect(templates.get('a')!.spec.backoffLimit).toBe(0);
  });

  it('names each problem', () => {
    expect(() => parseRunPlan('ns/x', {})).toThrow('run plan ns/x has no pipeline.yaml');
    expect(() => parseRunPlan('ns/x', { 'pipeline.yaml': 'a: [' })).toThrow(/pipeline.yaml: not valid YAML/);
  });
});

describe('jobForAttempt', () => {
  it('fills the PIPEWRIGHT_* values (escaped), names and labels the Job, keeps secrets as references', () => {
    const { templates } = loaded();
    const job = jobForAttempt(templates.get('a')!, {
      name: 'n',
      namespace: 'ns',
      pipeline: 'p',
      taskId: 'a',
      logicalDate: '2024-01-15',
      attempt: 2,
      runId: 'r',
      specHash: 'h',
      vars: { PIPEWRIGHT_DS: '2024-01-15', PIPEWRIGHT_PARAM_REGION: 'e$(u)' },
    });
    expect(job.metadata).toMatchObject({
      name: 'n',
      namespace: 'ns',
      labels: { 'pipewright.dev/attempt': '2', 'pipewright.dev/logical-date': '2024-01-15' },
    });
    expect(job.spec.template.spec.containers[0].env).toEqual([
      { name: 'PIPEWRIGHT_DS', value: '2024-01-15' },
      { name: 'PIPEWRIGHT_PARAM_REGION', value: 'e$$(u)' },
    ]);
    expect(templates.get('a')!.metadata.name).toBeUndefined();
  });
});

describe('names', () => {
  it('property: Job names are DNS-1123 labels of at most 63 characters, stable and distinct per attempt', () => {
    const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,62}$/).filter((s) => !s.endsWith('-'));
    fc.assert(
      fc.property(id, id, fc.integer({ min: 1, max: 99 }), (p, t, n) => {
        const name = jobName(p, t, '2024-01-15', n);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        expect(jobName(p, t, '2024-01-15', n)).toBe(name);
        expect(jobName(p, t, '2024-01-15', n + 1)).not.toBe(name);
      }),
    );
    expect(isRunId(releaseRunId('p', '2024-01-15'))).toBe(true);
    expect(releaseRunId('p', '2024-01-15')).toBe(releaseRunId('p', '2024-01-15'));
  });
});

describe('stateFromJobs', () => {
  const base = { tasks: {} } as RunState;
  const job = (task: string, n: number, condition?: string, reason?: string) => ({
    metadata: {
      name: `${task}-${n}`,
      creationTimestamp: '2024-01-15T00:00:00Z',
      labels: { 'pipewright.dev/task': task, 'pipewright.dev/attempt': String(n) },
      annotations: { 'pipewright.dev/task': task },
    },
    status: condition
      ? { conditions: [{ type: condition, status: 'True', reason }], completionTime: '2024-01-15T00:01:00Z' }
      : {},
  });
  it('succeeded stays succeeded, failed rounds are history, a running attempt is adopted', () => {
    const { plan } = loaded();
    const state = stateFromJobs(base, plan, [job('a', 1, 'Failed'), job('a', 2, 'Complete'), job('gate', 1)]);
    expect(state.tasks.a).toMatchObject({
      status: 'succeeded',
      attempts: [
        { n: 1, outcome: { exitCode: 1 } },
        { n: 2, outcome: { exitCode: 0 } },
      ],
    });
    expect(state.tasks.gate).toMatchObject({ status: 'running', attempts: [{ n: 1, ref: { job: 'gate-1' } }] });
    expect(state.tasks.gate!.attempts[0]!.outcome).toBeUndefined();
    const timedOut = stateFromJobs(base, plan, [job('a', 1, 'Failed', 'DeadlineExceeded')]);
    expect(timedOut.tasks.a).toMatchObject({ status: 'failed', attempts: [{ outcome: { timedOut: true } }] });
    expect(stateFromJobs(base, plan, []).tasks.a).toMatchObject({ status: 'pending', attempts: [] });
  });
});

describe('dueDates', () => {
  const now = new Date('2024-03-10T06:30:00Z');
  it('the latest tick only, or every tick since startDate with catchup, in the time zone', () => {
    expect(
      dueDates({ schedule: '0 5 * * *', timezone: 'UTC', catchup: false }, now, '0000-00-00').map((d) => d.date),
    ).toEqual(['2024-03-10']);
    expect(
      dueDates(
        { schedule: '0 5 * * *', timezone: 'UTC', catchup: true, startDate: '2024-03-08' },
        now,
        '0000-00-00',
      ).map((d) => d.date),
    ).toEqual(['2024-03-08', '2024-03-09', '2024-03-10']);
    // 07:00 in Tokyo is 22:00 UTC the day before: at 06:30 UTC on the 10th the latest tick is the 10th's, in Tokyo.
    expect(
      dueDates({ schedule: '0 7 * * *', timezone: 'Asia/Tokyo', catchup: false }, now, '0000-00-00').map((d) => d.date),
    ).toEqual(['2024-03-10']);
    expect(
      dueDates(
        { schedule: '0 5 * * *', timezone: 'UTC', catchup: true, startDate: '2024-01-01' },
        now,
        '2024-03-09',
      ).map((d) => d.date),
    ).toEqual(['2024-03-09', '2024-03-10']);
    expect(dueDates({ timezone: 'UTC', catchup: true }, now, '0000-00-00')).toEqual([]);
    expect(dateIn(new Date('2024-03-09T23:30:00Z'), 'Europe/Berlin')).toBe('2024-03-10');
  });
});
