/**
 * RunPlan: what the runtime executes, read from the committed Compose artifact (`generated/compose/<p>.compose.yaml`),
 * i.e. what was reviewed, not a fresh compilation. Strings keep their Compose notation (`${PIPEWRIGHT_DS}`, `$$`):
 * they are interpolated per run by resolveTask (src/runtime/resolve.ts).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { topologicalOrder } from '../model/dag.js';
import { interpolateCompose } from '../targets/compose/interpolate.js';

export interface RunTask {
  /** Service name = task instance id. */
  id: string;
  /** Task id as written in the spec. */
  specId: string;
  type: 'task' | 'check';
  image: string;
  /** argv in Compose notation. */
  command: string[];
  /** Compose `environment`, values in Compose notation. */
  environment: Record<string, string>;
  workingDir?: string;
  /** Sorted. */
  needs: string[];
  retries: number;
  retryDelaySeconds: number;
  timeoutSeconds?: number;
  /**
   * Environment variable inside the task → secret reference (`name/key`) and the host variable Compose reads the
   * value from (top-level `secrets.<name>.environment`, e.g. PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD).
   */
  secrets: RunSecret[];
  /** Docker NanoCpus (1e9 = one core). */
  nanoCpus?: number;
  memoryBytes?: number;
  /** Compose labels of the service (copied onto containers). */
  labels: Record<string, string>;
  matrix: Record<string, string>;
  /**
   * Datasets the task reads / writes (spec `inputs`/`outputs`), in Compose notation: lineage events resolve them.
   * Absent when the plan's source does not carry them (the Kubernetes run plan).
   */
  inputs?: string[];
  outputs?: string[];
}

export interface RunSecret {
  env: string;
  ref: string;
  variable: string;
}

export interface RunParam {
  name: string;
  env: string;
  default?: string;
  enum?: string[];
}

export interface RunPlan {
  pipeline: string;
  version: string;
  specHash: string;
  /** Spec path the artifact was compiled from. */
  source: string;
  /** Maximum active runs of this pipeline (spec.concurrency). */
  concurrency: number;
  /** spec.sla in seconds (metrics: SLA misses). */
  slaSeconds?: number;
  /** spec.schedule (cron), when scheduled, and its IANA time zone. */
  schedule?: string;
  timezone?: string;
  /** spec.startDate / spec.endDate (YYYY-MM-DD, inclusive): the logical dates the pipeline has runs for. */
  startDate?: string;
  endDate?: string;
  params: RunParam[];
  /** Topological order, ties by id. */
  tasks: RunTask[];
}

/** A malformed artifact: the message names the file and the field. */
export class PlanError extends Error {
  override name = 'PlanError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Compose byte values: an integer, or a number with b, k, kb, m, mb, g, gb (binary multiples, as Compose reads them). */
export function parseComposeBytes(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(b|k|kb|m|mb|g|gb|t|tb)?$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const factor = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit as 'b']!;
  const bytes = Math.round(Number(m[1]) * factor);
  return bytes > 0 ? bytes : undefined;
}

/**
 * Retries: x-pipewright.retries, which must agree with Compose's own `restart` (`"no"` = 0, `"on-failure:N"` = N) —
 * both are written by compile, a disagreement means the artifact was edited by hand.
 */
function retriesOf(
  restart: unknown,
  retries: unknown,
  where: string,
  fail: (where: string, what: string) => never,
): number {
  const n = retries ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    return fail(`${where}.x-pipewright.retries`, 'expected an integer >= 0');
  if (restart === undefined) return n;
  const m = typeof restart === 'string' ? /^(?:no|on-failure:(\d+))$/.exec(restart) : null;
  if (!m) return fail(`${where}.restart`, `expected "no" or "on-failure:N" (got ${JSON.stringify(restart)})`);
  const fromRestart = m[1] === undefined ? 0 : Number(m[1]);
  if (fromRestart !== n) {
    return fail(`${where}.restart`, `${JSON.stringify(restart)} disagrees with x-pipewright.retries ${n}`);
  }
  return n;
}

/** Builds the plan from a parsed Compose document. Throws PlanError naming `file` and the bad field. */
export function planFromCompose(doc: unknown, file: string): RunPlan {
  const fail = (where: string, what: string): never => {
    throw new PlanError(`${file}: ${where}: ${what} (recompile with \`pipewright compile\`)`);
  };
  /** Compose text as written (command and environment: interpolated per run). */
  const raw = (v: unknown, where: string): string => (typeof v === 'string' ? v : fail(where, 'expected a string'));
  /** Static Compose text: `$$` back to `$`; a variable reference here is a malformed artifact. */
  const str = (v: unknown, where: string): string => {
    const text = raw(v, where);
    if (text.replaceAll('$$', '').includes('$')) fail(where, 'unexpected variable reference');
    return interpolateCompose(text, {});
  };
  const int = (v: unknown, where: string, min = 0): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fail(where, `expected an integer >= ${min}`);

  if (!isObj(doc)) return fail('top level', 'expected a Compose mapping');
  const meta = doc['x-pipewright'];
  if (!isObj(meta)) return fail('x-pipewright', 'missing: this file was not written by pipewright');
  const services = doc.services;
  if (!isObj(services) || Object.keys(services).length === 0) return fail('services', 'expected at least one service');

  const params: RunParam[] = [];
  const rawParams = meta.params ?? [];
  if (!Array.isArray(rawParams)) fail('x-pipewright.params', 'expected a list');
  for (const [i, p] of (rawParams as unknown[]).entries()) {
    const where = `x-pipewright.params[${i}]`;
    if (!isObj(p)) return fail(where, 'expected a mapping');
    const param: RunParam = { name: str(p.name, `${where}.name`), env: str(p.env, `${where}.env`) };
    if (p.default !== undefined) param.default = str(p.default, `${where}.default`);
    if (p.enum !== undefined) {
      if (!Array.isArray(p.enum)) fail(`${where}.enum`, 'expected a list');
      param.enum = (p.enum as unknown[]).map((v, j) => str(v, `${where}.enum[${j}]`));
    }
    params.push(param);
  }

  const tasks = new Map<string, RunTask>();
  const topSecrets = isObj(doc.secrets) ? doc.secrets : {};
  for (const [id, svc] of Object.entries(services)) {
    const where = `services.${id}`;
    if (!isObj(svc)) return fail(where, 'expected a mapping');
    const x = svc['x-pipewright'];
    if (!isObj(x)) return fail(`${where}.x-pipewright`, 'missing');
    if (!Array.isArray(svc.command) || svc.command.length === 0) fail(`${where}.command`, 'expected a non-empty list');
    const command = (svc.command as unknown[]).map((w, i) => raw(w, `${where}.command[${i}]`));

    const environment: Record<string, string> = {};
    if (Array.isArray(svc.environment)) {
      for (const [i, entry] of (svc.environment as unknown[]).entries()) {
        const text = raw(entry, `${where}.environment[${i}]`);
        const eq = text.indexOf('=');
        if (eq <= 0) fail(`${where}.environment[${i}]`, 'expected NAME=value');
        environment[text.slice(0, eq)] = text.slice(eq + 1);
      }
    } else if (isObj(svc.environment)) {
      for (const [name, value] of Object.entries(svc.environment)) {
        environment[name] =
          typeof value === 'number' || typeof value === 'boolean'
            ? String(value)
            : raw(value, `${where}.environment.${name}`);
      }
    } else if (svc.environment !== undefined) fail(`${where}.environment`, 'expected a mapping or a list');

    let needs: string[] = [];
    if (Array.isArray(svc.depends_on))
      needs = (svc.depends_on as unknown[]).map((d, i) => str(d, `${where}.depends_on[${i}]`));
    else if (isObj(svc.depends_on)) needs = Object.keys(svc.depends_on);
    else if (svc.depends_on !== undefined) fail(`${where}.depends_on`, 'expected a mapping or a list');
    for (const need of needs)
      if (!Object.hasOwn(services, need)) fail(`${where}.depends_on`, `unknown service '${need}'`);

    const labels: Record<string, string> = {};
    if (isObj(svc.labels))
      for (const [k, v] of Object.entries(svc.labels)) labels[k] = str(String(v), `${where}.labels.${k}`);
    else if (Array.isArray(svc.labels)) {
      for (const [i, entry] of (svc.labels as unknown[]).entries()) {
        const text = str(String(entry), `${where}.labels[${i}]`);
        const eq = text.indexOf('=');
        labels[eq === -1 ? text : text.slice(0, eq)] = eq === -1 ? '' : text.slice(eq + 1);
      }
    }

    // Compose's own wiring (service secret target → top-level secret → host variable) names the variable to read.
    const variableOfEnv = new Map<string, string>();
    if (Array.isArray(svc.secrets)) {
      for (const [i, entry] of (svc.secrets as unknown[]).entries()) {
        const w = `${where}.secrets[${i}]`;
        if (!isObj(entry)) return fail(w, 'expected a mapping with source and target');
        const source = str(entry.source, `${w}.source`);
        const top = topSecrets[source];
        if (!isObj(top) || typeof top.environment !== 'string') {
          return fail(`secrets.${source}`, 'expected a secret read from an environment variable');
        }
        variableOfEnv.set(
          str(entry.target ?? source, `${w}.target`),
          str(top.environment, `secrets.${source}.environment`),
        );
      }
    }
    const secrets: RunSecret[] = [];
    const rawSecrets = x.secrets ?? [];
    if (!Array.isArray(rawSecrets)) fail(`${where}.x-pipewright.secrets`, 'expected a list');
    for (const [i, s] of (rawSecrets as unknown[]).entries()) {
      const w = `${where}.x-pipewright.secrets[${i}]`;
      if (!isObj(s)) return fail(w, 'expected a mapping');
      const env = str(s.env, `${w}.env`);
      const variable = variableOfEnv.get(env);
      if (variable === undefined) return fail(`${where}.secrets`, `no Compose secret targets ${env}`);
      secrets.push({ env, ref: str(s.ref, `${w}.ref`), variable });
    }

    const type = x.type ?? 'task';
    if (type !== 'task' && type !== 'check') fail(`${where}.x-pipewright.type`, "expected 'task' or 'check'");
    const matrix: Record<string, string> = {};
    if (isObj(x.matrix)) for (const [k, v] of Object.entries(x.matrix)) matrix[k] = String(v);
    const datasets = (v: unknown, w: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v)) return fail(w, 'expected a list');
      return v.map((d, i) => raw(d, `${w}[${i}]`));
    };

    const task: RunTask = {
      id,
      specId: x.task !== undefined ? str(x.task, `${where}.x-pipewright.task`) : id,
      type: type as 'task' | 'check',
      image: str(svc.image, `${where}.image`),
      command,
      environment,
      needs: [...new Set(needs)].sort(),
      retries: retriesOf(svc.restart, x.retries, where, fail),
      retryDelaySeconds: int(x.retryDelaySeconds ?? 0, `${where}.x-pipewright.retryDelaySeconds`),
      secrets,
      labels,
      matrix,
      inputs: datasets(x.inputs, `${where}.x-pipewright.inputs`),
      outputs: datasets(x.outputs, `${where}.x-pipewright.outputs`),
    };
    if (svc.working_dir !== undefined) task.workingDir = str(svc.working_dir, `${where}.working_dir`);
    if (x.timeoutSeconds !== undefined)
      task.timeoutSeconds = int(x.timeoutSeconds, `${where}.x-pipewright.timeoutSeconds`, 1);
    if (svc.cpus !== undefined) {
      const cpus = typeof svc.cpus === 'string' ? Number(svc.cpus) : svc.cpus;
      if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus <= 0)
        fail(`${where}.cpus`, 'expected a positive number');
      task.nanoCpus = Math.round((cpus as number) * 1e9);
    }
    if (svc.mem_limit !== undefined) {
      const bytes = parseComposeBytes(svc.mem_limit);
      if (bytes === undefined) fail(`${where}.mem_limit`, 'expected a byte size such as 536870912 or 512m');
      task.memoryBytes = bytes;
    }
    tasks.set(id, task);
  }

  const order = topologicalOrder([...tasks.keys()], (id) => tasks.get(id)!.needs);
  if (!order) return fail('services', 'depends_on has a cycle');

  return {
    pipeline: str(meta.pipeline, 'x-pipewright.pipeline'),
    version: str(meta.version, 'x-pipewright.version'),
    specHash: str(meta.specHash, 'x-pipewright.specHash'),
    source: meta.source === undefined ? '' : str(meta.source, 'x-pipewright.source'),
    concurrency: meta.concurrency === undefined ? 1 : int(meta.concurrency, 'x-pipewright.concurrency', 1),
    ...(meta.slaSeconds !== undefined ? { slaSeconds: int(meta.slaSeconds, 'x-pipewright.slaSeconds', 1) } : {}),
    ...(meta.schedule !== undefined ? { schedule: str(meta.schedule, 'x-pipewright.schedule') } : {}),
    ...(meta.timezone !== undefined ? { timezone: str(meta.timezone, 'x-pipewright.timezone') } : {}),
    ...(meta.startDate !== undefined ? { startDate: str(meta.startDate, 'x-pipewright.startDate') } : {}),
    ...(meta.endDate !== undefined ? { endDate: str(meta.endDate, 'x-pipewright.endDate') } : {}),
    params,
    tasks: order.map((id) => tasks.get(id)!),
  };
}

/** Parses Compose YAML text (YAML 1.2 core, duplicate keys and aliases rejected) into a plan. */
export function planFromComposeText(text: string, file: string): RunPlan {
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.2', schema: 'core', uniqueKeys: true, maxAliasCount: 0, merge: false });
  } catch (error) {
    throw new PlanError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return planFromCompose(doc, file);
}

/** Reads `generated/compose/<pipeline>.compose.yaml` (or any path) into a plan. */
export function readComposePlan(file: string): RunPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PlanError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return planFromComposeText(text, file);
}
