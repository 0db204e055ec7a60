import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunState, saveRunState } from '../../src/runtime/state.js';
import { runCliCapture } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-runs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function state(runId: string, pipeline: string, status: RunState['status'], createdAt: string): RunState {
  return {
    schemaVersion: 1,
    runId,
    pipeline,
    version: '2.0.0',
    specHash: 'e'.repeat(64),
    logicalDate: `${runId.slice(0, 4)}-${runId.slice(4, 6)}-${runId.slice(6, 8)}`,
    executor: 'local',
    params: {},
    artifact: 'generated/compose/x.compose.yaml',
    status,
    createdAt,
    updatedAt: createdAt,
    runner: { pid: 999_999_999, host: 'h' },
    rounds: 1,
    tasks: {
      a: { type: 'task', status: 'succeeded', attempts: [] },
      b: { type: 'check', status: status === 'running' ? 'running' : status, attempts: [] },
    },
  };
}

describe('pipewright runs', () => {
  it('lists runs oldest first; a running run without a live runner is interrupted', async () => {
    const runsDir = join(dir, '.pipewright', 'runs');
    saveRunState(runsDir, state('20240102-00000002', 'orders', 'failed', '2024-03-01T10:00:02.000Z'));
    saveRunState(runsDir, state('20240101-00000001', 'orders', 'succeeded', '2024-03-01T10:00:01.000Z'));
    saveRunState(runsDir, state('20240103-00000003', 'billing', 'running', '2024-03-01T10:00:03.000Z'));
    // its runner's pid now belongs to another process (this one, started at another time): still interrupted
    writeFileSync(join(runsDir, '20240103-00000003', 'runner.lock'), `${process.pid} 1\n`);
    const result = await runCliCapture(['runs'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'RUN                PIPELINE  VERSION  DATE        EXECUTOR  STATUS       TASKS  STARTED',
        '20240101-00000001  orders    2.0.0    2024-01-01  local     succeeded    2/2    2024-03-01T10:00:01Z',
        '20240102-00000002  orders    2.0.0    2024-01-02  local     failed       1/2    2024-03-01T10:00:02Z',
        '20240103-00000003  billing   2.0.0    2024-01-03  local     interrupted  1/2    2024-03-01T10:00:03Z',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(
      (await runCliCapture(['runs', '--pipeline', 'orders', '--limit', '1', '--format', 'json'], { cwd: dir })).stdout,
    );
    expect(json).toEqual([
      {
        runId: '20240102-00000002',
        pipeline: 'orders',
        version: '2.0.0',
        logicalDate: '2024-01-02',
        executor: 'local',
        status: 'failed',
        tasksSucceeded: 1,
        tasks: 2,
        createdAt: '2024-03-01T10:00:02.000Z',
        finishedAt: null,
        slaMissed: null,
      },
    ]);
  });

  it('says so when nothing was recorded; bad usage exits 2', async () => {
    expect(await runCliCapture(['runs'], { cwd: dir })).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^no runs recorded/),
    });
    expect((await runCliCapture(['runs', '--limit', 'x'], { cwd: dir })).code).toBe(2);
  });
});
