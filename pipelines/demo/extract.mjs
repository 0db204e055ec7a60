// extract: the day's orders from the source export (data/orders.csv) into the staging partition orders_raw/ds=<date>.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, parseCsv, toCsv, writePartition } from './lib.mjs';

const { date } = args();
const source = process.env.ORDERS_SOURCE || join(dirname(fileURLToPath(import.meta.url)), 'data', 'orders.csv');
const text = readFileSync(source, 'utf8');
const keys = text.slice(0, text.indexOf('\n')).trim().split(',');
const rows = parseCsv(text).filter((r) => r.ordered_at.slice(0, 10) === date);
const dir = writePartition('staging/orders_raw', date, { 'orders.csv': toCsv(rows, keys) }, { rows: rows.length });
console.log(`extracted ${rows.length} order lines for ${date} into ${dir}`);
