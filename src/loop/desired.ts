/**
 * What a commit asks for: its specs must be valid and its committed `generated/` exactly what compile writes (the
 * `check` comparison, on the private work tree). A commit that fails either is refused with the reasons; the
 * daemon keeps serving the last good one. The docker target's pipelines are read from `generated/compose/*`
 * (`generated/<env>/compose/*` with `--env`) — the reviewed artifacts, like `pipewright run` does.
 *
 * The commit's pipewright.yaml is the one at the root of its work tree, never one above it (the tree lives inside
 * the daemon's state directory, which may itself be inside a project).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { openProjectAt, type ProjectConfig } from '../config/index.js';
import { checkProject } from '../emit/project.js';
import { formatDiagnosticLines } from '../emit/report.js';
import { environmentNames, unknownEnvironmentMessage } from '../model/environments.js';
import { PlanError, planFromComposeText, type RunPlan } from '../runtime/plan.js';
import { TARGETS } from '../targets/target.js';
import type { ScheduleSpec } from './calendar.js';

export interface ScheduledPipeline {
  name: string;
  /** generated/compose/<name>.compose.yaml, relative to the tree. */
  artifact: string;
  plan: RunPlan;
  enabled: boolean;
  /** Absent: triggered manually, never scheduled. */
  schedule?: ScheduleSpec;
  slaSeconds?: number;
}

export type Verdict =
  | { ok: true; pipelines: ScheduledPipeline[] }
  | {
      ok: false;
      reasons: string[] /** Files of generated/ that differ from what compile writes. */;
      staleFiles: number;
    };

const MAX_LISTED = 20;

/** Which environment's artifacts the daemon serves (`--env`); none for a project without environments. */
export interface TreeOptions {
  environment?: string;
}

/** Why a commit's config does not fit `--env` (unknown environment, or environments declared but none chosen). */
export function environmentProblem(
  config: ProjectConfig | undefined,
  environment: string | undefined,
): string | undefined {
  const names = environmentNames(config);
  if (environment === undefined) {
    return names.length === 0
      ? undefined
      : `pipewright.yaml declares environments (${names.join(', ')}): choose the one to serve with \`reconcile --env <name>\` (or reconcile: env: in pipewright.yaml)`;
  }
  return names.includes(environment) ? undefined : unknownEnvironmentMessage(environment, config);
}

/** Verify the work tree of a commit and read its scheduled pipelines. Never throws for the commit's content. */
export async function verifyTree(tree: string, options: TreeOptions = {}): Promise<Verdict> {
  const opened = await openProjectAt(tree);
  if (!opened.ok) {
    return {
      ok: false,
      staleFiles: 0,
      reasons: [`${opened.file} is invalid:\n${formatDiagnosticLines(opened.diagnostics).trimEnd()}`],
    };
  }
  const { config, configSource } = opened.project;
  const envProblem = environmentProblem(config, options.environment);
  if (envProblem) return { ok: false, staleFiles: 0, reasons: [envProblem] };
  let result: Awaited<ReturnType<typeof checkProject>>;
  try {
    result = await checkProject(
      {
        paths: ['pipelines'],
        cwd: tree,
        out: 'generated',
        useCache: false,
        ...(config ? { config } : {}),
        ...(configSource ? { configSource } : {}),
        // with --env: the served environment's tree (check --env), the others are not what this daemon runs
        ...(options.environment !== undefined ? { within: options.environment } : {}),
      },
      TARGETS,
    );
  } catch (error) {
    return { ok: false, staleFiles: 0, reasons: [(error as Error).message] };
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !result.report) {
    const shown = errors.slice(0, MAX_LISTED);
    return {
      ok: false,
      staleFiles: 0,
      reasons: [
        `the specs have ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${formatDiagnosticLines(shown).trimEnd()}${errors.length > shown.length ? `\n… and ${errors.length - shown.length} more` : ''}`,
      ],
    };
  }
  const { report } = result;
  if (!report.ok) {
    const list = (what: string, paths: string[]) =>
      paths.length === 0
        ? []
        : [
            `${what}: ${paths
              .slice(0, MAX_LISTED)
              .map((p) => `generated/${p}`)
              .join(', ')}`,
          ];
    return {
      ok: false,
      staleFiles: report.stale.length + report.missing.length + report.extra.length,
      reasons: [
        `generated/ is not what \`pipewright compile\` writes for this commit (run \`pipewright compile\` and commit)`,
        ...list('stale', report.stale),
        ...list('missing', report.missing),
        ...list('no longer generated', report.extra),
      ],
    };
  }
  try {
    return { ok: true, pipelines: readComposePipelines(tree, options.environment) };
  } catch (error) {
    return { ok: false, staleFiles: 0, reasons: [(error as Error).message] };
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** generated/compose (generated/<env>/compose) of a tree, relative to it. */
export function composeDir(environment?: string): string {
  return environment === undefined ? 'generated/compose' : `generated/${environment}/compose`;
}

/** Every compose artifact of a tree, sorted by file name. Throws PlanError when malformed. */
export function readComposePipelines(tree: string, environment?: string): ScheduledPipeline[] {
  const dir = composeDir(environment);
  let files: string[];
  try {
    files = readdirSync(join(tree, dir)).filter((f) => f.endsWith('.compose.yaml'));
  } catch {
    return [];
  }
  return files.sort().map((file) => readComposeFile(tree, `${dir}/${file}`));
}

/** One pipeline's artifact (compile writes <dir>/<pipeline>.compose.yaml), or undefined when the tree has none. */
export function readComposePipeline(
  tree: string,
  pipeline: string,
  environment?: string,
): ScheduledPipeline | undefined {
  const artifact = `${composeDir(environment)}/${pipeline}.compose.yaml`;
  try {
    const found = readComposeFile(tree, artifact);
    return found.name === pipeline ? found : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function readComposeFile(tree: string, artifact: string): ScheduledPipeline {
  const text = readFileSync(join(tree, artifact), 'utf8');
  const plan = planFromComposeText(text, artifact);
  const doc = parse(text, { version: '1.2', schema: 'core', maxAliasCount: 0, merge: false }) as Obj;
  const meta = isObj(doc) && isObj(doc['x-pipewright']) ? doc['x-pipewright'] : {};
  const str = (key: string): string | undefined => {
    const v = meta[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new PlanError(`${artifact}: x-pipewright.${key}: expected a string`);
    return v;
  };
  const cron = str('schedule');
  const pipeline: ScheduledPipeline = {
    name: plan.pipeline,
    artifact,
    plan,
    enabled: meta.enabled !== false,
    ...(typeof meta.slaSeconds === 'number' ? { slaSeconds: meta.slaSeconds } : {}),
  };
  if (cron !== undefined) {
    const startDate = str('startDate');
    const endDate = str('endDate');
    pipeline.schedule = {
      cron,
      timezone: str('timezone') ?? 'UTC',
      catchup: meta.catchup === true,
      ...(startDate ? { startDate } : {}),
      ...(endDate ? { endDate } : {}),
    };
  }
  return pipeline;
}
