// load: publish the clean partition as the warehouse table orders/ds=<date> (replacing any earlier load of that date)
// and keep a small daily summary table next to it.
import { args, readPartition, writePartition } from './lib.mjs';

const { date } = args();
const { files, manifest } = readPartition('staging/orders_clean', date);
const orders = files['orders.jsonl'].split('\n').filter(Boolean).map((l) => JSON.parse(l));
const revenue = orders.reduce((sum, o) => sum + o.amount_cents, 0);
const dir = writePartition('orders', date, { 'part-0000.jsonl': files['orders.jsonl'] }, { rows: manifest.rows });
writePartition('orders_daily', date, {
  'summary.json': `${JSON.stringify({ ds: date, orders: orders.length, revenue_cents: revenue }, null, 2)}\n`,
});
console.log(`loaded ${orders.length} orders into ${dir}; revenue ${(revenue / 100).toFixed(2)} EUR`);
