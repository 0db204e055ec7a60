import { createTwoFilesPatch } from 'diff';
import { redactSecrets } from '../spec/secrets.js';
import { MANIFEST_PATH } from './manifest.js';

/** Sorted by path, the manifest last (its diff only restates the others'). */
function outputOrder(a: string, b: string): number {
  if (a === MANIFEST_PATH || b === MANIFEST_PATH) return a === b ? 0 : a === MANIFEST_PATH ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `check`: is the output directory exactly what compile would write? Pure: compares the expected files (compile's
 * in-memory result plus the manifest it would write) with what is on disk.
 */
export interface CheckInput {
  /** Path → text compile would write (including the manifest). */
  expected: ReadonlyMap<string, string>;
  /** Path → text currently on disk, for every expected path that exists and every owned path. */
  actual: ReadonlyMap<string, string>;
  /** Paths the current manifest says compile owns. */
  owned: readonly string[];
}

export interface CheckReport {
  ok: boolean;
  /** On disk with other bytes than compile would write. */
  stale: string[];
  /** Compile would write them; absent. */
  missing: string[];
  /** Owned by the manifest, still on disk, but compile would not write them any more (compile removes them). */
  extra: string[];
}

export function compareOutputs(input: CheckInput): CheckReport {
  const stale: string[] = [];
  const missing: string[] = [];
  for (const [path, text] of input.expected) {
    const current = input.actual.get(path);
    if (current === undefined) missing.push(path);
    else if (current !== text) stale.push(path);
  }
  const extra = input.owned.filter((p) => !input.expected.has(p) && input.actual.has(p));
  const sort = (a: string[]) => [...new Set(a)].sort(outputOrder);
  return {
    ok: stale.length + missing.length + extra.length === 0,
    stale: sort(stale),
    missing: sort(missing),
    extra: sort(extra),
  };
}

export interface DiffOptions {
  /** Output directory as shown to users (prefix of the diff's file names). */
  outDir: string;
  /** Maximum number of diff lines printed in total (default 200). */
  maxLines?: number;
}

export interface RenderedDiff {
  text: string;
  /** Lines not printed because of the limit, and in how many files. */
  omittedLines: number;
  omittedFiles: number;
}

/**
 * Unified diff (`diff` package) from what is on disk to what compile would write, for stale, missing and extra files,
 * truncated after `maxLines` lines with counts. Secret-looking values in hand-edited files are redacted.
 */
export function renderDiff(report: CheckReport, input: CheckInput, options: DiffOptions): RenderedDiff {
  const max = options.maxLines ?? 200;
  const patches: string[] = [];
  const name = (p: string) => `${options.outDir}/${p}`;
  for (const path of [...report.stale, ...report.missing, ...report.extra].sort(outputOrder)) {
    const before = input.actual.get(path) ?? '';
    const after = input.expected.get(path) ?? '';
    const from = input.actual.has(path) ? `a/${name(path)}` : '/dev/null';
    const to = input.expected.has(path) ? `b/${name(path)}` : '/dev/null';
    const patch = createTwoFilesPatch(from, to, redactSecrets(before), redactSecrets(after), undefined, undefined, {
      context: 3,
    });
    // drop the `Index:`/`===` preamble createTwoFilesPatch writes: plain `---`/`+++` headers like git diff
    patches.push(patch.replace(/^={10,}\n/m, '').replace(/^Index: .*\n/m, ''));
  }
  const out: string[] = [];
  let omittedLines = 0;
  let omittedFiles = 0;
  for (const patch of patches) {
    const lines = patch.replace(/\n$/, '').split('\n');
    const room = max - out.length;
    if (room <= 0) {
      omittedLines += lines.length;
      omittedFiles++;
      continue;
    }
    out.push(...lines.slice(0, room));
    if (lines.length > room) {
      omittedLines += lines.length - room;
      omittedFiles++;
    }
  }
  if (omittedLines > 0) {
    out.push(
      `… diff truncated: ${omittedLines} more line${omittedLines === 1 ? '' : 's'} in ${omittedFiles} file${omittedFiles === 1 ? '' : 's'} (run \`pipewright compile\` to update)`,
    );
  }
  return { text: out.length > 0 ? `${out.join('\n')}\n` : '', omittedLines, omittedFiles };
}
