// Small pure helpers for the benchmark report (unit-tested in test/bench/).

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function formatMs(ms) {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

export function formatMiB(kb) {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : 'n/a';
}

/** A markdown table (also readable as plain text). */
export function table(rows, headers = ['metric', 'value', 'goal', 'met?']) {
  const cells = [headers, ...rows.map((r) => headers.map((_, i) => String(r[i] ?? '')))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.slice(1).map(line)].join(
    '\n',
  );
}

/** 'yes' / 'NO' / 'n/a' for a goal check that may not have been measured. */
export function verdict(ok) {
  return ok === undefined ? 'n/a' : ok ? 'yes' : 'NO';
}
