import { formatDuration } from '../model/duration.js';
import type { ParamIR, PipelineIR, ResourcesIR, TaskIR, Template } from '../model/ir.js';
import { renderTemplate } from '../model/template.js';
import type { Change, ChangeValue, PipelineDiff } from './change.js';
import { type RuleId, severityOf } from './rules.js';

/**
 * A pipeline as history reads it: the IR plus what the IR folds away but a diff should show where it was written —
 * `defaults.image` and the tasks (spec ids) that inherit it.
 */
export type HistoryPipeline = PipelineIR & { defaultImage?: { image: string; inheriting: readonly string[] } };

/**
 * Semantic diff of two sets of pipelines, keyed by `metadata.name` (a moved or renamed file is a modification).
 * Pure: compares IR values only, so key order, task order, needs/outputs order and spacing inside `{{ }}` never show
 * up as changes. Pipelines without any difference are left out; the result is sorted by name.
 */
export function diffPipelines(
  base: ReadonlyMap<string, PipelineIR>,
  head: ReadonlyMap<string, PipelineIR>,
): PipelineDiff[] {
  return diffHeads(base, head, diffPipeline);
}

/** What diffPipelines reads of a pipeline itself; its field-level changes come from `changesOf`. */
export interface PipelineHead {
  name: string;
  version: string;
  specHash: string;
  file: string;
}

/**
 * Whether two versions of one pipeline need a field walk: specHash covers everything but the file path, so equal
 * hashes in the same file have no change (long changelog walks skip most pipelines on every commit this way).
 */
export function needsFieldDiff(b: PipelineHead, h: PipelineHead): boolean {
  return b !== h && (b.specHash !== h.specHash || b.file !== h.file);
}

/**
 * diffPipelines over pipeline heads, with the field-level changes of a modified pipeline from `changesOf` (called only
 * when needsFieldDiff): changelog takes them from its cache of blob pairs without holding the IRs.
 */
export function diffHeads<P extends PipelineHead>(
  base: ReadonlyMap<string, P>,
  head: ReadonlyMap<string, P>,
  changesOf: (b: P, h: P) => Change[],
): PipelineDiff[] {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort(byText);
  const out: PipelineDiff[] = [];
  for (const name of names) {
    const b = base.get(name);
    const h = head.get(name);
    if (b && !h) {
      out.push({
        name,
        status: 'removed',
        file: b.file,
        version: { before: b.version },
        changes: [change('pipeline-removed', 'pipeline', 'removed', b.version, undefined)],
      });
    } else if (!b && h) {
      out.push({ name, status: 'added', file: h.file, version: { after: h.version }, changes: [] });
    } else if (b && h) {
      if (!needsFieldDiff(b, h)) continue;
      const changes = changesOf(b, h);
      if (changes.length === 0 && b.version === h.version && b.file === h.file) continue;
      out.push({
        name,
        status: 'modified',
        file: h.file,
        ...(b.file !== h.file ? { previousFile: b.file } : {}),
        version: { before: b.version, after: h.version },
        changes,
      });
    }
  }
  return out;
}

/** Field-level changes between two versions of one pipeline, sorted by path (stable within a path). */
export function diffPipeline(b: PipelineIR, h: PipelineIR): Change[] {
  const out: Change[] = [];
  const push = (rule: RuleId, path: string, before: ChangeValue | undefined, after: ChangeValue | undefined) => {
    if (sameValue(before, after)) return;
    out.push(
      change(rule, path, before === undefined ? 'added' : after === undefined ? 'removed' : 'changed', before, after),
    );
  };

  push('owner-changed', 'owner', b.owner, h.owner);
  push('description-changed', 'description', b.description, h.description);
  diffRecord(b.labels, h.labels, (key, before, after) => push('labels-changed', `labels.${key}`, before, after));
  push('schedule-changed', 'schedule', b.schedule, h.schedule);
  push('timezone-changed', 'timezone', b.timezone, h.timezone);
  if (b.enabled !== h.enabled)
    push(h.enabled ? 'pipeline-enabled' : 'pipeline-disabled', 'enabled', b.enabled, h.enabled);
  push('catchup-changed', 'catchup', b.catchup, h.catchup);
  if (b.startDate !== h.startDate) {
    // A later (or newly set) start drops intervals that used to run.
    const later = h.startDate !== undefined && (b.startDate === undefined || h.startDate > b.startDate);
    push(later ? 'start-date-later' : 'start-date-earlier', 'startDate', b.startDate, h.startDate);
  }
  if (b.endDate !== h.endDate) {
    const earlier = h.endDate !== undefined && (b.endDate === undefined || h.endDate < b.endDate);
    push(earlier ? 'end-date-earlier' : 'end-date-later', 'endDate', b.endDate, h.endDate);
  }
  push('concurrency-changed', 'concurrency', b.concurrency, h.concurrency);
  push('sla-changed', 'sla', seconds(b.slaSeconds), seconds(h.slaSeconds));
  diffParams(b.params, h.params, out);
  diffTasks(b.tasks, h.tasks, out);
  return foldDefaultImage(b, h, out).sort((x, y) => byText(x.path, y.path));
}

/**
 * A change of `defaults.image` is reported once, at `defaults.image`, with the tasks it reaches — not as one image
 * change per task. Only tasks that inherit the default on both sides are folded in; a task that sets its own image
 * keeps its own line.
 */
function foldDefaultImage(b: HistoryPipeline, h: HistoryPipeline, changes: Change[]): Change[] {
  const before = b.defaultImage;
  const after = h.defaultImage;
  if (!before || !after || before.image === after.image) return changes;
  const inheriting = new Set(before.inheriting.filter((id) => after.inheriting.includes(id)));
  const specIdOf = new Map(h.tasks.map((t) => [t.id, t.specId]));
  const reached: string[] = [];
  let rule: RuleId | undefined;
  const rest = changes.filter((c) => {
    const m = /^tasks\.([^.]+)\.image$/.exec(c.path);
    const specId = m ? specIdOf.get(m[1]!) : undefined;
    if (!m || specId === undefined || !inheriting.has(specId)) return true;
    if (c.before !== before.image || c.after !== after.image) return true;
    reached.push(m[1]!);
    rule ??= c.rule;
    return false;
  });
  if (rule === undefined) return changes;
  const folded = change(rule, 'defaults.image', 'changed', before.image, after.image);
  return [...rest, { ...folded, tasks: reached.sort(byText) }];
}

function diffParams(base: readonly ParamIR[], head: readonly ParamIR[], out: Change[]): void {
  const b = new Map(base.map((p) => [p.name, p]));
  const h = new Map(head.map((p) => [p.name, p]));
  for (const name of [...new Set([...b.keys(), ...h.keys()])].sort(byText)) {
    const bp = b.get(name);
    const hp = h.get(name);
    const path = `params.${name}`;
    if (bp && !hp) {
      out.push(change('param-removed', path, 'removed', bp.default, undefined));
      continue;
    }
    if (!bp && hp) {
      out.push(
        change(hp.default === undefined ? 'param-added-required' : 'param-added', path, 'added', undefined, hp.default),
      );
      continue;
    }
    if (!bp || !hp) continue;
    if (bp.default !== hp.default) {
      const rule = bp.default === undefined ? 'param-default-added' : 'param-default-changed';
      out.push(change(rule, `${path}.default`, kindOf(bp.default, hp.default), bp.default, hp.default));
    }
    if (bp.description !== hp.description) {
      out.push(
        change(
          'description-changed',
          `${path}.description`,
          kindOf(bp.description, hp.description),
          bp.description,
          hp.description,
        ),
      );
    }
    const enumPath = `${path}.enum`;
    if (bp.enum && !hp.enum) out.push(change('param-enum-widened', enumPath, 'removed', bp.enum.join(', '), undefined));
    else if (!bp.enum && hp.enum)
      out.push(change('param-enum-restricted', enumPath, 'added', undefined, hp.enum.join(', ')));
    else if (bp.enum && hp.enum) {
      diffSet(bp.enum, hp.enum, (value, added) =>
        out.push(
          change(
            added ? 'param-enum-widened' : 'param-enum-restricted',
            enumPath,
            added ? 'added' : 'removed',
            added ? undefined : value,
            added ? value : undefined,
          ),
        ),
      );
    }
  }
}

function diffTasks(base: readonly TaskIR[], head: readonly TaskIR[], out: Change[]): void {
  const b = new Map(base.map((t) => [t.id, t]));
  const h = new Map(head.map((t) => [t.id, t]));
  const datasets = (tasks: readonly TaskIR[], pick: (t: TaskIR) => Template[]) =>
    new Set(tasks.flatMap((t) => pick(t).map(renderTemplate)));
  const baseOut = datasets(base, (t) => t.outputs);
  const headOut = datasets(head, (t) => t.outputs);
  const baseIn = datasets(base, (t) => t.inputs);
  const headIn = datasets(head, (t) => t.inputs);

  for (const id of [...new Set([...b.keys(), ...h.keys()])].sort(byText)) {
    const bt = b.get(id);
    const ht = h.get(id);
    const path = `tasks.${id}`;
    if (bt && !ht) out.push(change('task-removed', path, 'removed', bt.image, undefined));
    if (!bt && ht) out.push(change('task-added', path, 'added', undefined, ht.image));
    // Lineage is compared for added and removed tasks too: a removed task's outputs may no longer be written at all.
    diffSet((bt?.outputs ?? []).map(renderTemplate), (ht?.outputs ?? []).map(renderTemplate), (dataset, added) => {
      const rule = added
        ? baseOut.has(dataset)
          ? 'output-moved'
          : 'output-added'
        : headOut.has(dataset)
          ? 'output-moved'
          : 'output-removed';
      out.push(
        change(
          rule,
          `${path}.outputs`,
          added ? 'added' : 'removed',
          added ? undefined : dataset,
          added ? dataset : undefined,
        ),
      );
    });
    diffSet((bt?.inputs ?? []).map(renderTemplate), (ht?.inputs ?? []).map(renderTemplate), (dataset, added) => {
      const rule = added
        ? baseIn.has(dataset)
          ? 'input-moved'
          : 'input-added'
        : headIn.has(dataset)
          ? 'input-moved'
          : 'input-removed';
      out.push(
        change(
          rule,
          `${path}.inputs`,
          added ? 'added' : 'removed',
          added ? undefined : dataset,
          added ? dataset : undefined,
        ),
      );
    });
    if (bt && ht) diffTask(path, bt, ht, out);
  }
}

function diffTask(path: string, b: TaskIR, h: TaskIR, out: Change[]): void {
  const push = (rule: RuleId, field: string, before: ChangeValue | undefined, after: ChangeValue | undefined) => {
    if (!sameValue(before, after)) out.push(change(rule, `${path}.${field}`, kindOf(before, after), before, after));
  };
  push('task-spec-id-changed', 'specId', b.specId, h.specId);
  diffRecord(b.matrix, h.matrix, (key, before, after) => push('matrix-changed', `matrix.${key}`, before, after));
  push('task-type-changed', 'type', b.type, h.type);
  push('description-changed', 'description', b.description, h.description);
  push(
    imageRepository(b.image) === imageRepository(h.image) ? 'image-tag-changed' : 'image-repository-changed',
    'image',
    b.image,
    h.image,
  );
  push('command-changed', 'command', renderArgv(b.command), renderArgv(h.command));
  push('working-dir-changed', 'workingDir', b.workingDir, h.workingDir);
  diffRecord(
    Object.fromEntries(b.env.map((e) => [e.name, renderTemplate(e.value)])),
    Object.fromEntries(h.env.map((e) => [e.name, renderTemplate(e.value)])),
    (name, before, after) => push('env-changed', `env.${name}`, before, after),
  );
  diffRecord(
    Object.fromEntries(b.secrets.map((s) => [s.env, s.ref])),
    Object.fromEntries(h.secrets.map((s) => [s.env, s.ref])),
    (name, before, after) =>
      push(
        before === undefined ? 'secret-added' : after === undefined ? 'secret-removed' : 'secret-ref-changed',
        `secrets.${name}`,
        before,
        after,
      ),
  );
  diffSet(b.needs, h.needs, (need, added) =>
    out.push(
      change(
        'needs-changed',
        `${path}.needs`,
        added ? 'added' : 'removed',
        added ? undefined : need,
        added ? need : undefined,
      ),
    ),
  );
  push('retries-changed', 'retries', b.retries, h.retries);
  push('retries-changed', 'retryDelay', seconds(b.retryDelaySeconds), seconds(h.retryDelaySeconds));
  push('timeout-changed', 'timeout', seconds(b.timeoutSeconds), seconds(h.timeoutSeconds));
  // Resources compare resolved (1 = 1000m, 1Gi = 1024Mi) but show as written (resolved when the text is equal).
  const resource = (field: 'cpu' | 'memory', resolved: 'cpuMillis' | 'memoryBytes') => {
    if (b.resources[resolved] === h.resources[resolved]) return;
    const sameText = b.resources[field] === h.resources[field];
    const show = (r: ResourcesIR) => (sameText ? r[resolved]?.toString() : r[field]);
    out.push(
      change(
        'resources-changed',
        `${path}.resources.${field}`,
        kindOf(show(b.resources), show(h.resources)),
        show(b.resources),
        show(h.resources),
      ),
    );
  };
  resource('cpu', 'cpuMillis');
  resource('memory', 'memoryBytes');
  push('pool-changed', 'pool', b.pool, h.pool);
}

/** `registry:5000/team/etl:1.2@sha256:…` → `registry:5000/team/etl`. */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function renderArgv(command: readonly Template[]): string[] {
  return command.map(renderTemplate);
}

function sameValue(a: ChangeValue | undefined, b: ChangeValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

function seconds(value: number | undefined): string | undefined {
  return value === undefined ? undefined : formatDuration(value);
}

function change(
  rule: RuleId,
  path: string,
  kind: Change['kind'],
  before: ChangeValue | undefined,
  after: ChangeValue | undefined,
): Change {
  return {
    path,
    kind,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    severity: severityOf(rule),
    rule,
  };
}

function kindOf(before: ChangeValue | undefined, after: ChangeValue | undefined): Change['kind'] {
  return before === undefined ? 'added' : after === undefined ? 'removed' : 'changed';
}

function diffRecord(
  b: Readonly<Record<string, string>>,
  h: Readonly<Record<string, string>>,
  emit: (key: string, before: string | undefined, after: string | undefined) => void,
): void {
  for (const key of [...new Set([...Object.keys(b), ...Object.keys(h)])].sort(byText)) {
    const before = Object.hasOwn(b, key) ? b[key] : undefined;
    const after = Object.hasOwn(h, key) ? h[key] : undefined;
    if (before !== after) emit(key, before, after);
  }
}

/** Set difference, removed first, each sorted: order and duplicates are not changes. */
function diffSet(b: readonly string[], h: readonly string[], emit: (value: string, added: boolean) => void): void {
  const bs = new Set(b);
  const hs = new Set(h);
  for (const v of [...bs].filter((x) => !hs.has(x)).sort(byText)) emit(v, false);
  for (const v of [...hs].filter((x) => !bs.has(x)).sort(byText)) emit(v, true);
}

export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
