/**
 * `pipewright lineage` output: text (what feeds the subject, what it feeds), json, and a Mermaid flowchart
 * (renders in GitHub/GitLab markdown). Pure.
 */
import type { LineageGraph, Reach } from './lineage-graph.js';

export interface LineageAnswer {
  subject: { kind: 'dataset' | 'pipeline'; name: string };
  upstream?: Reach;
  downstream?: Reach;
}

function describe(graph: LineageGraph, key: string): string {
  const t = graph.tasks.get(key);
  return t ? `${t.pipeline}/${t.task} (${t.file})` : key;
}

export function renderLineageText(answer: LineageAnswer, graph: LineageGraph): string {
  const lines = [`${answer.subject.kind} ${answer.subject.name}`];
  for (const direction of ['upstream', 'downstream'] as const) {
    const r = answer[direction];
    if (!r) continue;
    lines.push('', `${direction} (${direction === 'upstream' ? 'where it comes from' : 'what depends on it'}):`);
    const datasets = r.datasets.filter((d) => !(answer.subject.kind === 'dataset' && d === answer.subject.name));
    const tasks = r.tasks.filter(
      (t) => !(answer.subject.kind === 'pipeline' && graph.tasks.get(t)?.pipeline === answer.subject.name),
    );
    if (datasets.length === 0 && tasks.length === 0) lines.push('  (nothing)');
    if (tasks.length > 0) lines.push('  tasks:', ...tasks.map((t) => `    ${describe(graph, t)}`));
    if (datasets.length > 0) lines.push('  datasets:', ...datasets.map((d) => `    ${d}`));
    if (r.edges.length > 0) {
      lines.push('  edges:');
      for (const e of r.edges) lines.push(`    ${e.from} ─${e.kind === 'reads' ? 'read by' : 'writes'}▶ ${e.to}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderLineageJson(answer: LineageAnswer, graph: LineageGraph): string {
  const tasks = new Set([...(answer.upstream?.tasks ?? []), ...(answer.downstream?.tasks ?? [])]);
  return `${JSON.stringify(
    {
      ...answer,
      tasks: [...tasks].sort().map((k) => {
        const t = graph.tasks.get(k)!;
        return { key: k, pipeline: t.pipeline, task: t.task, file: t.file, inputs: t.inputs, outputs: t.outputs };
      }),
    },
    null,
    2,
  )}\n`;
}

/** Mermaid node text: quotes and the characters Mermaid reads as markup become entities. */
function label(text: string): string {
  return `"${text.replace(/[&"<>#]/g, (c) => `#${c.charCodeAt(0)};`)}"`;
}

export function renderLineageMermaid(answer: LineageAnswer, graph: LineageGraph): string {
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  const node = (name: string, isTask: boolean): string => {
    let id = ids.get(name);
    if (id === undefined) {
      id = `${isTask ? 't' : 'd'}${ids.size}`;
      ids.set(name, id);
      const subject =
        answer.subject.kind === 'pipeline'
          ? isTask && graph.tasks.get(name)?.pipeline === answer.subject.name
          : !isTask && name === answer.subject.name;
      const text = label(isTask ? describe(graph, name).replace(/ \(.*\)$/, '') : name);
      lines.push(`  ${id}${isTask ? `[${text}]` : `[(${text})]`}${subject ? ':::subject' : ''}`);
    }
    return id;
  };
  const edges = new Map<string, string>();
  for (const r of [answer.upstream, answer.downstream]) {
    for (const e of r?.edges ?? []) {
      const from = node(e.from, e.kind === 'writes');
      const to = node(e.to, e.kind === 'reads');
      edges.set(`${from}-${to}`, `  ${from} --> ${to}`);
    }
  }
  if (answer.subject.kind === 'dataset') node(answer.subject.name, false);
  lines.push(...edges.values(), '  classDef subject stroke-width:3px');
  return `${lines.join('\n')}\n`;
}
