/**
 * Promotion (`pipewright promote <pipeline> --from staging --to prod`): the edits of pipewright.yaml that make the
 * target environment run what the source environment runs for one pipeline, for the chosen fields. Pure: the config
 * value and one spec in, edits (config paths and values) out; src/config/yaml-edit.ts applies them to the text.
 *
 * What "runs" means is the overlaid spec (src/model/environments.ts): each promotable value is compared as the task or
 * pipeline ends up with it. A difference is fixed where the target decides it: the target's own override in its
 * `pipelines.<name>` section is changed in place; otherwise an override is added there, at the level the source
 * environment wrote it (pipeline `overrides` or the task), else on the task. An edit is taken only when it makes that
 * value equal and reduces the number of differences (an edit of a pipeline-wide override that would change an equal
 * task instead is replaced by a task override), so the plan always ends.
 */
import type { ProjectConfig } from '../config/types.js';
import type { SpecPath } from '../spec/document.js';
import type { PipelineSpec } from '../spec/types.js';
import { applyEnvironment, type ConfigLocator, originOf, resolveEnvironment, withImageTag } from './environments.js';

export const PROMOTABLE_FIELDS = [
  'image',
  'enabled',
  'schedule',
  'timezone',
  'params',
  'env',
  'resources',
  'pool',
  'retries',
  'retryDelay',
  'timeout',
] as const;
export type PromotableField = (typeof PROMOTABLE_FIELDS)[number];

type Value = string | number | boolean;

/** One promotable value of the pipeline: where it lives in the spec and how it is read as it runs. */
interface Leaf {
  field: PromotableField;
  /** Spec path of the value (the path environment origins use). */
  specPath: SpecPath;
  /** The task, for task values. */
  task?: string;
  /** Key under an override (`imageTag`/`image` for image, `env`/`K` for env …). */
  overrideKey: string[];
  read(spec: PipelineSpec): Value | undefined;
}

export interface PromotionEdit {
  /** Config path (`environments.prod.pipelines.orders.overrides.imageTag`). */
  path: string[];
  kind: 'set' | 'add' | 'delete';
  before?: Value;
  after?: Value;
}

export interface PromotedValue {
  /** `tasks.load.image`, `schedule`, `params.region.default` … */
  path: string;
  before?: Value;
  after?: Value;
}

export type PromotionPlan =
  | { ok: true; edits: PromotionEdit[]; changes: PromotedValue[] }
  | { ok: false; message: string };

const get = (o: unknown, k: string): unknown =>
  o !== null && typeof o === 'object' && Object.hasOwn(o as object, k) ? (o as Record<string, unknown>)[k] : undefined;

function leaves(spec: PipelineSpec, other: PipelineSpec, fields: readonly PromotableField[]): Leaf[] {
  const out: Leaf[] = [];
  const want = new Set(fields);
  const pipeline = (field: PromotableField, key: 'enabled' | 'schedule' | 'timezone', fallback?: Value) =>
    out.push({
      field,
      specPath: ['spec', key],
      overrideKey: [key],
      read: (s) => (s.spec[key] as Value | undefined) ?? fallback,
    });
  if (want.has('enabled')) pipeline('enabled', 'enabled', true);
  if (want.has('schedule')) pipeline('schedule', 'schedule');
  if (want.has('timezone')) pipeline('timezone', 'timezone', 'UTC');
  if (want.has('params')) {
    for (const p of Object.keys(spec.spec.params ?? {}).sort()) {
      out.push({
        field: 'params',
        specPath: ['spec', 'params', p, 'default'],
        overrideKey: ['params', p],
        read: (s) => s.spec.params?.[p]?.default,
      });
    }
  }
  for (const t of Object.keys(spec.spec.tasks).sort()) {
    const task = (s: PipelineSpec) => s.spec.tasks[t]!;
    const here = ['spec', 'tasks', t];
    const simple = (field: 'pool' | 'retries' | 'retryDelay' | 'timeout') =>
      out.push({
        field,
        task: t,
        specPath: [...here, field],
        overrideKey: [field],
        read: (s) => (task(s)[field] as Value | undefined) ?? (s.spec.defaults?.[field] as Value | undefined),
      });
    if (want.has('image')) {
      out.push({
        field: 'image',
        task: t,
        specPath: [...here, 'image'],
        overrideKey: ['image'],
        read: (s) => task(s).image ?? s.spec.defaults?.image,
      });
    }
    if (want.has('env')) {
      const keys = new Set<string>();
      for (const s of [spec, other]) {
        for (const k of Object.keys(s.spec.tasks[t]?.env ?? {})) keys.add(k);
        for (const k of Object.keys(s.spec.defaults?.env ?? {})) keys.add(k);
      }
      for (const k of [...keys].sort()) {
        out.push({
          field: 'env',
          task: t,
          specPath: [...here, 'env', k],
          overrideKey: ['env', k],
          read: (s) => get(task(s).env, k) ?? (get(s.spec.defaults?.env, k) as Value | undefined),
        } as Leaf);
      }
    }
    if (want.has('resources')) {
      for (const k of ['cpu', 'memory'] as const) {
        out.push({
          field: 'resources',
          task: t,
          specPath: [...here, 'resources', k],
          overrideKey: ['resources', k],
          read: (s) => task(s).resources?.[k] ?? s.spec.defaults?.resources?.[k],
        });
      }
    }
    for (const f of ['pool', 'retries', 'retryDelay', 'timeout'] as const) if (want.has(f)) simple(f);
  }
  return out;
}

const NO_LOCATION: ConfigLocator = {
  file: 'pipewright.yaml',
  rangeOf: () => ({ start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }),
};

interface Overlay {
  spec: PipelineSpec;
  origins: ReturnType<typeof applyEnvironment>['origins'];
  problems: number;
}

function overlay(config: ProjectConfig, env: string, spec: PipelineSpec): Overlay | undefined {
  const resolved = resolveEnvironment(config, env, NO_LOCATION);
  if (!resolved.environment) return undefined;
  const applied = applyEnvironment(spec, resolved.environment, NO_LOCATION);
  return {
    spec: applied.spec,
    origins: applied.origins,
    problems: resolved.diagnostics.length + applied.diagnostics.length,
  };
}

function same(a: Value | undefined, b: Value | undefined): boolean {
  return a === b;
}

function getPath(root: unknown, path: readonly string[]): unknown {
  let at = root;
  for (const k of path) at = get(at, k);
  return at;
}

/** Set (or, with undefined, delete) the value at `path` of a plain config object, creating maps on the way. */
export function setPath(root: Record<string, unknown>, path: readonly string[], value: Value | undefined): void {
  let at = root;
  for (const k of path.slice(0, -1)) {
    const next = get(at, k);
    if (next === undefined || next === null || typeof next !== 'object') at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

const isPrefix = (prefix: readonly (string | number)[], path: readonly (string | number)[]) =>
  prefix.length <= path.length && prefix.every((s, i) => s === path[i]);

/** The tag (or `sha256:` digest) of an image reference, when `withImageTag(base, tag)` gives it back. */
function tagFor(base: string | undefined, image: string): string | undefined {
  if (base === undefined) return undefined;
  const at = image.indexOf('@');
  const tag = at >= 0 ? image.slice(at + 1) : image.slice(image.lastIndexOf(':') + 1);
  if (image.lastIndexOf(':') <= image.lastIndexOf('/') && at < 0) return undefined;
  return withImageTag(base, tag) === image ? tag : undefined;
}

/**
 * The edits that make environment `to` run what `from` runs for `spec`'s pipeline, for `fields`. The config must be
 * valid and both environments declared (the caller checks, with positioned messages).
 */
export function planPromotion(
  config: ProjectConfig,
  spec: PipelineSpec,
  from: string,
  to: string,
  fields: readonly PromotableField[],
): PromotionPlan {
  const name = spec.metadata.name;
  const source = overlay(config, from, spec);
  const start = overlay(config, to, spec);
  if (!source || !start) return { ok: false, message: `cannot resolve the environments '${from}' and '${to}'` };
  const all = leaves(source.spec, start.spec, fields);
  const own = ['environments', to, 'pipelines', name];
  let working = structuredClone(config) as unknown as Record<string, unknown>;
  let current = start;
  const edits: PromotionEdit[] = [];
  const differing = (o: Overlay) => all.filter((l) => !same(l.read(source.spec), l.read(o.spec)));
  const initial = differing(start);
  const changes: PromotedValue[] = initial.map((l) => ({
    path: l.specPath.slice(1).join('.') + (l.field === 'params' ? '' : ''),
    ...(l.read(start.spec) !== undefined ? { before: l.read(start.spec)! } : {}),
    ...(l.read(source.spec) !== undefined ? { after: l.read(source.spec)! } : {}),
  }));
  const editsByPath = new Map<string, PromotionEdit>();
  const record = (path: string[], existed: boolean, before: Value | undefined, after: Value | undefined) => {
    const key = path.join('\0');
    const previous = editsByPath.get(key);
    const edit: PromotionEdit = {
      path,
      kind: after === undefined ? 'delete' : (previous?.kind ?? (existed ? 'set' : 'add')) === 'add' ? 'add' : 'set',
      ...((previous ? previous.before : before) !== undefined
        ? { before: (previous ? previous.before : before)! }
        : {}),
      ...(after !== undefined ? { after } : {}),
    };
    if (previous) edits[edits.indexOf(previous)] = edit;
    else edits.push(edit);
    editsByPath.set(key, edit);
  };

  for (let guard = 0; guard <= all.length * 4; guard++) {
    const open = differing(current);
    if (open.length === 0) {
      return { ok: true, edits: edits.filter((e) => !(e.kind !== 'delete' && e.before === e.after)), changes };
    }
    const leaf = open[0]!;
    const want = leaf.read(source.spec);
    const level = leaf.task === undefined ? [...own, 'overrides'] : [...own, 'tasks', leaf.task];
    const candidates: { path: string[]; value: Value | undefined }[] = [];
    const toOrigin = originOf(current.origins, leaf.specPath) as string[] | undefined;
    const fromOrigin = originOf(source.origins, leaf.specPath) as string[] | undefined;
    const valueFor = (path: string[]): Value | undefined => {
      if (want === undefined) return undefined;
      if (leaf.field !== 'image') return want;
      if (path[path.length - 1] === 'image') return want;
      // imageTag: the tag of the wanted image on the image the spec names
      const t = source.spec.spec.tasks[leaf.task!];
      return tagFor(spec.spec.tasks[leaf.task!]?.image ?? spec.spec.defaults?.image ?? t?.image, want as string);
    };
    if (toOrigin && isPrefix(own, toOrigin)) candidates.push({ path: toOrigin, value: valueFor(toOrigin) });
    if (want !== undefined) {
      if (fromOrigin && isPrefix(['environments', from, 'pipelines', name], fromOrigin)) {
        const mirrored = [...own, ...fromOrigin.slice(own.length)];
        candidates.push({ path: mirrored, value: valueFor(mirrored) });
      }
      if (leaf.field === 'image') {
        const hasImage = getPath(working, [...level, 'image']) !== undefined;
        const hasTag = getPath(working, [...level, 'imageTag']) !== undefined;
        if (!hasImage) candidates.push({ path: [...level, 'imageTag'], value: valueFor([...level, 'imageTag']) });
        if (!hasTag) candidates.push({ path: [...level, 'image'], value: want });
      } else candidates.push({ path: [...level, ...leaf.overrideKey], value: want });
    }
    let taken = false;
    for (const c of candidates) {
      if (c.value === undefined && want !== undefined) continue;
      if (c.value === undefined && !isPrefix(own, c.path)) continue;
      const trial = structuredClone(working);
      const before = getPath(trial, c.path) as Value | undefined;
      setPath(trial, c.path, c.value);
      const next = overlay(trial as unknown as ProjectConfig, to, spec);
      if (!next || next.problems > 0) continue;
      if (!same(leaf.read(next.spec), want) || differing(next).length >= open.length) continue;
      record(c.path, before !== undefined, before, c.value);
      working = trial;
      current = next;
      taken = true;
      break;
    }
    if (!taken) {
      const where = toOrigin ? ` (set by ${toOrigin.join('.')})` : '';
      return {
        ok: false,
        message: `cannot make ${to} run ${from}'s ${leaf.specPath.slice(1).join('.')} of ${name}: ${from} has ${
          want === undefined ? 'none' : JSON.stringify(want)
        }, ${to} has ${JSON.stringify(leaf.read(current.spec) ?? null)}${where}; edit pipewright.yaml by hand`,
      };
    }
  }
  return { ok: false, message: `internal: promotion of ${name} did not converge` };
}
