/**
 * A plan as text (terminal, terraform's wording), JSON (machines) and Markdown (a merge-request comment). The same
 * Plan value feeds all three; secret-looking values are masked before rendering.
 */
import { redactDeep } from '../history/redact.js';
import type { FieldChange } from './field-diff.js';
import { refDisplay } from './object.js';
import { type Action, blockers, hasChanges, type Plan, summarize } from './plan.js';

const SYMBOL: Record<Action['type'], string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  prune: '-',
  unchanged: '=',
  conflict: '!',
  foreign: '!',
  forget: '.',
  error: '!',
};

const VERB: Record<Action['type'], string> = {
  create: 'will be created',
  update: 'will be updated in place',
  replace: 'must be replaced (deleted, then created)',
  prune: 'will be pruned (deleted)',
  unchanged: 'is unchanged',
  conflict: 'conflicts with another field manager',
  foreign: 'is not ours: refused',
  forget: 'will be dropped from the inventory',
  error: 'cannot be applied',
};

/** A value on one line: strings JSON-quoted unless multi-line (then their changed lines are shown). */
function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}

/** Multi-line strings (the run plan's embedded templates) are shown as the lines that differ. */
function changeLines(change: FieldChange): string[] {
  const { before, after } = change;
  if (typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
    const a = before.split('\n');
    const b = after.split('\n');
    const lines: string[] = [`${change.path}:`];
    const setA = new Set(a);
    const setB = new Set(b);
    for (const l of a) if (!setB.has(l)) lines.push(`    - ${l}`);
    for (const l of b) if (!setA.has(l)) lines.push(`    + ${l}`);
    return lines;
  }
  if (before === undefined) return [`${change.path}: + ${show(after)}`];
  if (after === undefined) return [`${change.path}: - ${show(before)}`];
  return [`${change.path}: ${show(before)} → ${show(after)}`];
}

function headline(plan: Plan): string {
  const s = summarize(plan);
  const parts = [`${s.create} to create`, `${s.update} to update`, `${s.replace} to replace`, `${s.prune} to prune`];
  const extra = [
    `${s.unchanged} unchanged`,
    ...(s.forget ? [`${s.forget} to drop from the inventory`] : []),
    ...(s.conflict ? [`${s.conflict} in conflict`] : []),
    ...(s.foreign ? [`${s.foreign} foreign`] : []),
    ...(s.error ? [`${s.error} failed`] : []),
  ];
  return `Plan for namespace ${plan.namespace}: ${parts.join(', ')}; ${extra.join(', ')}.`;
}

function verdict(plan: Plan): string {
  if (plan.refusal) return `Refused: ${plan.refusal}`;
  const blocked = blockers(plan);
  if (blocked.length > 0)
    return `Apply would refuse this plan: ${blocked.length} object${blocked.length === 1 ? '' : 's'} blocked (see ! above).`;
  return hasChanges(plan)
    ? 'Run `pipewright apply --target kubernetes` with the same options to perform these actions.'
    : 'No changes. The cluster matches generated/k8s.';
}

/**
 * The plan with what the renderers print, secret-looking values masked. The objects apply sends (`object`: every
 * desired object in full, 141 MiB of run plans at 1,000 pipelines) are never printed, so they are left out before
 * masking: scanning them was most of the time `apply` spent printing the plan of a cold apply.
 */
function printable(input: Plan): Plan {
  return redactDeep({ ...input, actions: input.actions.map(({ object: _object, ...shown }) => shown) });
}

export function renderPlanText(input: Plan, options: { showUnchanged?: boolean } = {}): string {
  const plan = printable(input);
  const out: string[] = [];
  for (const a of plan.actions) {
    if (a.type === 'unchanged' && !options.showUnchanged) continue;
    out.push(
      `${SYMBOL[a.type].padStart(3)} ${refDisplay(a.ref)} ${VERB[a.type]}${a.pipeline ? ` (pipeline ${a.pipeline})` : ''}`,
    );
    for (const c of a.changes ?? []) for (const line of changeLines(c)) out.push(`      ${line}`);
    if (a.reason && a.type !== 'replace') out.push(`      ${a.reason}`);
    if (a.type === 'replace' && a.reason) out.push(`      because: ${a.reason}`);
  }
  if (out.length > 0) out.push('');
  out.push(headline(plan), verdict(plan));
  return `${out.join('\n')}\n`;
}

export interface PlanJson {
  namespace: string;
  summary: ReturnType<typeof summarize>;
  changes: boolean;
  refusal: string | null;
  actions: {
    action: Action['type'];
    group: string;
    kind: string;
    namespace: string;
    name: string;
    pipeline: string | null;
    specHash: string | null;
    changes: FieldChange[];
    reason: string | null;
    blocks: boolean;
  }[];
}

export function planJson(input: Plan): PlanJson {
  const plan = printable(input);
  return {
    namespace: plan.namespace,
    summary: summarize(plan),
    changes: hasChanges(plan),
    refusal: plan.refusal ?? null,
    actions: plan.actions.map((a) => ({
      action: a.type,
      ...a.ref,
      pipeline: a.pipeline ?? null,
      specHash: a.specHash ?? null,
      changes: a.changes ?? [],
      reason: a.reason ?? null,
      blocks: a.blocks === true,
    })),
  };
}

function mdCell(text: string): string {
  return text.replace(/[|<>&]/g, (c) => (c === '|' ? '\\|' : `&#${c.charCodeAt(0)};`)).replace(/\n/g, ' ');
}

/** A code fence longer than any backtick run inside (an embedded line with ``` cannot close it). */
function fenceFor(lines: readonly string[]): string {
  let longest = 0;
  for (const l of lines) for (const m of l.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/** A merge-request comment: summary table, then the changes of each object in a collapsible block. */
export function renderPlanMarkdown(input: Plan): string {
  const plan = printable(input);
  const s = summarize(plan);
  const out: string[] = [`### pipewright plan — namespace \`${plan.namespace}\``, ''];
  out.push(
    '| create | update | replace | prune | unchanged | conflict | foreign |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  out.push(
    `| ${s.create} | ${s.update} | ${s.replace} | ${s.prune} | ${s.unchanged} | ${s.conflict} | ${s.foreign} |`,
    '',
  );
  const shown = plan.actions.filter((a) => a.type !== 'unchanged');
  if (shown.length > 0) {
    out.push('| action | object | pipeline | note |', '| --- | --- | --- | --- |');
    for (const a of shown) {
      out.push(
        `| ${a.type} | \`${mdCell(refDisplay(a.ref))}\` | ${a.pipeline ?? ''} | ${mdCell(a.reason ?? `${a.changes?.length ?? 0} field${a.changes?.length === 1 ? '' : 's'}`)} |`,
      );
    }
    out.push('');
    for (const a of shown) {
      if (!a.changes || a.changes.length === 0) continue;
      const lines = a.changes.flatMap(changeLines).map((line) => line.replace(/^ {4}([-+]) /, '$1 '));
      const fence = fenceFor(lines);
      out.push(`<details><summary>${a.type} <code>${refDisplay(a.ref)}</code></summary>`, '', `${fence}diff`);
      out.push(...lines, fence, '', '</details>', '');
    }
  }
  out.push(`**${verdict(plan)}**`, '');
  return out.join('\n');
}
