import type { PipelineSpec, Resources, TaskSpec } from '../spec/types.js';
import { topologicalOrder } from './dag.js';
import { parseDuration } from './duration.js';
import { hashValue, withOwnHash } from './hash.js';
import { instanceId, paramEnvVar } from './ids.js';
import type { EnvironmentIR, ParamIR, PipelineIR, ResourcesIR, SecretIR, TaskIR, Template } from './ir.js';
import { parseCpu, parseMemory } from './quantity.js';
import { renderTemplate, toTemplate } from './template.js';

/** Applied when neither the task nor spec.defaults sets them (documented in docs/targets.md). */
export const DEFAULTS = {
  retries: 0,
  retryDelaySeconds: 60,
  timezone: 'UTC',
  enabled: true,
  catchup: false,
  concurrency: 1,
} as const;

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A copy of `record` with keys in sorted order (JSON output and hashing then never depend on authoring order). */
function sortedRecord(record: Readonly<Record<string, string>> | undefined): Record<string, string> {
  // fromEntries defines own properties, so even a `__proto__` key stays plain data
  return Object.fromEntries(
    Object.keys(record ?? {})
      .sort(byText)
      .map((key) => [key, record![key]!]),
  );
}

/**
 * Every combination of matrix values, keys in sorted order, values in the order written: the cartesian product
 * `{region: [eu, us], size: [s]}` → `[{region: eu, size: s}, {region: us, size: s}]`. No matrix → one empty instance.
 */
export function expandMatrix(
  matrix: Readonly<Record<string, readonly string[]>> | undefined,
): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const key of Object.keys(matrix ?? {}).sort(byText)) {
    const values = matrix![key]!;
    const next: Record<string, string>[] = [];
    for (const combo of combos) for (const value of values) next.push({ ...combo, [key]: value });
    combos = next;
  }
  return combos;
}

function duration(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds === undefined)
    throw new Error(`normalizePipeline: invalid duration ${JSON.stringify(text)} for ${what} (validate first)`);
  return seconds;
}

function resources(task: Resources | undefined, defaults: Resources | undefined): ResourcesIR {
  const cpu = task?.cpu ?? defaults?.cpu;
  const memory = task?.memory ?? defaults?.memory;
  const out: ResourcesIR = {};
  if (cpu !== undefined) {
    const millis = parseCpu(cpu);
    if (millis === undefined) throw new Error(`normalizePipeline: invalid cpu ${JSON.stringify(cpu)} (validate first)`);
    out.cpu = cpu;
    out.cpuMillis = millis;
  }
  if (memory !== undefined) {
    const bytes = parseMemory(memory);
    if (bytes === undefined)
      throw new Error(`normalizePipeline: invalid memory ${JSON.stringify(memory)} (validate first)`);
    out.memory = memory;
    out.memoryBytes = bytes;
  }
  return out;
}

function secrets(task: TaskSpec): SecretIR[] {
  return Object.keys(task.secrets ?? {})
    .sort(byText)
    .map((env) => {
      const ref = task.secrets![env]!.ref;
      const slash = ref.indexOf('/');
      if (slash <= 0 || slash === ref.length - 1)
        throw new Error(`normalizePipeline: invalid secret ref ${JSON.stringify(ref)}`);
      return { env, ref, secretName: ref.slice(0, slash), key: ref.slice(slash + 1) };
    });
}

/** Lineage sets: sorted by their spec notation, duplicates removed. */
function datasets(list: readonly string[] | undefined, matrix: Record<string, string>): Template[] {
  const byRendered = new Map<string, Template>();
  for (const text of list ?? []) {
    const template = toTemplate(text, matrix);
    byRendered.set(renderTemplate(template), template);
  }
  return [...byRendered.keys()].sort(byText).map((k) => byRendered.get(k)!);
}

function params(spec: PipelineSpec): ParamIR[] {
  const declared = spec.spec.params ?? {};
  return Object.keys(declared)
    .sort(byText)
    .map((name) => {
      const p = declared[name]!;
      const param: ParamIR = { name, envVar: paramEnvVar(name) };
      if (p.default !== undefined) param.default = p.default;
      if (p.description !== undefined) param.description = p.description;
      if (p.enum !== undefined) param.enum = [...p.enum];
      return param;
    });
}

/**
 * Turn a validated spec into the IR every later stage consumes. Pure and deterministic: the same spec value (whatever
 * its key order) yields a deep-equal IR with the same hashes. Assumes validateSpecs found no errors: inconsistencies
 * that validation reports (unknown needs, cycles, bad durations, missing images) throw here as internal errors.
 *
 * @param file repository-relative spec path (POSIX), kept for headers and messages, not hashed.
 */
export function normalizePipeline(spec: PipelineSpec, file: string, environment?: EnvironmentIR): PipelineIR {
  const body = spec.spec;
  const defaults = body.defaults ?? {};
  const specTasks = body.tasks;

  // Instances first: needs on a matrix task fan in to all of its instances.
  const instancesOf = new Map<string, { id: string; matrix: Record<string, string> }[]>();
  for (const specId of Object.keys(specTasks).sort(byText)) {
    const combos = expandMatrix(specTasks[specId]!.matrix);
    instancesOf.set(
      specId,
      combos.map((matrix) => ({ id: instanceId(specId, matrix), matrix })),
    );
  }

  const tasks = new Map<string, TaskIR>();
  // each task's canonical JSON, written for its own hash and reused in the pipeline's
  const taskTexts = new Map<object, string>();
  for (const [specId, instances] of instancesOf) {
    const task = specTasks[specId]!;
    const needs = new Set<string>();
    for (const need of task.needs ?? []) {
      const upstream = instancesOf.get(need);
      if (!upstream) throw new Error(`normalizePipeline: task ${specId} needs unknown task ${need} (validate first)`);
      for (const u of upstream) needs.add(u.id);
    }
    const image = task.image ?? defaults.image;
    if (image === undefined) throw new Error(`normalizePipeline: task ${specId} has no image (validate first)`);
    const env = { ...(defaults.env ?? {}), ...(task.env ?? {}) };
    const timeoutSeconds = duration(task.timeout ?? defaults.timeout, `${specId}.timeout`);
    const pool = task.pool ?? defaults.pool;

    for (const { id, matrix } of instances) {
      if (tasks.has(id)) throw new Error(`normalizePipeline: two task instances normalise to ${id} (validate first)`);
      const ir: Omit<TaskIR, 'hash'> = {
        id,
        specId,
        matrix: sortedRecord(matrix),
        type: task.type ?? 'task',
        ...(task.description !== undefined ? { description: task.description } : {}),
        image,
        command: task.command.map((word) => toTemplate(word, matrix)),
        ...(task.workingDir !== undefined ? { workingDir: task.workingDir } : {}),
        env: Object.keys(env)
          .sort(byText)
          .map((name) => ({ name, value: toTemplate(env[name]!, matrix) })),
        secrets: secrets(task),
        needs: [...needs].sort(byText),
        retries: task.retries ?? defaults.retries ?? DEFAULTS.retries,
        retryDelaySeconds:
          duration(task.retryDelay ?? defaults.retryDelay, `${specId}.retryDelay`) ?? DEFAULTS.retryDelaySeconds,
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
        resources: resources(task.resources, defaults.resources),
        ...(pool !== undefined ? { pool } : {}),
        inputs: datasets(task.inputs, matrix),
        outputs: datasets(task.outputs, matrix),
      };
      const hashed = withOwnHash(ir, 'hash');
      tasks.set(id, hashed.value);
      if (hashed.known !== undefined) taskTexts.set(hashed.value, hashed.known);
    }
  }

  const order = topologicalOrder([...tasks.keys()], (id) => tasks.get(id)!.needs);
  if (!order)
    throw new Error(`normalizePipeline: the task graph of ${spec.metadata.name} has a cycle (validate first)`);

  const slaSeconds = duration(body.sla, 'spec.sla');
  const withoutHash: Omit<PipelineIR, 'specHash' | 'file'> = {
    name: spec.metadata.name,
    version: spec.metadata.version,
    owner: spec.metadata.owner,
    ...(spec.metadata.description !== undefined ? { description: spec.metadata.description } : {}),
    labels: sortedRecord(spec.metadata.labels),
    ...(body.schedule !== undefined ? { schedule: body.schedule } : {}),
    timezone: body.timezone ?? DEFAULTS.timezone,
    enabled: body.enabled ?? DEFAULTS.enabled,
    catchup: body.catchup ?? DEFAULTS.catchup,
    ...(body.startDate !== undefined ? { startDate: body.startDate } : {}),
    ...(body.endDate !== undefined ? { endDate: body.endDate } : {}),
    concurrency: body.concurrency ?? DEFAULTS.concurrency,
    ...(slaSeconds !== undefined ? { slaSeconds } : {}),
    params: params(spec),
    tasks: order.map((id) => tasks.get(id)!),
    ...(environment !== undefined ? { environment } : {}),
  };
  return { ...withoutHash, file, specHash: hashValue(withoutHash, taskTexts) };
}
