/**
 * Shared test support: plans compiled from real spec text through the real compiler (so every string travels
 * spec → Compose artifact → RunPlan exactly like in production), a recording reporter, and the engine connection.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { compileSpec } from '../../src/emit/compile.js';
import type { LogStream } from '../../src/runtime/executor.js';
import { planFromComposeText, type RunPlan } from '../../src/runtime/plan.js';
import type { RunReporter } from '../../src/runtime/run.js';

export const TEST_IMAGE = 'localhost/pipewright-test:1';

/** A spec document: metadata filled in, `body` is the YAML under `spec:` (indented by the caller with 2 spaces). */
export function specText(name: string, body: string): string {
  return `# yaml-language-server: $schema=../schema/pipeline.schema.json
apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: ${name}
  version: 1.0.0
  owner: test
spec:
${body}`;
}

export function compileCompose(name: string, source: string): string {
  const unit = compileSpec(`pipelines/${name}.yaml`, source, { targets: ['compose'], outDir: 'generated' });
  const errors = unit.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(`spec does not compile:\n${errors.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  const out = unit.outputs.find((o) => o.path === `compose/${name}.compose.yaml`);
  if (!out) throw new Error('no compose output');
  return out.text;
}

export function planFromSpec(name: string, source: string): RunPlan {
  return planFromComposeText(compileCompose(name, source), `generated/compose/${name}.compose.yaml`);
}

/** A temp project: pipelines/<name>.yaml and its committed artifact generated/compose/<name>.compose.yaml. */
export function makeProject(specs: Record<string, string>, dir = mkdtempSync(join(tmpdir(), 'pw-run-'))): string {
  mkdirSync(join(dir, 'pipelines'), { recursive: true });
  mkdirSync(join(dir, 'generated', 'compose'), { recursive: true });
  for (const [name, source] of Object.entries(specs)) {
    writeFileSync(join(dir, 'pipelines', `${name}.yaml`), source);
    writeFileSync(join(dir, 'generated', 'compose', `${name}.compose.yaml`), compileCompose(name, source));
  }
  return dir;
}

export function recorder(): RunReporter & {
  lines: string[];
  notes: string[];
  of(task: string, stream?: LogStream): string[];
} {
  const lines: string[] = [];
  const streams: LogStream[] = [];
  const notes: string[] = [];
  return {
    lines,
    notes,
    log: (task, stream, line) => {
      lines.push(`${task}|${line}`);
      streams.push(stream);
    },
    note: (task, message) => notes.push(`${task ?? '-'}|${message}`),
    /** The task's output lines in the order they arrived, of one stream or of both. */
    of: (task, stream) =>
      lines
        .filter((l, i) => l.startsWith(`${task}|`) && (stream === undefined || streams[i] === stream))
        .map((l) => l.slice(task.length + 1)),
  };
}

/**
 * The engine for integration tests: DOCKER_HOST, else the socket scripts/engine-up.sh serves. Unreachable → undefined
 * (tests skip) — except under CI=true, where an unreachable engine is a failure, not a skip.
 */
export async function testEngine(): Promise<{ docker: Docker; endpoint: string } | undefined> {
  const endpoint = process.env.DOCKER_HOST || 'unix:///run/pipewright/podman.sock';
  const docker = endpoint.startsWith('unix://') ? new Docker({ socketPath: endpoint.slice(7) }) : undefined;
  let reason = docker ? '' : `unsupported DOCKER_HOST ${endpoint}`;
  if (docker) {
    try {
      await docker.ping();
      await docker.getImage(TEST_IMAGE).inspect();
      return { docker, endpoint };
    } catch (error) {
      reason = (error as Error).message;
    }
  }
  if (process.env.CI === 'true') {
    throw new Error(
      `CI=true but the engine at ${endpoint} (with ${TEST_IMAGE}) is unreachable: ${reason}. Run scripts/engine-up.sh.`,
    );
  }
  return undefined;
}

/**
 * Test clean-up: force-removes a container, tolerating one that is already gone (404) or that podman is still
 * removing or stopping on someone else's behalf (409 "state improper", "removal in progress"): asked again for up to
 * 10 s, then left to that other remover. Clean-up must not fail a test whose assertions passed.
 */
export async function removeContainer(docker: Docker, id: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getContainer(id).remove({ force: true });
      return;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) return;
      if (status !== 409 || attempt >= 20) {
        if (status === 409) return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
