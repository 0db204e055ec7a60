import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { parseCpu, parseMemory } from '../../model/quantity.js';
import type { SpecPath } from '../document.js';
import type { Resources } from '../types.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, tasksInSourceOrder } from './support.js';

/** Docker refuses memory limits below 6 MiB ("Minimum memory limit allowed is 6MB"). */
const DOCKER_MIN_MEMORY = 6 * 1024 * 1024;

export function cpuProblem(text: string): string | undefined {
  if (parseCpu(text) !== undefined) return undefined;
  const value = text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
  if (value === 0) return 'must be greater than zero';
  if (value > 0 && value < 0.001) return 'must be at least 1m (one millicore)';
  if (value > 1024) return 'must be at most 1024 cores';
  return 'not a CPU quantity (cores such as 1 or 0.5, or millicores such as 500m)';
}

export function memoryProblem(text: string): string | undefined {
  const bytes = parseMemory(text);
  if (bytes !== undefined) {
    return bytes < DOCKER_MIN_MEMORY
      ? 'must be at least 6Mi (the container runtime refuses smaller limits)'
      : undefined;
  }
  const m = /^([0-9]+(?:\.[0-9]+)?)/.exec(text);
  const number = m ? Number(m[1]) : Number.NaN;
  if (number === 0) return 'must be greater than zero';
  if (!Number.isFinite(number)) return 'not a memory quantity (e.g. 512Mi, 2Gi)';
  return parseMemory(text.replace(/\.[0-9]+/, '')) !== undefined || number < 1
    ? 'must be a whole number of bytes (use a smaller unit or fewer decimals)'
    : 'must be at most 16Ti';
}

/** PW208: CPU and memory quantities must be positive, within bounds, and (memory) whole bytes. */
export const invalidQuantity: Rule = {
  name: 'invalid-quantity',
  codes: ['PW208'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const visit = (resources: Resources | undefined, path: SpecPath, owner: string) => {
      if (!resources) return;
      for (const [key, problem] of [
        ['cpu', resources.cpu === undefined ? undefined : cpuProblem(resources.cpu)],
        ['memory', resources.memory === undefined ? undefined : memoryProblem(resources.memory)],
      ] as const) {
        if (!problem) continue;
        const value = resources[key]!;
        out.push(
          diagnostic(
            doc,
            doc.rangeOf([...path, key]),
            'error',
            'PW208',
            `${owner} has an invalid ${key} ${quote(value)}: ${problem}`,
          ),
        );
      }
    };
    visit(spec.spec.defaults?.resources, ['spec', 'defaults', 'resources'], 'defaults.resources');
    for (const { id, task, path } of tasksInSourceOrder(doc, spec)) {
      visit(task.resources, [...path, 'resources'], `task ${quote(id)}`);
    }
    return out;
  },
};
