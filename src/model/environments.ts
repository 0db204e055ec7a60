/**
 * Environments (pipewright.yaml `environments:`): overrides applied on top of a spec before it is validated and
 * normalized, so an environment's pipeline goes through exactly the checks and stages a spec does. Pure: the config
 * value and its positions in, an overlaid spec plus positioned diagnostics out.
 *
 * Layers, later wins: the environments an environment `extends` (root first), then per environment the project-wide
 * `overrides`, the pipeline's `overrides`, the task's overrides. Every value an override sets remembers where it was
 * written (`origins`), so a problem in the resulting spec (a bad duration, an unpinned image, a plaintext secret) is
 * reported at the override, not at the spec line it replaced.
 */
import type { EnvironmentSettings, PipelineOverrides, ProjectConfig, TaskOverrides } from '../config/types.js';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.js';
import type { SpecPath } from '../spec/document.js';
import { didYouMean } from '../spec/rules/support.js';
import type { PipelineSpec, TaskSpec } from '../spec/types.js';

/** Where a config path is written: the config file's display path and a range lookup (SpecDocument.rangeOf). */
export interface ConfigLocator {
  file: string;
  rangeOf(path: SpecPath, options?: { key?: boolean }): SourceRange;
  /**
   * The config file's text, when the locator is that of a loaded file: a worker thread rebuilds `rangeOf` from it
   * (a function cannot cross threads; src/emit/spec-task.ts).
   */
  source?: string;
}

/** The locator without a config file to point into (a ProjectConfig given as a value): every path at 1:1. */
export const UNLOCATED_CONFIG: ConfigLocator = {
  file: 'pipewright.yaml',
  rangeOf: () => ({ start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }),
};

export interface ResolvedEnvironment {
  name: string;
  /** The chain of environments, root first, ending with `name`. */
  chain: string[];
  namespace?: string;
  secretPrefix?: string;
  runnerImage?: string;
  /** Path of the setting that decided each of namespace/secretPrefix/runnerImage. */
  settingOrigins: Partial<Record<'namespace' | 'secretPrefix' | 'runnerImage', SpecPath>>;
  settings: { name: string; value: EnvironmentSettings }[];
}

/** A value of the overlaid spec and the config path that set it. */
export interface Origin {
  specPath: SpecPath;
  configPath: SpecPath;
}

export interface OverlaidSpec {
  spec: PipelineSpec;
  origins: Origin[];
  diagnostics: Diagnostic[];
}

function error(config: ConfigLocator, path: SpecPath, message: string, key = false): Diagnostic {
  return { file: config.file, range: config.rangeOf(path, { key }), severity: 'error', code: 'PW103', message };
}

export function environmentNames(config: ProjectConfig | undefined): string[] {
  return Object.keys(config?.environments ?? {}).sort();
}

/** Did-you-mean for a name among candidates (the specs' own helper: the same distance and wording). */
function suggest(name: string, candidates: readonly string[]): string {
  return didYouMean(name, candidates);
}

/** The message for an environment name no `environments:` entry declares (the CLI's `--env` uses it too). */
export function unknownEnvironmentMessage(name: string, config: ProjectConfig | undefined): string {
  const names = environmentNames(config);
  if (names.length === 0) return `unknown environment '${name}': pipewright.yaml declares no environments`;
  return `unknown environment '${name}'${suggest(name, names)}: pipewright.yaml declares ${names.map((n) => `'${n}'`).join(', ')}`;
}

/**
 * Resolve `name` through its `extends` chain. Reports an unknown base, a cycle (starting at the earliest environment
 * in it) and an image given both as `image` and `imageTag` in one layer.
 */
export function resolveEnvironment(
  config: ProjectConfig,
  name: string,
  locator: ConfigLocator,
): { environment?: ResolvedEnvironment; diagnostics: Diagnostic[] } {
  const envs = config.environments ?? {};
  if (!Object.hasOwn(envs, name)) {
    return { diagnostics: [error(locator, ['environments'], unknownEnvironmentMessage(name, config), true)] };
  }
  const chain: string[] = [];
  for (let current: string | undefined = name; current !== undefined; ) {
    if (chain.includes(current)) {
      const cycle = [...chain.slice(chain.indexOf(current)), current];
      return {
        diagnostics: [
          error(
            locator,
            ['environments', current, 'extends'],
            `environments extend each other in a cycle: ${cycle.join(' → ')} (remove one 'extends')`,
          ),
        ],
      };
    }
    chain.push(current);
    const base: string | undefined = envs[current]!.extends;
    if (base !== undefined && !Object.hasOwn(envs, base)) {
      return {
        diagnostics: [
          error(
            locator,
            ['environments', current, 'extends'],
            `environment '${current}' extends ${unknownEnvironmentMessage(base, config).replace(/^unknown environment/, 'the unknown environment')}`,
          ),
        ],
      };
    }
    current = base;
  }
  chain.reverse();
  const settings = chain.map((n) => ({ name: n, value: envs[n]! }));
  const resolved: ResolvedEnvironment = { name, chain, settings, settingOrigins: {} };
  for (const { name: n, value } of settings) {
    for (const key of ['namespace', 'secretPrefix', 'runnerImage'] as const) {
      if (value[key] !== undefined) {
        resolved[key] = value[key];
        resolved.settingOrigins[key] = ['environments', n, key];
      }
    }
  }
  return { environment: resolved, diagnostics: conflicts(settings, locator) };
}

function conflicts(settings: ResolvedEnvironment['settings'], locator: ConfigLocator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (o: TaskOverrides | undefined, at: SpecPath) => {
    if (o?.image !== undefined && o.imageTag !== undefined) {
      const d = error(
        locator,
        [...at, 'imageTag'],
        `conflicting overrides: 'image' and 'imageTag' both set the image here; keep one`,
        true,
      );
      out.push({
        ...d,
        related: [
          {
            file: locator.file,
            range: locator.rangeOf([...at, 'image'], { key: true }),
            message: "'image' is set here",
          },
        ],
      });
    }
  };
  for (const { name, value } of settings) {
    check(value.overrides, ['environments', name, 'overrides']);
    for (const [p, pipeline] of Object.entries(value.pipelines ?? {})) {
      check(pipeline.overrides, ['environments', name, 'pipelines', p, 'overrides']);
      for (const [t, task] of Object.entries(pipeline.tasks ?? {})) {
        check(task, ['environments', name, 'pipelines', p, 'tasks', t]);
      }
    }
  }
  return out;
}

/**
 * Pipelines named in the environment's overrides that no spec defines (an override must not silently do nothing).
 */
export function unknownPipelines(
  environment: ResolvedEnvironment,
  pipelines: readonly string[],
  locator: ConfigLocator,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { name, value } of environment.settings) {
    for (const p of Object.keys(value.pipelines ?? {})) {
      if (!pipelines.includes(p)) {
        out.push(
          error(
            locator,
            ['environments', name, 'pipelines', p],
            `environment '${name}' overrides the pipeline '${p}', which no spec defines${suggest(p, pipelines)}`,
            true,
          ),
        );
      }
    }
  }
  return out;
}

/** Replace the tag or digest of an image reference (`repo:1.0` + `1.1` → `repo:1.1`; `sha256:…` → `repo@sha256:…`). */
export function withImageTag(image: string, tag: string): string {
  const at = image.indexOf('@');
  let repo = at >= 0 ? image.slice(0, at) : image;
  const colon = repo.lastIndexOf(':');
  if (colon > repo.lastIndexOf('/')) repo = repo.slice(0, colon);
  return tag.startsWith('sha256:') ? `${repo}@${tag}` : `${repo}:${tag}`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * The spec as it runs in `environment`: a deep copy with every override applied, the config path of each value set,
 * and diagnostics for overrides naming a task or param the spec does not have.
 */
export function applyEnvironment(
  spec: PipelineSpec,
  environment: ResolvedEnvironment,
  locator: ConfigLocator,
): OverlaidSpec {
  const out = clone(spec);
  const origins: Origin[] = [];
  const diagnostics: Diagnostic[] = [];
  const body = out.spec;
  const name = spec.metadata.name;
  const taskIds = Object.keys(body.tasks);
  const set = (specPath: SpecPath, configPath: SpecPath) => origins.push({ specPath, configPath });

  const applyTask = (id: string, o: TaskOverrides, at: SpecPath) => {
    const task: TaskSpec = body.tasks[id]!;
    const here: SpecPath = ['spec', 'tasks', id];
    if (o.image !== undefined) {
      task.image = o.image;
      set([...here, 'image'], [...at, 'image']);
    }
    if (o.imageTag !== undefined) {
      const current = task.image ?? body.defaults?.image;
      if (current !== undefined) {
        task.image = withImageTag(current, o.imageTag);
        set([...here, 'image'], [...at, 'imageTag']);
      }
    }
    for (const [k, v] of Object.entries(o.env ?? {})) {
      task.env = { ...(task.env ?? {}), [k]: v };
      set([...here, 'env', k], [...at, 'env', k]);
    }
    for (const k of ['cpu', 'memory'] as const) {
      const v = o.resources?.[k];
      if (v === undefined) continue;
      task.resources = { ...(task.resources ?? {}), [k]: v };
      set([...here, 'resources', k], [...at, 'resources', k]);
    }
    for (const k of ['pool', 'retries', 'retryDelay', 'timeout'] as const) {
      if (o[k] === undefined) continue;
      (task as unknown as Record<string, unknown>)[k] = o[k];
      set([...here, k], [...at, k]);
    }
  };

  const applyPipeline = (o: PipelineOverrides | undefined, at: SpecPath) => {
    if (!o) return;
    for (const k of ['enabled', 'schedule', 'timezone'] as const) {
      if (o[k] === undefined) continue;
      (body as unknown as Record<string, unknown>)[k] = o[k];
      set(['spec', k], [...at, k]);
    }
    for (const [p, v] of Object.entries(o.params ?? {})) {
      const declared = body.params ?? {};
      if (!Object.hasOwn(declared, p)) {
        diagnostics.push(
          error(
            { file: locator.file, rangeOf: locator.rangeOf },
            [...at, 'params', p],
            `pipeline '${name}' declares no param '${p}'${suggest(p, Object.keys(declared))}: an override can only change the default of a declared param`,
            true,
          ),
        );
        continue;
      }
      declared[p] = { ...declared[p]!, default: v };
      set(['spec', 'params', p, 'default'], [...at, 'params', p]);
    }
    for (const id of taskIds) applyTask(id, o, at);
  };

  for (const { name: env, value } of environment.settings) {
    applyPipeline(value.overrides, ['environments', env, 'overrides']);
    const own = value.pipelines && Object.hasOwn(value.pipelines, name) ? value.pipelines[name] : undefined;
    if (!own) continue;
    applyPipeline(own.overrides, ['environments', env, 'pipelines', name, 'overrides']);
    for (const [id, o] of Object.entries(own.tasks ?? {})) {
      const at: SpecPath = ['environments', env, 'pipelines', name, 'tasks', id];
      if (!Object.hasOwn(body.tasks, id)) {
        diagnostics.push(
          error(
            locator,
            at,
            `environment '${env}' overrides the task '${id}', which pipeline '${name}' does not have${suggest(id, taskIds)}`,
            true,
          ),
        );
        continue;
      }
      applyTask(id, o, at);
    }
  }

  if (environment.secretPrefix !== undefined) {
    for (const [id, task] of Object.entries(body.tasks)) {
      for (const [env, secret] of Object.entries(task.secrets ?? {})) {
        secret.ref = `${environment.secretPrefix}${secret.ref}`;
        set(['spec', 'tasks', id, 'secrets', env, 'ref'], environment.settingOrigins.secretPrefix!);
      }
    }
  }
  return { spec: out, origins, diagnostics };
}

/** The config path that set `specPath` or one of its ancestors (the last, most specific layer wins). */
export function originOf(origins: readonly Origin[], specPath: SpecPath): SpecPath | undefined {
  for (let i = origins.length - 1; i >= 0; i--) {
    const o = origins[i]!;
    if (o.specPath.length <= specPath.length && o.specPath.every((s, j) => s === specPath[j])) {
      return [...o.configPath, ...specPath.slice(o.specPath.length)];
    }
  }
  return undefined;
}
