/**
 * Debian's `prometheus` package in the tests: promtool and the prometheus server are real consumers of what we ship.
 * .ci/run installs the package; outside CI a missing binary fails the test with the install hint, never skips it.
 */
import { spawnSync } from 'node:child_process';

export function binary(name: 'promtool' | 'prometheus'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new Error(`${name} not found: install Debian's prometheus package (apt-get install -y prometheus)`);
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
