/**
 * A minimal LSP client over stdio for tests: Content-Length framed JSON-RPC, requests matched by id, server requests
 * (workspace/configuration …) answered, notifications collected. Hand-framed so the test depends on nothing but the
 * language server it drives.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

type Json = Record<string, unknown>;

export interface LspClient {
  request<T = unknown>(method: string, params: unknown): Promise<T>;
  notify(method: string, params: unknown): void;
  /** The next notification of `method` matching `filter` (already received ones count). */
  waitFor(method: string, filter: (params: Json) => boolean, timeoutMs?: number): Promise<Json>;
  stderr(): string;
  close(): Promise<void>;
}

export function startLsp(
  command: string,
  args: string[],
  options: { cwd: string; configuration: (section: string | undefined) => unknown },
): LspClient {
  const child: ChildProcessWithoutNullStreams = spawn(command, args, {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let buffer = Buffer.alloc(0);
  let stderr = '';
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const notifications: { method: string; params: Json }[] = [];
  const waiters: { method: string; filter: (p: Json) => boolean; resolve: (p: Json) => void }[] = [];

  const send = (message: Json) => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  };

  const dispatch = (message: Json) => {
    if (message.id !== undefined && message.method !== undefined) {
      // A request from the server.
      const params = message.params as Json | undefined;
      let result: unknown = null;
      if (message.method === 'workspace/configuration') {
        const items = (params?.items as { section?: string }[] | undefined) ?? [];
        result = items.map((item) => options.configuration(item.section));
      }
      send({ id: message.id, result });
      return;
    }
    if (message.id !== undefined) {
      const waiter = pending.get(message.id as number);
      pending.delete(message.id as number);
      if (!waiter) return;
      if (message.error) waiter.reject(new Error(JSON.stringify(message.error)));
      else waiter.resolve(message.result);
      return;
    }
    const note = { method: String(message.method), params: (message.params ?? {}) as Json };
    notifications.push(note);
    for (const w of [...waiters]) {
      if (w.method === note.method && w.filter(note.params)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(note.params);
      }
    }
  };

  child.stdout.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const header = buffer.subarray(0, headerEnd).toString('ascii');
      const length = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
      if (buffer.length < headerEnd + 4 + length) return;
      const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      buffer = buffer.subarray(headerEnd + 4 + length);
      dispatch(JSON.parse(body) as Json);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`language server exited: ${stderr}`));
    pending.clear();
  });

  return {
    request<T>(method: string, params: unknown) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        send({ id, method, params });
      });
    },
    notify(method, params) {
      send({ method, params });
    },
    waitFor(method, filter, timeoutMs = 20_000) {
      const seen = notifications.filter((n) => n.method === method && filter(n.params)).at(-1);
      if (seen) return Promise.resolve(seen.params);
      return new Promise<Json>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${method} within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          method,
          filter,
          resolve: (p) => {
            clearTimeout(timer);
            resolve(p);
          },
        });
      });
    },
    stderr: () => stderr,
    async close() {
      try {
        await Promise.race([this.request('shutdown', null), new Promise((r) => setTimeout(r, 2000))]);
        this.notify('exit', null);
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 3000);
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
