/**
 * The `/metrics` endpoint: a node:http request handler serving the registry's exposition, for the reconcile daemon's
 * HTTP server (and anything else that serves pipewright's metrics).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PipewrightMetrics } from './metrics.js';

export function metricsHandler(metrics: PipewrightMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return;
    }
    metrics.exposition().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${error.message}\n`);
      },
    );
  };
}
