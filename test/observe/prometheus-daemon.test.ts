import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DaemonProcess, dailySpec, makeOrigin, tempRoot, until } from '../loop/support.js';
import { binary, freePort, promtool, startDaemon } from './promtool.js';

let root: string;
beforeEach(() => {
  root = tempRoot('pw-obs-daemon-');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('a real Prometheus server scraping the running reconcile daemon', () => {
  it('scrapes /metrics (promtool-clean) and answers a query about the daemon’s reconcile cycles', async () => {
    const origin = makeOrigin(root);
    // Disabled: the daemon follows and verifies the repository, schedules nothing (no engine work needed).
    origin.write('quiet', dailySpec('quiet', '  schedule: "0 5 * * *"\n  enabled: false'));
    origin.compile();
    origin.commit('a disabled pipeline');
    const daemon = DaemonProcess.start(origin.dir, [
      '--repo',
      origin.dir,
      '--interval',
      '1s',
      '--state-dir',
      join(root, 'state'),
    ]);
    let prometheus: Awaited<ReturnType<typeof startDaemon>> | undefined;
    try {
      await until(async () => (await daemon.get('/readyz')).status === 200, 60_000, 'the daemon to be ready');
      const exposition = (await daemon.get('/metrics')).body;
      expect(exposition).toContain('# TYPE pipewright_reconcile_cycles_total counter');
      const check = promtool(['check', 'metrics'], exposition);
      expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });

      const port = await freePort();
      const config = join(root, 'prometheus.yml');
      writeFileSync(
        config,
        stringify({
          global: { scrape_interval: '1s' },
          scrape_configs: [{ job_name: 'pipewright', static_configs: [{ targets: [`127.0.0.1:${daemon.port}`] }] }],
        }),
      );
      prometheus = await startDaemon(
        binary('prometheus'),
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(root, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        `http://127.0.0.1:${port}/-/ready`,
        60_000,
      );
      let value = '';
      await until(
        async () => {
          const r = (await (
            await fetch(
              `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('sum(pipewright_reconcile_cycles_total{job="pipewright",result="ok"})')}`,
            )
          ).json()) as { data: { result: { value: [number, string] }[] } };
          value = r.data.result[0]?.value[1] ?? '';
          return value !== '' && Number(value) >= 1;
        },
        60_000,
        'Prometheus to have scraped a successful reconcile cycle',
      );
      expect(Number(value)).toBeGreaterThanOrEqual(1);
    } finally {
      await prometheus?.stop();
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
