/**
 * What each target does with each spec field. The one source is the "Feature × target" table of docs/targets.md
 * (shipped with the package, like docs/diagnostics.md for `pipewright explain`): `pipewright targets` reads that page,
 * so the command and the docs cannot drift (test/cli/targets.test.ts). Cells are Markdown; a capability note a target
 * reports is written **warning PWnnn**.
 */
import { readFile } from 'node:fs/promises';
import type { TargetName } from './target.js';

/** Found from src/targets/ and dist/targets/ alike (both two levels below the package root). */
export const TARGETS_DOC = new URL('../../docs/targets.md', import.meta.url);
const SECTION = '## Feature × target';
const HEADER = ['spec field', 'Docker Compose', 'Kubernetes', 'GitLab CI'];

export interface Capability {
  /** The spec field(s), Markdown. */
  field: string;
  compose: string;
  k8s: string;
  gitlab: string;
}

function cells(line: string): string[] {
  return line
    .replace(/^\|\s?/, '')
    .replace(/\s?\|$/, '')
    .split(' | ');
}

/** The table of the page's "Feature × target" section: its Markdown lines and its rows. Throws when it is missing or malformed. */
export function parseCapabilities(markdown: string): { markdown: string; rows: Capability[] } {
  const from = markdown.indexOf(`\n${SECTION}\n`);
  if (from === -1) throw new Error(`docs/targets.md has no "${SECTION}" section`);
  const lines = markdown.slice(from).split('\n');
  const start = lines.findIndex((l) => l.startsWith('| '));
  const table: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    table.push(line);
  }
  if (start === -1 || JSON.stringify(cells(table[0] ?? '')) !== JSON.stringify(HEADER))
    throw new Error(`docs/targets.md: the "${SECTION}" table must have the columns ${HEADER.join(', ')}`);
  const rows = table.slice(2).map((line) => {
    const [field, compose, k8s, gitlab, ...extra] = cells(line);
    if (gitlab === undefined || extra.length > 0) throw new Error(`docs/targets.md: malformed table row: ${line}`);
    return { field: field!, compose: compose!, k8s: k8s!, gitlab };
  });
  return { markdown: table.join('\n'), rows };
}

export async function readCapabilities(): Promise<{ markdown: string; rows: Capability[] }> {
  return parseCapabilities(await readFile(TARGETS_DOC, 'utf8'));
}

/** Markdown cell → terminal text: no backticks or bold markers. */
export function plainText(markdown: string): string {
  return markdown.replace(/\*\*([^*]+)\*\*/g, '$1').replace(/`([^`]*)`/g, '$1');
}

/** The codes a cell says the target warns with (e.g. ['PW305']). */
export function warningCodes(markdown: string): string[] {
  return [...markdown.matchAll(/\*\*warning (PW\d{3})\*\*/g)].map((m) => m[1]!);
}

export function targetTitle(target: TargetName): string {
  return HEADER[{ compose: 1, k8s: 2, gitlab: 3 }[target]]!;
}
