import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of the history blob cache as stored: a line `<id> <seal> <json>` of a bucket file. */
export interface StoredEntry {
  id: string;
  seal: string;
  json: string;
}

/** The bucket files (`<2 hex>.pack`) of the history blob cache under a user cache directory. */
export function bucketFiles(cacheHome: string): string[] {
  const dir = join(cacheHome, 'pipewright', 'history-v1');
  return readdirSync(dir)
    .filter((name) => /^[0-9a-f]{2}\.pack$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** Every stored entry, bucket by bucket, in file order. */
export function storedEntries(cacheHome: string): StoredEntry[] {
  return bucketFiles(cacheHome).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [id, seal] = line.split(' ', 2) as [string, string];
        return { id, seal, json: line.slice(id.length + seal.length + 2) };
      }),
  );
}

/** Rewrite every stored entry through `edit` (all buckets rewritten in place, one line per entry). */
export function rewriteEntries(
  cacheHome: string,
  edit: (entry: StoredEntry, index: number, all: StoredEntry[]) => StoredEntry,
): number {
  const all = storedEntries(cacheHome);
  let i = 0;
  for (const file of bucketFiles(cacheHome)) {
    const count = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '').length;
    const lines: string[] = [];
    for (let n = 0; n < count; n++, i++) {
      const e = edit(all[i]!, i, all);
      lines.push(`${e.id} ${e.seal} ${e.json}\n`);
    }
    writeFileSync(file, lines.join(''));
  }
  return all.length;
}

/** Each entry keeps its id but takes the (validly sealed) seal and value of the next one: right seals, wrong keys. */
export function rotateEntries(cacheHome: string): number {
  return rewriteEntries(cacheHome, (e, i, all) => {
    const next = all[(i + 1) % all.length]!;
    return { id: e.id, seal: next.seal, json: next.json };
  });
}
