import { generatedHeader } from '../../emit/header.js';
import { sha256Hex } from '../../model/hash.js';
import { BUILTIN_ENV, type PipelineIR, type SecretIR, type TaskIR, type Template } from '../../model/ir.js';
import type { TargetOutput, TargetWarning } from '../target.js';
import { escapeCompose } from './interpolate.js';

/**
 * Docker Compose emitter: `compose/<pipeline>.compose.yaml`, the artifact the pipewright runtime executes
 * (docs/architecture.md, "Compose artifact"). Every string value in the file is Compose text: literal `$` is written
 * as `$$`, run-time variables as `${PIPEWRIGHT_…}`; read values back with interpolateCompose.
 */

/** A piece of Compose text that must not be escaped again (a variable reference we generated). */
class ComposeText {
  constructor(readonly text: string) {}
}

/** Every string leaf becomes escaped Compose text; ComposeText passes through. Keys are never interpolated. */
function escapeAll(value: unknown): unknown {
  if (value instanceof ComposeText) return value.text;
  if (typeof value === 'string') return escapeCompose(value);
  if (Array.isArray(value)) return value.map(escapeAll);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, escapeAll(v)]),
    );
  }
  return value;
}

/** Inline defaults only when Compose reads them back verbatim (no `$`, braces or backslashes to re-interpret). */
const SAFE_DEFAULT = /^[^${}\\]*$/;

function templateText(template: Template, ir: PipelineIR): ComposeText {
  let out = '';
  for (const segment of template) {
    if ('text' in segment) {
      out += escapeCompose(segment.text);
    } else if (segment.ref.kind === 'builtin') {
      out += `\${${BUILTIN_ENV[segment.ref.name]}}`;
    } else {
      const name = segment.ref.name;
      const param = ir.params.find((p) => p.name === name);
      if (!param) throw new Error(`emitCompose: unknown param ${name} in ${ir.name}`);
      const withDefault = param.default !== undefined && param.default !== '' && SAFE_DEFAULT.test(param.default);
      out += withDefault ? `\${${param.envVar}-${param.default}}` : `\${${param.envVar}}`;
    }
  }
  return new ComposeText(out);
}

/** Compose secret name for a ref: `warehouse/password` → `warehouse_password` (`_` cannot occur in secret names). */
export function composeSecretName(secret: Pick<SecretIR, 'secretName' | 'key'>): string {
  return `${secret.secretName}_${secret.key}`;
}

/**
 * Host environment variable Compose reads a secret from: `warehouse/password` → `PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD`.
 * Refs that differ only in case or punctuation would collide; those get a short hash of the ref appended.
 */
export function composeSecretVariables(refs: readonly string[]): Map<string, string> {
  const base = (ref: string) => `PIPEWRIGHT_SECRET_${ref.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const byVar = new Map<string, Set<string>>();
  for (const ref of refs) {
    const v = base(ref);
    if (!byVar.has(v)) byVar.set(v, new Set());
    byVar.get(v)!.add(ref);
  }
  const out = new Map<string, string>();
  for (const [v, set] of byVar) {
    for (const ref of set) out.set(ref, set.size === 1 ? v : `${v}_${sha256Hex(ref).slice(0, 8).toUpperCase()}`);
  }
  return out;
}

/** Compose `cpus`: decimal cores, exact for millicores. */
function cpus(millis: number): number {
  return millis / 1000;
}

function service(task: TaskIR, ir: PipelineIR): Record<string, unknown> {
  const svc: Record<string, unknown> = {
    image: task.image,
    command: task.command.map((word) => templateText(word, ir)),
  };
  if (task.workingDir !== undefined) svc.working_dir = task.workingDir;
  if (task.env.length > 0)
    svc.environment = Object.fromEntries(task.env.map((e) => [e.name, templateText(e.value, ir)]));
  if (task.needs.length > 0) {
    svc.depends_on = Object.fromEntries(task.needs.map((n) => [n, { condition: 'service_completed_successfully' }]));
  }
  svc.restart = task.retries > 0 ? `on-failure:${task.retries}` : 'no';
  if (task.resources.cpuMillis !== undefined) svc.cpus = cpus(task.resources.cpuMillis);
  if (task.resources.memoryBytes !== undefined) svc.mem_limit = task.resources.memoryBytes;
  svc.labels = labels(ir, task);
  if (task.secrets.length > 0) {
    svc.secrets = task.secrets.map((s) => ({ source: composeSecretName(s), target: s.env }));
  }
  svc['x-pipewright'] = {
    task: task.specId,
    type: task.type,
    ...(task.description !== undefined ? { description: task.description } : {}),
    matrix: task.matrix,
    hash: task.hash,
    retries: task.retries,
    retryDelaySeconds: task.retryDelaySeconds,
    ...(task.timeoutSeconds !== undefined ? { timeoutSeconds: task.timeoutSeconds } : {}),
    ...(task.pool !== undefined ? { pool: task.pool } : {}),
    ...(task.resources.cpu !== undefined || task.resources.memory !== undefined
      ? {
          resources: {
            ...(task.resources.cpu ? { cpu: task.resources.cpu } : {}),
            ...(task.resources.memory ? { memory: task.resources.memory } : {}),
          },
        }
      : {}),
    secrets: task.secrets.map((s) => ({ env: s.env, ref: s.ref })),
    inputs: task.inputs.map((t) => templateText(t, ir)),
    outputs: task.outputs.map((t) => templateText(t, ir)),
  };
  return svc;
}

/**
 * User labels first, then ours (ours win on a clash), sorted by key. Only what identifies this service and its own
 * content hash: the pipeline's version and spec hash are in the top-level `x-pipewright` alone, so a version bump
 * changes one place, not every service (the docker executor labels containers with them at run time).
 */
function labels(ir: PipelineIR, task: TaskIR): Record<string, string> {
  const all: Record<string, string> = {
    ...ir.labels,
    'pipewright.dev/managed-by': 'pipewright',
    'pipewright.dev/pipeline': ir.name,
    'pipewright.dev/task': task.specId,
    'pipewright.dev/instance': task.id,
    'pipewright.dev/task-hash': task.hash,
  };
  return Object.fromEntries(
    Object.keys(all)
      .sort()
      .map((k) => [k, all[k]!]),
  );
}

function warnings(ir: PipelineIR): TargetWarning[] {
  const out: TargetWarning[] = [];
  if (ir.schedule !== undefined) {
    out.push({
      code: 'PW303',
      path: ['spec', 'schedule'],
      message:
        'Docker Compose has no schedules: compose/' +
        `${ir.name}.compose.yaml records the schedule in x-pipewright for the pipewright runtime; plain \`docker compose up\` runs the pipeline once, when started`,
    });
  }
  const timed = new Set(ir.tasks.filter((t) => t.timeoutSeconds !== undefined).map((t) => t.specId));
  for (const specId of [...timed].sort()) {
    out.push({
      code: 'PW302',
      path: ['spec', 'tasks', specId, 'timeout'],
      message:
        'Docker Compose does not enforce task timeouts: the pipewright runtime enforces x-pipewright.timeoutSeconds; plain `docker compose up` lets the task run without a limit',
    });
  }
  return out;
}

export function emitCompose(ir: PipelineIR): TargetOutput {
  const secretRefs = [...new Set(ir.tasks.flatMap((t) => t.secrets.map((s) => s.ref)))].sort();
  const variables = composeSecretVariables(secretRefs);
  const secrets: Record<string, unknown> = {};
  for (const task of ir.tasks) {
    for (const s of task.secrets) secrets[composeSecretName(s)] = { environment: variables.get(s.ref)! };
  }
  const sortedSecrets = Object.fromEntries(
    Object.keys(secrets)
      .sort()
      .map((k) => [k, secrets[k]]),
  );

  const project: Record<string, unknown> = {
    name: `pipewright-${ir.name}`,
    'x-pipewright': {
      pipeline: ir.name,
      version: ir.version,
      owner: ir.owner,
      ...(ir.description !== undefined ? { description: ir.description } : {}),
      specHash: ir.specHash,
      source: ir.file,
      ...(ir.schedule !== undefined ? { schedule: ir.schedule } : {}),
      timezone: ir.timezone,
      enabled: ir.enabled,
      catchup: ir.catchup,
      ...(ir.startDate !== undefined ? { startDate: ir.startDate } : {}),
      ...(ir.endDate !== undefined ? { endDate: ir.endDate } : {}),
      concurrency: ir.concurrency,
      ...(ir.slaSeconds !== undefined ? { slaSeconds: ir.slaSeconds } : {}),
      params: ir.params.map((p) => ({
        name: p.name,
        env: p.envVar,
        ...(p.default !== undefined ? { default: p.default } : {}),
        ...(p.enum !== undefined ? { enum: p.enum } : {}),
        ...(p.description !== undefined ? { description: p.description } : {}),
      })),
    },
    services: Object.fromEntries(ir.tasks.map((t) => [t.id, service(t, ir)])),
    ...(secretRefs.length > 0 ? { secrets: sortedSecrets } : {}),
  };
  return {
    files: [{ path: `compose/${ir.name}.compose.yaml`, header: generatedHeader(ir), documents: [escapeAll(project)] }],
    warnings: warnings(ir),
  };
}
