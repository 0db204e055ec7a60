/**
 * A small Kubernetes API client over node:https (keep-alive agent): JSON requests, server-side apply patches and
 * watches. Plain HTTPS instead of @kubernetes/client-node: the reconciler needs exact control of every request (a
 * no-op apply must make zero writes, dry-runs and force are query flags) and the watch loop re-lists on 410 itself;
 * client-node 1.x would add its fetch stack (and an undici override on Node 20) for a handful of calls.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ClusterAccess } from './kubeconfig.js';

/** The API server could not be reached or did not answer in time. */
export class KubeUnreachableError extends Error {
  override name = 'KubeUnreachableError';
}

/** An API error with its HTTP status and the Status object's reason/message. */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** A GET of a collection (counted as a list). */
  list?: boolean;
  /** The Accept header (default application/json), e.g. a metadata-only list (PartialObjectMetadataList). */
  accept?: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

/** Counts of requests by verb: how tests prove that a no-op apply writes nothing. */
export interface RequestCounts {
  get: number;
  list: number;
  watch: number;
  dryRun: number;
  write: number;
}

function statusOf(body: unknown, status: number): { reason: string; message: string } {
  if (body && typeof body === 'object' && (body as { kind?: string }).kind === 'Status') {
    const s = body as { reason?: string; message?: string };
    return { reason: s.reason ?? String(status), message: s.message ?? `HTTP ${status}` };
  }
  return { reason: String(status), message: typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${status}` };
}

export class KubeClient {
  readonly counts: RequestCounts = { get: 0, list: 0, watch: 0, dryRun: 0, write: 0 };
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly url: URL;

  constructor(readonly access: ClusterAccess) {
    this.url = new URL(access.server);
    this.agent =
      this.url.protocol === 'http:'
        ? new HttpAgent({ keepAlive: true, maxSockets: 16 })
        : new HttpsAgent({
            keepAlive: true,
            maxSockets: 16,
            ...(access.ca ? { ca: access.ca } : {}),
            ...(access.cert ? { cert: access.cert } : {}),
            ...(access.key ? { key: access.key } : {}),
            rejectUnauthorized: !access.insecure,
          });
  }

  close(): void {
    this.agent.destroy();
  }

  private open(method: string, path: string, options: RequestOptions, payload?: string) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query.set(k, v);
    const qs = query.toString();
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.access.token) headers.authorization = `Bearer ${this.access.token}`;
    if (payload !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      // Always a length: Node sends a DELETE body without one (no chunking for DELETE), and the server would read
      // the body as the next request on the keep-alive socket.
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const send = this.url.protocol === 'http:' ? httpRequest : httpsRequest;
    return send({
      protocol: this.url.protocol,
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port || (this.url.protocol === 'http:' ? 80 : 443),
      method,
      path: `${this.url.pathname.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`,
      headers,
      agent: this.agent,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  private count(method: string, options: RequestOptions): void {
    if (method === 'GET') this.counts[options.list ? 'list' : 'get']++;
    else this.counts[options.query?.dryRun ? 'dryRun' : 'write']++;
  }

  /** One request; resolves with any HTTP status (callers decide), rejects only when the server cannot be reached. */
  request(method: string, path: string, options: RequestOptions = {}): Promise<KubeResponse> {
    this.count(method, options);
    const payload =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = this.open(method, path, options, payload);
      req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        reject(
          new KubeUnreachableError(
            `cannot reach the Kubernetes API server at ${this.access.server} (${this.access.source}): ${e.code ?? e.message}`,
          ),
        );
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) =>
          reject(
            new KubeUnreachableError(`the API server at ${this.access.server} dropped the connection: ${e.message}`),
          ),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text for the message
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.end(payload);
    });
  }

  /** A request that must succeed (2xx): its body, else a KubeApiError with the server's reason and message. */
  async ok<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    if (res.status >= 200 && res.status < 300) return res.body as T;
    const { reason, message } = statusOf(res.body, res.status);
    throw new KubeApiError(res.status, reason, message);
  }

  /**
   * A watch stream: calls `onEvent` for each event until the server ends it, the signal aborts or an ERROR event
   * arrives (returned, e.g. 410 Gone: the caller re-lists). Resolves with how it ended.
   */
  watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (event: WatchEvent) => void,
    signal?: AbortSignal,
  ): Promise<{ ended: 'closed' | 'aborted' } | { ended: 'error'; status: number; message: string }> {
    this.counts.watch++;
    return new Promise((resolve, reject) => {
      const req = this.open('GET', path, {
        query: { ...query, watch: '1', allowWatchBookmarks: 'true' },
        ...(signal ? { signal } : {}),
      });
      let settled = false;
      const finish = (value: Awaited<ReturnType<KubeClient['watch']>>) => {
        if (!settled) {
          settled = true;
          resolve(value);
        }
      };
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (signal?.aborted) finish({ ended: 'aborted' });
        else if (settled) return;
        else
          reject(
            new KubeUnreachableError(
              `cannot reach the Kubernetes API server at ${this.access.server}: ${e.code ?? e.message}`,
            ),
          );
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              body = undefined;
            }
            const { message } = statusOf(body, res.statusCode ?? 0);
            finish({ ended: 'error', status: res.statusCode ?? 0, message });
          });
          return;
        }
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          let nl = pending.indexOf('\n');
          while (nl !== -1) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            nl = pending.indexOf('\n');
            if (!line.trim()) continue;
            let event: WatchEvent;
            try {
              event = JSON.parse(line) as WatchEvent;
            } catch {
              continue;
            }
            if (event.type === 'ERROR') {
              const s = event.object as { code?: number; message?: string };
              finish({ ended: 'error', status: s.code ?? 500, message: s.message ?? 'watch error' });
              req.destroy();
              return;
            }
            onEvent(event);
          }
        });
        res.on('end', () => finish({ ended: signal?.aborted ? 'aborted' : 'closed' }));
        res.on('error', () => finish({ ended: signal?.aborted ? 'aborted' : 'closed' }));
        res.on('close', () => finish({ ended: signal?.aborted ? 'aborted' : 'closed' }));
      });
      req.end();
    });
  }
}
