/** Durations as written in specs: one or more <integer><unit> groups, units s, m, h, d ("1h30m"). */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const WHOLE = /^(?:[0-9]+[smhd])+$/;
const GROUP = /([0-9]+)([smhd])/g;

/** Seconds, or undefined when the text is not a valid duration (including 0 and overflow past one year). */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(GROUP)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  if (!Number.isSafeInteger(total) || total <= 0 || total > 366 * 86400) return undefined;
  return total;
}

/** Whole units, largest first: 5400 → ["1h", "30m"]; 0 → []. */
export function durationParts(seconds: number): string[] {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts;
}

/** The canonical short form: 5400 → "1h30m". */
export function formatDuration(seconds: number): string {
  return durationParts(seconds).join('') || '0s';
}
