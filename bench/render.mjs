// Prints the results table of a results.json as markdown (for BENCHMARKS.md): `node bench/render.mjs [file]`.
import { readFileSync } from 'node:fs';
import { table } from './stats.mjs';

const file = process.argv[2] ?? new URL('results.json', import.meta.url).pathname;
const results = JSON.parse(readFileSync(file, 'utf8'));
process.stdout.write(`${table(results.table)}\n`);
