import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const CODE = /\.(?:js|ts|json|hbs)$/;
let cached: string | undefined;

/**
 * A fingerprint of the code that compiles specs: the modules of this build (dist/ when installed, src/ under tests)
 * and the spec schema. The persistent compile cache keys on it as well as on the version, so a changed emitter,
 * rule or serializer never reuses results computed by the old code (a version bump alone misses unreleased changes).
 * Computed once per process (~100 small files).
 */
export function buildId(): string {
  if (cached !== undefined) return cached;
  const codeRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const hash = createHash('sha256');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (CODE.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  walk(codeRoot);
  files.push(join(codeRoot, '..', 'schema', 'pipeline.schema.json'));
  for (const file of files.sort()) {
    hash.update(`${relative(codeRoot, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  cached = hash.digest('hex').slice(0, 16);
  return cached;
}
