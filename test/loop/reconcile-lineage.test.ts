/**
 * Runs the reconcile daemon starts emit OpenLineage events like `pipewright run` does (issue 15): a real daemon
 * process (--once), a real git repository and the real engine; the events go to the standard file transport set by
 * the OpenLineage environment variables, and each one validates against the vendored official schema.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipelineRunUuid, taskRunUuid } from '../../src/observe/lineage/ids.js';
import { LABEL } from '../../src/runtime/docker-executor.js';
import { openLineageProblems } from '../observe/openlineage-schema.js';
import { removeContainer, testEngine } from '../runtime/support.js';
import { DaemonProcess, dailySpec, day, makeOrigin, readState, tempRoot } from './support.js';

interface LineageEvent extends Record<string, unknown> {
  eventType: string;
  run: { runId: string; facets: { nominalTime: { nominalStartTime: string } } };
  job: { name: string };
}

const engine = await testEngine();
const root = tempRoot('pw-loop-lineage-');

afterAll(async () => {
  if (engine) {
    const list = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.managedBy}=pipewright`] },
    });
    for (const c of list) {
      if ((c.Labels[LABEL.pipeline] ?? '') === 'll-a') await removeContainer(engine.docker, c.Id);
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!engine)('reconcile daemon: OpenLineage events of the runs it starts', () => {
  it('START and COMPLETE per run and per task, with the run ids of the daemon state', {
    timeout: 120_000,
  }, async () => {
    const origin = makeOrigin(root);
    origin.write(
      'll-a',
      dailySpec('ll-a', `  schedule: "0 0 * * *"\n  catchup: true\n  concurrency: 2\n  startDate: "${day(-2)}"`),
    );
    origin.compile();
    origin.commit('add ll-a');
    const stateDir = join(root, 'state');
    const events = join(root, 'lineage.jsonl');
    const d = DaemonProcess.start(root, ['--repo', origin.dir, '--ref', 'main', '--state-dir', stateDir, '--once'], {
      OPENLINEAGE__TRANSPORT__TYPE: 'file',
      OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: events,
    });
    expect(await d.exited).toEqual({ code: 0, signal: null });

    const runs = readState(stateDir).pipelines['ll-a']?.runs ?? [];
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(existsSync(events)).toBe(true);
    const lines = readFileSync(events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LineageEvent);
    for (const e of lines) expect(openLineageProblems(e)).toEqual([]);
    for (const r of runs) {
      const of = (uuid: string) => lines.filter((e) => e.run.runId === uuid).map((e) => e.eventType);
      expect(of(pipelineRunUuid(r.runId))).toEqual(['START', 'COMPLETE']);
      expect(of(taskRunUuid(r.runId, 'main'))).toEqual(['START', 'COMPLETE']);
      const start = lines.find((e) => e.run.runId === pipelineRunUuid(r.runId))!;
      expect(start.job.name).toBe('ll-a');
      expect(start.run.facets.nominalTime.nominalStartTime.slice(0, 10)).toBe(r.ds);
    }
  });
});
