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

/** The canonical short form: 5400 → "1h30m". */
export function formatDuration(seconds: number): string {
  let rest = seconds;
  let out = '';
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || '0s';
}
