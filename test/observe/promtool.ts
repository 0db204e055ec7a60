/**
 * Debian's `prometheus` package in the tests: promtool and the prometheus server are real consumers of what we ship.
 * .ci/run installs the package; outside CI a missing binary fails the test with the install hint, never skips it.
 */
import { spawnSync } from 'node:child_process';

export function binary(name: 'promtool' | 'prometheus' | 'prometheus-pushgateway'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new Error(
      `${name} not found: install Debian's prometheus packages (apt-get install -y prometheus prometheus-pushgateway)`,
    );
  }
  return path;
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs promtool with `input` on stdin (bounded: 60 s). */
export function promtool(args: string[], input?: string, cwd?: string): ToolResult {
  const r = spawnSync(binary('promtool'), args, {
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
    ...(cwd ? { cwd } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it right away). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Daemon {
  stop(): Promise<void>;
  output(): string;
}

/**
 * Starts a Prometheus-family binary (prometheus, prometheus-pushgateway) and waits until `readyUrl` answers 200
 * (bounded by `timeoutMs`). `stop` ends exactly this process.
 */
export async function startDaemon(
  command: string,
  args: string[],
  readyUrl: string,
  timeoutMs = 30_000,
): Promise<Daemon> {
  const { spawn } = await import('node:child_process');
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => {
    log += d;
  });
  child.stderr.on('data', (d) => {
    log += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited early:\n${log}`);
    try {
      const r = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} not ready at ${readyUrl} after ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { stop, output: () => log };
}
