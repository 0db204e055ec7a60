/**
 * The daemon's read-only HTTP endpoints (node:http, loopback by default):
 *   /healthz      200 while the process serves requests
 *   /readyz       200 when the last cycle succeeded, else 503 with the reason
 *   /metrics      Prometheus text format (the src/observe registry)
 *   /status.json  the status the page shows, as JSON
 *   /             a small HTML status page; every value is HTML-escaped
 * Anything else is 404; methods other than GET/HEAD are 405.
 */
import { createServer, type Server } from 'node:http';
import { metricsHandler } from '../observe/http.js';
import type { PipewrightMetrics } from '../observe/metrics.js';
import type { DaemonStatus } from './daemon.js';

export interface HttpSources {
  status(): DaemonStatus;
  ready(): boolean;
  /** The one registry (src/observe), served by its own handler. */
  metrics?: PipewrightMetrics;
  now(): Date;
}

export class ListenError extends Error {
  override name = 'ListenError';
}

/** `host:port` (IPv6 in brackets). Returns the parts or a reason. */
export function parseListen(text: string): { host: string; port: number } | string {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) return `--listen must be host:port, e.g. 127.0.0.1:9464 (got '${text}')`;
  return { host: (m[1] ?? m[2])!, port };
}

export function startHttp(listen: { host: string; port: number }, sources: HttpSources): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res
          .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
          .end('method not allowed\n');
        return;
      }
      const send = (code: number, type: string, body: string) => {
        res.writeHead(code, {
          'content-type': type,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          ...(type.startsWith('text/html')
            ? { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" }
            : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      switch (url.pathname) {
        case '/healthz':
          return send(200, 'text/plain; charset=utf-8', 'ok\n');
        case '/readyz': {
          if (sources.ready()) return send(200, 'text/plain; charset=utf-8', 'ready\n');
          const last = sources.status().lastCycle;
          return send(
            503,
            'text/plain; charset=utf-8',
            `not ready: ${last ? `last cycle failed (${last.stage}): ${last.error}` : 'no cycle finished yet'}\n`,
          );
        }
        case '/metrics':
          if (!sources.metrics) return send(404, 'text/plain; charset=utf-8', 'no metrics registry\n');
          return metricsHandler(sources.metrics)(req, res);
        case '/status.json':
          return send(200, 'application/json; charset=utf-8', `${JSON.stringify(sources.status(), null, 2)}\n`);
        case '/':
          return send(200, 'text/html; charset=utf-8', renderStatusPage(sources.status(), sources.now()));
        default:
          return send(404, 'text/plain; charset=utf-8', 'not found\n');
      }
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${(error as Error).message}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ListenError(`cannot listen on ${listen.host}:${listen.port}: ${error.code ?? error.message}`)),
    );
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}

/** HTML-escape a value (text and attribute positions). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"'`]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!,
  );
}

export function renderStatusPage(status: DaemonStatus, now: Date): string {
  const e = escapeHtml;
  const cycle = status.lastCycle;
  const rows = status.pipelines
    .map((p) => {
      const last = p.lastRun;
      const state = !p.enabled ? 'disabled' : !p.schedule ? 'manual' : p.problem ? 'error' : 'scheduled';
      return `<tr><td>${e(p.name)}</td><td>${e(state)}${p.problem ? `<br><small>${e(p.problem)}</small>` : ''}</td><td>${e(p.schedule ?? '—')}${p.timezone ? ` <small>${e(p.timezone)}</small>` : ''}</td><td>${e(p.nextDue ?? '—')}</td><td>${last ? `${e(last.ds)} ${e(last.status)} <small>${e(last.runId)}</small>` : '—'}</td><td>${e(p.active)} / ${e(p.concurrency)}${p.queued ? ` (+${e(p.queued)} queued)` : ''}</td><td>${p.slaSeconds === undefined ? '—' : p.slaMissed > 0 ? `<b>${e(p.slaMissed)} missed</b>` : 'ok'}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pipewright reconcile</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.bad{color:#b00}</style></head>
<body><h1>pipewright reconcile</h1>
<p>Following <code>${e(status.ref)}</code> of <code>${e(status.source)}</code>, target <b>${e(status.target)}</b>, at ${e(now.toISOString())}.</p>
<p>Serving commit: <code>${e(status.lastGood?.commit ?? 'none yet')}</code>${status.lastGood ? ` (since ${e(status.lastGood.at)})` : ''}</p>
${status.refused ? `<p class="bad">Refused commit <code>${e(status.refused.commit)}</code>:</p><pre class="bad">${e(status.refused.reasons.join('\n'))}</pre>` : ''}
<p>Last cycle: ${cycle ? `${cycle.ok ? 'ok' : `<span class="bad">failed (${e(cycle.stage)}): ${e(cycle.error)}</span>`} at ${e(cycle.at)} in ${e(cycle.durationMs)} ms` : 'none yet'}</p>
<table><thead><tr><th>pipeline</th><th>state</th><th>schedule</th><th>next due</th><th>last run</th><th>active</th><th>SLA</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${status.removed.length ? `<p>Removed from the branch (unscheduled): ${status.removed.map(e).join(', ')}</p>` : ''}
</body></html>
`;
}
