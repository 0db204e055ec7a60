/**
 * GitLab CI target: `gitlab/<pipeline>.gitlab-ci.yml`, a child pipeline with one job per task instance (the IR is
 * already matrix-expanded, so jobs are explicit and `needs` names instances exactly; no `parallel: matrix`), and
 * `gitlab/pipelines.gitlab-ci.yml` (emitGitlabParent), the parent that triggers one child per pipeline selected by
 * `$PIPEWRIGHT_PIPELINE`.
 *
 * GitLab does not expand variables inside `script`, the shell does: every argv word is single-quoted by
 * src/targets/shell.ts and run-time references become `"$PIPEWRIGHT_…"` segments. Plain env values travel as job
 * variables with `expand: false`, so GitLab leaves their `$` alone too.
 */
import { parse } from 'yaml';
import { generatedHeader, generatedHeaderForMany } from '../../emit/header.js';
import { durationParts } from '../../model/duration.js';
import type { PipelineHeader, PipelineIR, TaskIR, Template } from '../../model/ir.js';
import { composeSecretVariables } from '../compose/index.js';
import { quoteShellCommand, quoteShellLiteral, quoteShellWord, runtimeEnvVar } from '../shell.js';
import type { EmittedFile, Emitter, TargetWarning } from '../target.js';

/** GitLab's `retry` accepts 0..2. */
export const GITLAB_MAX_RETRY = 2;
export const PARENT_PATH = 'gitlab/pipelines.gitlab-ci.yml';
export const SELECTOR_VARIABLE = 'PIPEWRIGHT_PIPELINE';
const STAGE = 'pipewright';
/** GitLab's default `ci_max_needs`: a job may list at most 50 jobs in `needs`. */
export const GITLAB_MAX_NEEDS = 50;
/** Job names GitLab reads as keywords (or, for `pages`, as a Pages deployment). */
const RESERVED_JOB_NAMES = new Set([
  'image',
  'services',
  'stages',
  'types',
  'before_script',
  'after_script',
  'variables',
  'cache',
  'include',
  'default',
  'workflow',
  'pages',
  'spec',
  'true',
  'false',
  'nil',
]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Run-time built-ins a run did not pass: ts from the pipeline's creation time (the same for every job of the
 * pipeline, unlike `date`), ds from ts, ds_nodash from ds, run_id from the pipeline id. Fixed text, no user input.
 */
export const BUILTIN_DEFAULTS_SCRIPT = [
  `export PIPEWRIGHT_TS="\${PIPEWRIGHT_TS:-\${CI_PIPELINE_CREATED_AT:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}}"`,
  `export PIPEWRIGHT_DS="\${PIPEWRIGHT_DS:-\${PIPEWRIGHT_TS%%T*}}"`,
  `export PIPEWRIGHT_DS_NODASH="\${PIPEWRIGHT_DS_NODASH:-$(printf '%s' "$PIPEWRIGHT_DS" | tr -d -)}"`,
  `export PIPEWRIGHT_RUN_ID="\${PIPEWRIGHT_RUN_ID:-gitlab-\${CI_PIPELINE_ID:-local}}"`,
];

/**
 * The CI/CD variable each secret reference is read from, the same names the Compose target uses:
 * `warehouse/password` → `PIPEWRIGHT_SECRET_WAREHOUSE_PASSWORD` (refs that collide get a hash suffix).
 */
export function secretVariables(ir: PipelineIR): Map<string, string> {
  return composeSecretVariables([...new Set(ir.tasks.flatMap((t) => t.secrets.map((s) => s.ref)))].sort());
}

/** The rule a pipeline's jobs and trigger share: run when selected, never when the pipeline is disabled. */
function selectorRule(ir: Pick<PipelineIR, 'name'>): string {
  return `$${SELECTOR_VARIABLE} == ${JSON.stringify(ir.name)}`;
}

function childRules(ir: PipelineIR) {
  return ir.enabled ? [{ if: selectorRule(ir) }] : [{ when: 'never' }];
}

/** GitLab duration text: 600 → "10m", 5400 → "1h 30m". */
export function gitlabDuration(seconds: number): string {
  return durationParts(seconds).join(' ') || '0s';
}

function templateVars(template: Template): string[] {
  return template.flatMap((s) => ('ref' in s ? [runtimeEnvVar(s.ref)] : []));
}

function assertEnvName(name: string): string {
  if (!ENV_NAME.test(name))
    throw new Error(`GitLab emitter: invalid environment variable name ${JSON.stringify(name)} (validate first)`);
  return name;
}

/** Job names: instance ids, except GitLab keywords, which get a `task-` prefix (and a warning). */
function jobNames(ir: PipelineIR, warnings: TargetWarning[]): Map<string, string> {
  const ids = new Set(ir.tasks.map((t) => t.id));
  const names = new Map<string, string>();
  for (const task of ir.tasks) {
    if (!RESERVED_JOB_NAMES.has(task.id)) {
      names.set(task.id, task.id);
      continue;
    }
    let name = `task-${task.id}`;
    while (ids.has(name)) name = `task-${name}`;
    ids.add(name);
    names.set(task.id, name);
    warnings.push({
      code: 'PW305',
      path: ['spec', 'tasks', task.specId],
      message: `'${task.id}' is a GitLab CI keyword, not a valid job name; the GitLab target names this job '${name}'`,
    });
  }
  return names;
}

/**
 * Where each job goes. Normally one stage and the DAG in `needs`. When a job needs more than GitLab allows, jobs are
 * layered into stages by DAG depth and that job drops `needs`: a job without `needs` waits for every earlier stage,
 * which contains all of its dependencies (they are shallower), so the order stays right at the cost of parallelism.
 */
interface Layout {
  stages: string[];
  stageOf: Map<string, string>;
}

function layout(ir: PipelineIR): Layout {
  if (!ir.tasks.some((t) => t.needs.length > GITLAB_MAX_NEEDS)) {
    return { stages: [STAGE], stageOf: new Map(ir.tasks.map((t) => [t.id, STAGE])) };
  }
  const depth = new Map<string, number>();
  for (const task of ir.tasks) depth.set(task.id, Math.max(-1, ...task.needs.map((n) => depth.get(n)!)) + 1);
  const levels = Math.max(...depth.values()) + 1;
  const stages = Array.from({ length: levels }, (_, i) => `${STAGE}-${i + 1}`);
  return { stages, stageOf: new Map(ir.tasks.map((t) => [t.id, stages[depth.get(t.id)!]!])) };
}

function job(ir: PipelineIR, task: TaskIR, names: Map<string, string>, secretVars: Map<string, string>, stage: string) {
  const plain: Record<string, { value: string; expand: false }> = {};
  const script: string[] = [];
  const referenced = new Set<string>();
  for (const word of task.command) for (const v of templateVars(word)) referenced.add(v);
  for (const { name, value } of task.env) {
    assertEnvName(name);
    const vars = templateVars(value);
    if (vars.length === 0)
      plain[name] = { value: value.map((s) => ('text' in s ? s.text : '')).join(''), expand: false };
    else {
      for (const v of vars) referenced.add(v);
      script.push(`export ${name}=${quoteShellWord(value)}`);
    }
  }
  // A required parameter that was not passed stops the job with a message instead of running with an empty value.
  const required = ir.params.filter((p) => p.default === undefined && referenced.has(p.envVar));
  const checks = required.map(
    (p) => `: "\${${p.envVar}?pipewright: run parameter ${p.envVar} is required (pass it as a pipeline variable)}"`,
  );
  // Allowed values: a `case` with single-quoted (literal) patterns, so a value is compared as text, never as a glob.
  for (const p of ir.params.filter((p) => p.enum !== undefined && referenced.has(p.envVar))) {
    const message = quoteShellLiteral(`pipewright: run parameter ${p.envVar} must be one of: ${p.enum!.join(', ')}`);
    const patterns = p.enum!.map(quoteShellLiteral).join('|');
    checks.push(`case "$${p.envVar}" in ${patterns}) ;; *) printf '%s\\n' ${message} >&2; exit 1 ;; esac`);
  }
  const secrets = task.secrets.map((s) => {
    const variable = secretVars.get(s.ref)!;
    return `export ${assertEnvName(s.env)}="\${${variable}?pipewright: CI/CD variable ${variable} (secret ${s.ref.replace(/[^-./A-Za-z0-9_]/g, '?')}) is not set}"`;
  });
  const cd = task.workingDir === undefined ? [] : [`cd ${quoteShellLiteral(task.workingDir)}`];
  return {
    stage,
    image: task.image,
    ...(task.pool === undefined ? {} : { tags: [task.pool] }),
    ...(task.needs.length > GITLAB_MAX_NEEDS ? {} : { needs: task.needs.map((id) => names.get(id) ?? id) }),
    ...(Object.keys(plain).length === 0 ? {} : { variables: plain }),
    ...(task.retries === 0 ? {} : { retry: Math.min(task.retries, GITLAB_MAX_RETRY) }),
    ...(task.timeoutSeconds === undefined ? {} : { timeout: gitlabDuration(task.timeoutSeconds) }),
    rules: childRules(ir),
    script: [...checks, ...secrets, ...script, ...cd, quoteShellCommand(task.command)],
  };
}

/** What GitLab cannot express exactly. */
function capabilityWarnings(ir: PipelineIR): TargetWarning[] {
  const warnings: TargetWarning[] = [];
  const seen = new Set<string>();
  for (const task of ir.tasks) {
    if (task.retries > GITLAB_MAX_RETRY && !seen.has(task.specId)) {
      seen.add(task.specId);
      warnings.push({
        code: 'PW301',
        path: ['spec', 'tasks', task.specId, 'retries'],
        message: `GitLab retries a job at most ${GITLAB_MAX_RETRY} times; '${task.specId}' asks for ${task.retries}, the GitLab target uses retry: ${GITLAB_MAX_RETRY}`,
      });
    }
  }
  const firstOf = (pick: (t: TaskIR) => boolean) => ir.tasks.find(pick);
  const fanIn = firstOf((t) => t.needs.length > GITLAB_MAX_NEEDS);
  if (fanIn) {
    warnings.push({
      code: 'PW304',
      path: ['spec', 'tasks', fanIn.specId, 'needs'],
      message: `GitLab lets a job need at most ${GITLAB_MAX_NEEDS} jobs; '${fanIn.id}' needs ${fanIn.needs.length} (matrix instances count one each): the GitLab target orders jobs by stages (one per DAG level) and that job waits for every earlier stage`,
    });
  }
  const delayed = firstOf((t) => t.retries > 0 && t.retryDelaySeconds > 0);
  if (delayed) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'tasks', delayed.specId, 'retryDelay'],
      message: `GitLab retries a failed job immediately; retryDelay (${delayed.retryDelaySeconds}s for '${delayed.specId}') is not applied by the GitLab target`,
    });
  }
  const sized = firstOf((t) => t.resources.cpu !== undefined || t.resources.memory !== undefined);
  if (sized) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'tasks', sized.specId, 'resources'],
      message: `GitLab jobs get the runner's resources; cpu/memory (for '${sized.specId}' and others) are not enforced by the GitLab target (select a sized runner with pool → tags)`,
    });
  }
  const dollar = firstOf((t) => t.image.includes('$'));
  if (dollar) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'tasks', dollar.specId, 'image'],
      message: `GitLab expands variables in 'image': the '$' in the image of '${dollar.specId}' will be expanded`,
    });
  }
  if (ir.concurrency > 1) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'concurrency'],
      message: `GitLab cannot cap runs at ${ir.concurrency}: the GitLab target does not limit concurrent runs of this pipeline (concurrency 1 uses a resource_group)`,
    });
  }
  if (ir.slaSeconds !== undefined) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'sla'],
      message: 'GitLab has no SLA monitoring: the GitLab target does not check the sla',
    });
  }
  if (ir.catchup || ir.startDate !== undefined || ir.endDate !== undefined) {
    warnings.push({
      code: 'PW305',
      path: ['spec', ir.catchup ? 'catchup' : ir.startDate !== undefined ? 'startDate' : 'endDate'],
      message:
        'GitLab pipeline schedules have no catch-up or start/end dates: the GitLab target runs on each schedule tick only (backfill with `pipewright run --backfill`)',
    });
  }
  return warnings;
}

function scheduleHeader(ir: PipelineIR): string[] {
  if (ir.schedule === undefined) return [`manual pipeline: run it with ${SELECTOR_VARIABLE}=${ir.name} (Run pipeline)`];
  return [
    `schedule: ${ir.schedule} (${ir.timezone})${ir.enabled ? '' : ' — disabled'}: create a GitLab pipeline schedule with this cron and time zone and the variable ${SELECTOR_VARIABLE}=${ir.name}`,
  ];
}

export const emitGitlab: Emitter = (ir) => {
  const warnings: TargetWarning[] = [];
  const names = jobNames(ir, warnings);
  warnings.push(...capabilityWarnings(ir));
  const variables: Record<string, { value: string; expand: false; description?: string }> = {};
  for (const p of ir.params) {
    if (p.default === undefined) continue;
    variables[p.envVar] = { value: p.default, expand: false };
  }
  const { stages, stageOf } = layout(ir);
  const document: Record<string, unknown> = { stages };
  if (Object.keys(variables).length > 0) document.variables = sortRecord(variables);
  document.default = { before_script: BUILTIN_DEFAULTS_SCRIPT };
  const secretVars = secretVariables(ir);
  for (const task of ir.tasks) {
    document[names.get(task.id)!] = job(ir, task, names, secretVars, stageOf.get(task.id)!);
  }
  return {
    files: [
      {
        path: `gitlab/${ir.name}.gitlab-ci.yml`,
        header: [...generatedHeader(ir), ...scheduleHeader(ir)],
        documents: [document],
      },
    ],
    warnings,
  };
};

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

/**
 * The parent pipeline: one trigger job per pipeline, sorted by name. A job runs when the pipeline is selected with
 * `PIPEWRIGHT_PIPELINE=<name>` by a schedule (scheduled pipelines only) or by hand (web / API), and never when the
 * pipeline is disabled. `strategy: depend` mirrors the child's status; pipeline variables (params, ds …) are forwarded.
 * @param outDir the output directory as seen from the repository root (trigger includes are repository paths).
 */
/**
 * The fields of a pipeline the GitLab parent pipeline reads (its type restricts emitGitlabParent to them): the
 * merge-request gate (src/emit/gate.ts) re-emits the parent only when these change, and recovers them for unchanged
 * pipelines from the parent file of a verified base (recoverGitlabParent).
 */
export const GITLAB_PROJECT_FIELDS = ['name', 'file', 'schedule', 'concurrency', 'enabled'] as const;
export type GitlabProjectEntry = Pick<PipelineHeader, (typeof GITLAB_PROJECT_FIELDS)[number]>;

export function emitGitlabParent(irs: readonly GitlabProjectEntry[], options: { outDir?: string } = {}): EmittedFile {
  const outDir = (options.outDir ?? 'generated').replace(/\/+$/, '');
  const sorted = [...irs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const document: Record<string, unknown> = { stages: [STAGE] };
  for (const ir of sorted) {
    const sources = ir.schedule === undefined ? ['web', 'api'] : ['schedule', 'web', 'api'];
    const sourceTest = sources.map((s) => `$CI_PIPELINE_SOURCE == ${JSON.stringify(s)}`).join(' || ');
    document[RESERVED_JOB_NAMES.has(ir.name) ? `pipeline-${ir.name}` : ir.name] = {
      stage: STAGE,
      ...(ir.concurrency === 1 ? { resource_group: `pipewright-${ir.name}` } : {}),
      // Passed to the child as a trigger variable: its jobs select on it even where pipeline variables are not forwarded.
      variables: { [SELECTOR_VARIABLE]: ir.name },
      trigger: {
        include: `${outDir}/gitlab/${ir.name}.gitlab-ci.yml`,
        strategy: 'depend',
        forward: { yaml_variables: true, pipeline_variables: true },
      },
      rules: ir.enabled ? [{ if: `${selectorRule(ir)} && (${sourceTest})` }] : [{ when: 'never' }],
    };
  }
  return {
    path: PARENT_PATH,
    header: [
      ...generatedHeaderForMany(sorted),
      `include it from .gitlab-ci.yml (include: ${outDir}/${PARENT_PATH}) and select a pipeline with ${SELECTOR_VARIABLE}`,
    ],
    documents: [document],
  };
}

const HEADER_PREFIX = '# generated by pipewright from ';
const HEADER_SUFFIX = ' — do not edit';

/**
 * The project entries a parent pipeline was emitted from, read back from its text (the gate's way to re-link a verified
 * base without loading every spec): the job of each pipeline gives its name (PIPEWRIGHT_PIPELINE), whether it has a
 * schedule (the `schedule` source in its rule), concurrency 1 (a resource group) and enabled; the header line gives
 * the files in name order. A schedule is recovered as a placeholder (only its presence is emitted). Undefined when the
 * text is not such a file, or a file name holds ', ' (the list would be ambiguous). Callers verify by re-emitting.
 */
export function recoverGitlabParent(text: string): GitlabProjectEntry[] | undefined {
  const first = text.slice(0, text.indexOf('\n'));
  if (!first.startsWith(HEADER_PREFIX) || !first.endsWith(HEADER_SUFFIX)) return undefined;
  const files = first.slice(HEADER_PREFIX.length, -HEADER_SUFFIX.length).split(', ');
  let document: unknown;
  try {
    document = parse(text, { version: '1.2', schema: 'core', maxAliasCount: 0, uniqueKeys: true });
  } catch {
    return undefined;
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return undefined;
  const entries: GitlabProjectEntry[] = [];
  for (const [key, job] of Object.entries(document as Record<string, unknown>)) {
    if (key === 'stages') continue;
    const j = job as {
      resource_group?: unknown;
      variables?: Record<string, unknown>;
      rules?: { if?: unknown; when?: unknown }[];
    };
    const name = j?.variables?.[SELECTOR_VARIABLE];
    const rule = Array.isArray(j?.rules) ? j.rules[0] : undefined;
    if (typeof name !== 'string' || rule === undefined) return undefined;
    const enabled = rule.when !== 'never';
    entries.push({
      name,
      file: '',
      ...(typeof rule.if === 'string' && rule.if.includes('"schedule"') ? { schedule: '(recovered)' } : {}),
      concurrency: j.resource_group === undefined ? 2 : 1,
      enabled,
    });
  }
  // a disabled job says nothing about its schedule: the gate's re-emission check catches a difference anyway
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (files.length !== entries.length) return undefined;
  entries.forEach((e, i) => {
    e.file = files[i]!;
  });
  return entries;
}
