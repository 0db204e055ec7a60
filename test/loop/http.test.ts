import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/loop/daemon.js';
import { escapeHtml, parseListen, renderStatusPage, startHttp } from '../../src/loop/http.js';
import { PipewrightMetrics } from '../../src/observe/metrics.js';

const hostile = '<script>alert(1)</script>"\'`&';
const status: DaemonStatus = {
  source: `/repo/${hostile}`,
  ref: 'main',
  target: 'docker',
  lastGood: { commit: 'a'.repeat(40), at: '2026-01-01T00:00:00.000Z' },
  refused: { commit: 'b'.repeat(40), reasons: [`pipelines/x.yaml:1:1: error: ${hostile} [PW001]`] },
  lastCycle: { ok: false, at: '2026-01-01T00:00:00.000Z', durationMs: 5, stage: 'compile', error: hostile },
  pipelines: [
    {
      name: 'daily',
      enabled: true,
      schedule: '0 5 * * *',
      timezone: 'Europe/Berlin',
      catchup: false,
      concurrency: 1,
      slaSeconds: 3600,
      nextDue: '2026-01-02T04:00:00.000Z',
      active: 0,
      queued: 0,
      slaMissed: 1,
      problem: hostile,
    },
  ],
  removed: [],
};

describe('status page', () => {
  it('escapes every value (refused reasons, errors, paths, problems)', () => {
    const html = renderStatusPage(status, new Date('2026-01-01T00:00:00Z'));
    expect(html).not.toContain('<script>');
    expect(html).toContain(escapeHtml(hostile));
    expect(escapeHtml(hostile)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;&amp;');
    expect(html).toContain('1 missed');
    expect(html).toContain('2026-01-02T04:00:00.000Z');
  });

  it('parses --listen and refuses what is not host:port', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('9464')).toMatch(/host:port/);
    expect(parseListen('localhost:70000')).toMatch(/host:port/);
  });
});

describe('HTTP endpoints (a real server on loopback)', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('serves /healthz, /readyz, /metrics, /status.json and /, read-only', async () => {
    let ready = false;
    const metrics = new PipewrightMetrics();
    metrics.observeReconcile({ durationSeconds: 0.1, finishedAtMs: 0 });
    server = await startHttp(
      { host: '127.0.0.1', port: 0 },
      { status: () => status, ready: () => ready, now: () => new Date(), metrics },
    );
    const port = (server.address() as { port: number }).port;
    const get = async (path: string, method = 'GET') => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
    };
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toContain('last cycle failed (compile)');
    ready = true;
    expect((await get('/readyz')).status).toBe(200);
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('pipewright_reconcile_cycles_total{result="ok"} 1');
    expect(JSON.parse((await get('/status.json')).body)).toEqual(status);
    expect((await get('/')).type).toBe('text/html; charset=utf-8');
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/', 'POST')).status).toBe(405);
  });

  it('reports an address in use as a ListenError', async () => {
    server = await startHttp(
      { host: '127.0.0.1', port: 0 },
      { status: () => status, ready: () => true, now: () => new Date() },
    );
    const port = (server.address() as { port: number }).port;
    await expect(
      startHttp({ host: '127.0.0.1', port }, { status: () => status, ready: () => true, now: () => new Date() }),
    ).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  });
});
