/**
 * Shared by the security regression tests: directories outside any project (what an attacker's link points at), temp
 * projects with a `pipelines/` directory (removed after the file's tests), validate through the real CLI entry point,
 * and a spec header with a pinned image.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';

const created: string[] = [];

/** A throwaway directory outside any project (what an attacker's link points at); removed by removeOutside(). */
export async function outsideDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-outside-'));
  created.push(dir);
  return dir;
}

export async function removeOutside(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A line no pipewright output could contain by chance: its appearance in output proves a read through a link. */
export const MARKER = 'OUTSIDE-THE-PROJECT-7f3a9c';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp project with these files under `pipelines/`. */
export function specProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-security-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'pipelines'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'pipelines', name), text);
  return dir;
}

export interface JsonDiagnostics {
  diagnostics: { code: string; line: number; column: number; message: string }[];
  summary: { errors: number; warnings: number; omitted?: number };
}

/** `pipewright validate --format json` in `dir`: exit code, parsed report and the raw output. */
export async function validateJson(dir: string): Promise<{ code: number; json: JsonDiagnostics; raw: string }> {
  const out = await runCliCapture(['validate', '--format', 'json'], { cwd: dir });
  return { code: out.code, json: JSON.parse(out.stdout) as JsonDiagnostics, raw: out.stdout };
}

/** A spec up to `tasks:` (pipeline `p`, pinned image); the caller appends the tasks, indented by 4. */
export const SPEC_HEAD = `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: p
  version: 1.0.0
  owner: data
spec:
  defaults:
    image: alpine:3.19@sha256:${'a'.repeat(64)}
  tasks:
`;
