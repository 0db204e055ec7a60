// Shared helpers of the daily-orders demo tasks: plain Node, no dependencies.
// The "warehouse" is a directory tree partitioned by logical date: <root>/<table>/ds=YYYY-MM-DD/…
// Every partition is written into a temporary sibling directory and swapped in with renames, so a partition is
// always either the previous complete version or the new complete version, and re-running a date replaces it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function args(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (!m || i + 1 >= argv.length) fail(`unexpected argument ${JSON.stringify(argv[i])}`);
    out[m[1]] = argv[++i];
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(out.date ?? '')) fail('--date YYYY-MM-DD is required');
  return out;
}

export function fail(message) {
  console.error(message);
  process.exit(1);
}

export const warehouseRoot = () => process.env.WAREHOUSE_ROOT || '.pipewright/warehouse';

export function partitionDir(table, ds) {
  return join(warehouseRoot(), ...table.split('/'), `ds=${ds}`);
}

/** Replaces the partition with `files` ({ name: text }) plus a _SUCCESS manifest, atomically per partition. */
export function writePartition(table, ds, files, meta = {}) {
  const dir = partitionDir(table, ds);
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const manifest = { table, ds, files: {}, ...meta };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(tmp, name), text);
    manifest.files[name] = createHash('sha256').update(text).digest('hex');
  }
  writeFileSync(join(tmp, '_SUCCESS'), `${JSON.stringify(manifest, null, 2)}\n`);
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
  return dir;
}

/** Reads a complete partition (its _SUCCESS manifest must exist); exits with a message when it does not. */
export function readPartition(table, ds) {
  const dir = partitionDir(table, ds);
  if (!existsSync(join(dir, '_SUCCESS'))) fail(`partition ${dir} is missing or incomplete (no _SUCCESS)`);
  const manifest = JSON.parse(readFileSync(join(dir, '_SUCCESS'), 'utf8'));
  const files = {};
  for (const name of Object.keys(manifest.files)) files[name] = readFileSync(join(dir, name), 'utf8');
  return { dir, manifest, files };
}

/** Minimal CSV for the demo dataset: comma-separated, no quoted fields, first line is the header. */
export function parseCsv(text) {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l !== '');
  const keys = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i], v])));
}

export function toCsv(rows, keys) {
  return `${[keys.join(','), ...rows.map((r) => keys.map((k) => r[k]).join(','))].join('\n')}\n`;
}
