/**
 * Masking of secret values in task output (the live log and `attempts/<task>.<n>/output.log`).
 *
 * Output is masked line by line, so a multi-line value (a PEM key) is masked as its lines: each line of a value is a
 * masked string of its own. Like GitLab, values (lines) shorter than MIN_MASKED_LENGTH characters are not masked —
 * masking `ab` would garble every word that contains it and still not hide a 2-character secret; `run` warns about
 * them when it starts. Only task output is masked, never pipewright's own status lines.
 */

export const MIN_MASKED_LENGTH = 8;

/**
 * The strings to mask for these secret values (every line of each value, `\r` removed, longest first), and the
 * indexes of the values with a non-empty line too short to be masked.
 */
export function maskedStrings(values: readonly string[]): { masked: string[]; tooShort: number[] } {
  const masked = new Set<string>();
  const tooShort: number[] = [];
  values.forEach((value, i) => {
    let short = false;
    for (const line of value.split('\n').map((l) => l.replace(/\r$/, ''))) {
      if (line.trim() === '') continue;
      if (line.length >= MIN_MASKED_LENGTH) masked.add(line);
      else short = true;
    }
    if (short) tooShort.push(i);
  });
  return { masked: [...masked].sort((a, b) => b.length - a.length), tooShort };
}

/** Every occurrence of every masked string replaced by `***` (longest first). */
export function maskText(text: string, masked: readonly string[]): string {
  let out = '';
  const masker = outputMasker(
    masked,
    (t) => {
      out += t;
    },
    Number.POSITIVE_INFINITY,
  );
  masker.push(text);
  masker.end();
  return out;
}

/**
 * A streaming masker: text pushed in chunks comes out masked, in order, with no masked string ever split across two
 * writes. Complete lines are written as they arrive; a line longer than `maxPending` characters is written in parts,
 * keeping back enough of its end that a masked string starting there is seen whole next time (linear in the output).
 *
 * Self-contained on purpose (no imports, no outer variables): the local executor's wrapper process runs this very
 * function from its source text, so the bytes it stores in output.log are masked by the same code as the live log.
 */
export function outputMasker(
  masked: readonly string[],
  write: (text: string) => void,
  maxPending = 65536,
): { push(chunk: string): void; end(): void } {
  const longest = masked.reduce((n, m) => Math.max(n, m.length), 0);
  const mask = (text: string) => {
    let out = text;
    for (const m of masked) if (out.includes(m)) out = out.split(m).join('***');
    return out;
  };
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const inChunk = chunk.lastIndexOf('\n'); // only the new text: searching all of `pending` would be quadratic
      const nl = inChunk === -1 ? -1 : pending.length - chunk.length + inChunk;
      if (nl !== -1) {
        write(mask(pending.slice(0, nl + 1)));
        pending = pending.slice(nl + 1);
      }
      if (pending.length <= maxPending) return;
      // A long line without a newline: write all but the tail, moving the cut past any masked string it would split.
      let cut = pending.length - Math.max(0, longest - 1);
      for (let moved = true; moved; ) {
        moved = false;
        for (const m of masked) {
          const from = Math.max(0, cut - m.length + 1);
          const at = pending.indexOf(m, from);
          if (at !== -1 && at < cut && at + m.length > cut) {
            cut = at + m.length;
            moved = true;
          }
        }
      }
      write(mask(pending.slice(0, cut)));
      pending = pending.slice(cut);
    },
    end() {
      if (pending !== '') write(mask(pending));
      pending = '';
    },
  };
}
