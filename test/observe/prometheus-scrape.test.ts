import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { metricsHandler } from '../../src/observe/http.js';
import { PipewrightMetrics } from '../../src/observe/metrics.js';
import { binary, freePort, startDaemon } from './promtool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-obs-prom-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface QueryResult {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe('a real Prometheus server scraping pipewright /metrics on loopback', () => {
  it('scrapes the registry through metricsHandler and answers PromQL about it', async () => {
    const metrics = new PipewrightMetrics();
    metrics.observeRun({
      pipeline: 'daily-orders',
      status: 'failed',
      durationSeconds: 12,
      finishedAtMs: Date.now(),
      slaMissed: false,
    });
    metrics.observeReconcile({ durationSeconds: 0.2, finishedAtMs: Date.now() });
    const server: Server = createServer(metricsHandler(metrics));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        scrape_configs: [{ job_name: 'pipewright', static_configs: [{ targets: [target] }] }],
      }),
    );
    const prometheus = await startDaemon(
      binary('prometheus'),
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
      ],
      `http://127.0.0.1:${port}/-/ready`,
      60_000,
    );
    try {
      const query = async (q: string): Promise<QueryResult> =>
        (await (
          await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)
        ).json()) as QueryResult;
      // Bounded wait for the first scrapes (1 s interval).
      let result: QueryResult | undefined;
      for (let i = 0; i < 60; i++) {
        result = await query('pipewright_runs_total{status="failed"}');
        if (result.data.result.length > 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(result?.status).toBe('success');
      expect(result?.data.result.map((r) => [r.metric, r.value[1]])).toEqual([
        [
          {
            __name__: 'pipewright_runs_total',
            instance: target,
            job: 'pipewright',
            pipeline: 'daily-orders',
            status: 'failed',
          },
          '1',
        ],
      ]);
      // The scrape itself was healthy, and a later change is seen by the next scrape.
      expect((await query(`up{job="pipewright"}`)).data.result[0]?.value[1]).toBe('1');
      metrics.observeRun({
        pipeline: 'daily-orders',
        status: 'succeeded',
        durationSeconds: 3,
        finishedAtMs: Date.now(),
        slaMissed: false,
      });
      let success = '';
      for (let i = 0; i < 60 && success !== '1'; i++) {
        success = (await query('pipewright_last_run_success')).data.result[0]?.value[1] ?? '';
        if (success !== '1') await new Promise((r) => setTimeout(r, 500));
      }
      expect(success).toBe('1');
    } finally {
      await prometheus.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
