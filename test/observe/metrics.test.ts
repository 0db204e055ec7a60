import { describe, expect, it } from 'vitest';
import { labelValue, PipewrightMetrics } from '../../src/observe/metrics.js';
import { promtool } from './promtool.js';

/** Every metric the issue names, by its exposed name. */
const NAMES = [
  'pipewright_runs_total',
  'pipewright_run_duration_seconds',
  'pipewright_task_duration_seconds',
  'pipewright_last_success_timestamp_seconds',
  'pipewright_last_run_timestamp_seconds',
  'pipewright_last_run_success',
  'pipewright_pipeline_expected_interval_seconds',
  'pipewright_task_retries_total',
  'pipewright_sla_misses_total',
  'pipewright_quality_gate_failures_total',
  'pipewright_reconcile_cycles_total',
  'pipewright_reconcile_errors_total',
  'pipewright_reconcile_duration_seconds',
  'pipewright_reconcile_last_success_timestamp_seconds',
  'pipewright_apply_actions_total',
  'pipewright_objects_in_drift',
  'pipewright_scheduler_lag_seconds',
  'pipewright_generated_stale_files',
];

function populated(): PipewrightMetrics {
  const m = new PipewrightMetrics();
  m.observeTask({
    pipeline: 'daily-orders',
    task: 'extract',
    status: 'succeeded',
    durationSeconds: 12.5,
    retries: 1,
    qualityGateFailed: false,
  });
  m.observeTask({
    pipeline: 'daily-orders',
    task: 'row-count',
    status: 'failed',
    durationSeconds: 2,
    retries: 0,
    qualityGateFailed: true,
  });
  m.observeTask({
    pipeline: 'daily-orders',
    task: 'load',
    status: 'upstream_failed',
    durationSeconds: 0,
    retries: 0,
    qualityGateFailed: false,
  });
  m.observeRun({
    pipeline: 'daily-orders',
    status: 'failed',
    durationSeconds: 15,
    finishedAtMs: 1_700_000_000_000,
    slaMissed: true,
  });
  m.observeRun({
    pipeline: 'hourly-events',
    status: 'succeeded',
    durationSeconds: 3,
    finishedAtMs: 1_700_000_100_000,
    slaMissed: false,
  });
  m.setExpectedInterval('daily-orders', 86_400);
  m.observeSchedulerLag('daily-orders', 4.2);
  m.observeReconcile({ durationSeconds: 0.8, finishedAtMs: 1_700_000_000_000 });
  m.observeReconcile({ durationSeconds: 0.3, errorStage: 'git', finishedAtMs: 1_700_000_060_000 });
  m.observeApplyAction('kubernetes', 'CronJob', 'create');
  m.observeApplyAction('kubernetes', 'ConfigMap', 'prune');
  m.setDrift('kubernetes', { CronJob: 1, Job: 0 });
  m.setGeneratedStale(0);
  return m;
}

describe('metrics registry', () => {
  it('exposes every metric the issue names, and promtool check metrics accepts the exposition', async () => {
    const text = await populated().exposition();
    for (const name of NAMES) expect(text).toContain(`# TYPE ${name} `);
    const check = promtool(['check', 'metrics'], text);
    // promtool prints lint problems on stdout/stderr and exits 3 for lint findings, 1 for parse errors.
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });
  });

  it('keeps a series per pipeline, not per run: many runs on many dates add no series', async () => {
    const m = new PipewrightMetrics();
    const once = async (day: number) => {
      m.observeRun({
        pipeline: 'daily-orders',
        status: day % 3 === 0 ? 'failed' : 'succeeded',
        durationSeconds: day,
        finishedAtMs: Date.UTC(2024, 0, day),
        slaMissed: day % 5 === 0,
      });
      m.observeTask({
        pipeline: 'daily-orders',
        task: 'extract',
        status: 'succeeded',
        durationSeconds: 1,
        retries: 0,
        qualityGateFailed: false,
      });
      return (await m.exposition()).split('\n').filter((l) => l && !l.startsWith('#')).length;
    };
    const after3 = [await once(1), await once(2), await once(3)].at(-1);
    for (let d = 4; d <= 30; d++) await once(d);
    const after30 = await once(31);
    expect(after30).toBe(after3);
    const text = await m.exposition();
    expect(text).toContain('pipewright_runs_total{pipeline="daily-orders",status="failed"} 10');
    expect(text).toContain('pipewright_sla_misses_total{pipeline="daily-orders"} 6');
    expect(text).not.toMatch(/2024|run_id|runId/);
  });

  it('refuses run ids, dates and UUIDs as label values, and values outside closed sets', () => {
    expect(() => labelValue('20240115-1a2b3c4d')).toThrow(/unbounded cardinality/);
    expect(() => labelValue('2024-01-15')).toThrow(/unbounded cardinality/);
    expect(() => labelValue('0b7c1f7e-4a8e-4f7d-9a43-3c2b5d1e6f70')).toThrow(/unbounded cardinality/);
    expect(labelValue('daily-orders')).toBe('daily-orders');
    const m = new PipewrightMetrics();
    expect(() =>
      m.observeRun({
        pipeline: 'x',
        status: 'weird' as 'failed',
        durationSeconds: 1,
        finishedAtMs: 0,
        slaMissed: false,
      }),
    ).toThrow(/not one of/);
    expect(() => m.observeApplyAction('kubernetes', 'Job', 'explode' as 'create')).toThrow(/not one of/);
  });

  it('exposes zero-valued series for counters so alerts see a failure on the first increase', async () => {
    const m = new PipewrightMetrics();
    m.observeRun({ pipeline: 'p', status: 'succeeded', durationSeconds: 1, finishedAtMs: 1000, slaMissed: false });
    const text = await m.exposition();
    expect(text).toContain('pipewright_runs_total{pipeline="p",status="failed"} 0');
    expect(text).toContain('pipewright_sla_misses_total{pipeline="p"} 0');
    expect(text).toContain('pipewright_last_run_success{pipeline="p"} 1');
    expect(text).toContain('pipewright_last_success_timestamp_seconds{pipeline="p"} 1');
  });
});
