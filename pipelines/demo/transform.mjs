// transform: clean the raw partition — drop cancelled orders, de-duplicate re-exported lines, trim and normalise SKUs,
// compute line amounts in cents (no float money) — into staging/orders_clean/ds=<date> as JSON lines.
import { args, fail, parseCsv, readPartition, writePartition } from './lib.mjs';

const { date } = args();
const { files } = readPartition('staging/orders_raw', date);
const seen = new Set();
const out = [];
let cancelled = 0;
let duplicates = 0;
for (const r of parseCsv(files['orders.csv'])) {
  if (r.status === 'cancelled') {
    cancelled++;
    continue;
  }
  if (seen.has(r.order_id)) {
    duplicates++;
    continue;
  }
  seen.add(r.order_id);
  const quantity = Number(r.quantity);
  const m = /^(\d+)\.(\d{2})$/.exec(r.unit_price);
  if (!Number.isInteger(quantity) || !m) fail(`order ${r.order_id}: bad quantity or price`);
  out.push({
    order_id: r.order_id,
    ordered_at: r.ordered_at,
    customer_id: r.customer_id.trim() || null,
    sku: r.sku.trim().toLowerCase(),
    quantity,
    amount_cents: quantity * (Number(m[1]) * 100 + Number(m[2])),
    currency: r.currency,
  });
}
out.sort((a, b) => (a.order_id < b.order_id ? -1 : 1));
const jsonl = out.map((o) => JSON.stringify(o)).join('\n') + (out.length ? '\n' : '');
writePartition('staging/orders_clean', date, { 'orders.jsonl': jsonl }, { rows: out.length });
console.log(`kept ${out.length} orders (dropped ${cancelled} cancelled, ${duplicates} duplicate lines)`);
