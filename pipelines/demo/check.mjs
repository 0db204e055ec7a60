// check (quality gate): the loaded partition orders/ds=<date> must match its manifest and hold at least --min-rows
// orders, each with an order id, a customer and a positive amount, no id twice. Exit 1 lists every violation.
import { createHash } from 'node:crypto';
import { args, readPartition } from './lib.mjs';

const { date, 'min-rows': minRowsText = '1' } = args();
const minRows = Number(minRowsText);
const { files, manifest } = readPartition('orders', date);
const problems = [];
for (const [name, sha] of Object.entries(manifest.files)) {
  if (createHash('sha256').update(files[name]).digest('hex') !== sha) problems.push(`${name} does not match its manifest`);
}
const orders = files['part-0000.jsonl'].split('\n').filter(Boolean).map((l) => JSON.parse(l));
if (orders.length !== manifest.rows) problems.push(`manifest says ${manifest.rows} rows, partition has ${orders.length}`);
if (!(orders.length >= minRows)) problems.push(`${orders.length} orders, expected at least ${minRows}`);
const ids = new Set();
for (const o of orders) {
  if (!o.order_id) problems.push('an order without order_id');
  else if (ids.has(o.order_id)) problems.push(`order ${o.order_id} appears twice`);
  ids.add(o.order_id);
  if (!o.customer_id) problems.push(`order ${o.order_id} has no customer_id`);
  if (!(o.amount_cents > 0)) problems.push(`order ${o.order_id} has amount ${o.amount_cents}`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`FAIL ${p}`);
  process.exit(1);
}
console.log(`ok: ${orders.length} orders for ${date}, ids unique, customers and amounts present`);
