import type { PipelineIR } from '../model/ir.js';

/**
 * `pipewright graph`: the DAG of one pipeline (task instances, their type, their needs) as Mermaid or Graphviz DOT,
 * for docs and merge-request comments. Nodes in topological order, edges sorted: the text is stable.
 */
export type GraphFormat = 'mermaid' | 'dot';

/** Mermaid labels are quoted strings where `"` must be an entity and `#`/`&`/`<`/`>` are safest as entities too. */
function mermaidLabel(text: string): string {
  return text.replace(/[#"&<>]/g, (c) => `#${c.charCodeAt(0)};`).replace(/[\r\n]+/g, ' ');
}

/** DOT double-quoted IDs: backslash and quote escaped; newlines as the `\n` escape. */
function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function label(task: PipelineIR['tasks'][number]): string {
  const matrix = Object.entries(task.matrix)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return matrix ? `${task.id} (${task.type}, ${matrix})` : `${task.id} (${task.type})`;
}

export function renderGraph(ir: PipelineIR, format: GraphFormat): string {
  const index = new Map(ir.tasks.map((t, i) => [t.id, i]));
  const edges = ir.tasks.flatMap((t) => t.needs.map((n) => [n, t.id] as const));
  if (format === 'mermaid') {
    // Node ids are positional (n0, n1 …): task ids contain '-', which Mermaid can confuse with edge syntax.
    const lines = ['flowchart LR'];
    for (const [i, t] of ir.tasks.entries()) {
      const text = `"${mermaidLabel(label(t))}"`;
      lines.push(t.type === 'check' ? `  n${i}{{${text}}}` : `  n${i}[${text}]`);
    }
    for (const [from, to] of edges) lines.push(`  n${index.get(from)} --> n${index.get(to)}`);
    return `${lines.join('\n')}\n`;
  }
  const lines = [`digraph ${dotString(ir.name)} {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const t of ir.tasks) {
    lines.push(`  ${dotString(t.id)} [label=${dotString(label(t))}${t.type === 'check' ? ', shape=hexagon' : ''}];`);
  }
  for (const [from, to] of edges) lines.push(`  ${dotString(from)} -> ${dotString(to)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
