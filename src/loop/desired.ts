/**
 * What a commit asks for: its specs must be valid and its committed `generated/` exactly what compile writes (the
 * `check` comparison, on the private work tree). A commit that fails either is refused with the reasons; the
 * daemon keeps serving the last good one. The docker target's pipelines are read from `generated/compose/*` — the
 * reviewed artifacts, like `pipewright run` does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { openProject } from '../config/index.js';
import { checkProject } from '../emit/project.js';
import { formatDiagnosticLines } from '../emit/report.js';
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

/** Verify the work tree of a commit and read its scheduled pipelines. Never throws for the commit's content. */
export async function verifyTree(tree: string): Promise<Verdict> {
  const opened = await openProject(tree);
  if (!opened.ok) {
    return {
      ok: false,
      staleFiles: 0,
      reasons: [`${opened.file} is invalid:\n${formatDiagnosticLines(opened.diagnostics).trimEnd()}`],
    };
  }
  let result: Awaited<ReturnType<typeof checkProject>>;
  try {
    result = await checkProject(
      {
        paths: ['pipelines'],
        cwd: tree,
        out: 'generated',
        useCache: false,
        ...(opened.project.config ? { config: opened.project.config } : {}),
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
    return { ok: true, pipelines: readComposePipelines(tree) };
  } catch (error) {
    return { ok: false, staleFiles: 0, reasons: [(error as Error).message] };
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every generated/compose/<p>.compose.yaml of a tree, sorted by pipeline name. Throws PlanError when malformed. */
export function readComposePipelines(tree: string): ScheduledPipeline[] {
  const dir = join(tree, 'generated', 'compose');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.compose.yaml'));
  } catch {
    return [];
  }
  const out: ScheduledPipeline[] = [];
  for (const file of files.sort()) {
    const artifact = `generated/compose/${file}`;
    const text = readFileSync(join(dir, file), 'utf8');
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
    out.push(pipeline);
  }
  return out;
}
