#!/usr/bin/env node
/**
 * "A one-line change is a one-object change": how many lines of generated/ (and which files, which Kubernetes objects)
 * one spec edit changes. Copies pipelines/ into a scratch git repository under the given directory, compiles, applies
 * each edit to pipelines/daily-orders.yaml, compiles again and counts `git diff --numstat` lines. Not timed.
 *
 *   node bench/change-diff.mjs <scratch-dir>   (after npm run build; prints a Markdown table)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = process.argv[2];
if (!scratch) {
  process.stderr.write('usage: node bench/change-diff.mjs <scratch-dir>\n');
  process.exit(2);
}
const cli = join(root, 'dist', 'cli.js');
const SPEC = 'pipelines/daily-orders.yaml';

/** [name, edit of the spec text] — each a one-line change. */
const EDITS = [
  ['version bump (metadata.version)', (s) => s.replace('version: 1.0.0', 'version: 1.0.1')],
  [
    'one-task edit (transform retries)',
    (s) => s.replace('      needs: [extract]\n', '      needs: [extract]\n      retries: 3\n'),
  ],
  ['defaults change (defaults.timeout)', (s) => s.replace('    timeout: 2m\n', '    timeout: 3m\n')],
];

function sh(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Kubernetes objects (kind/name, or ConfigMap data key) whose text differs between two multi-document files. */
function changedObjects(before, after) {
  const split = (text) => {
    const out = new Map();
    for (const doc of text.split(/^---$/m)) {
      const kind = /^kind: (.+)$/m.exec(doc)?.[1];
      const name = /^ {2}name: (.+)$/m.exec(doc)?.[1];
      if (kind && name) out.set(`${kind}/${name}`, doc.replace(/^#.*\n/gm, ''));
    }
    return out;
  };
  const a = split(before);
  const b = split(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
cpSync(join(root, 'pipelines'), join(scratch, 'pipelines'), { recursive: true });
sh('git', ['init', '-q'], scratch);
sh('node', [cli, 'compile'], scratch);
sh('git', ['add', '-A'], scratch);
sh('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@invalid', 'commit', '-qm', 'base'], scratch);
const original = readFileSync(join(scratch, SPEC), 'utf8');
const k8sFile = join(scratch, 'generated/k8s/daily-orders.yaml');
const k8sBefore = readFileSync(k8sFile, 'utf8');

process.stdout.write(
  '| edit | generated lines changed (+/-) | files | Kubernetes objects changed |\n| --- | --- | --- | --- |\n',
);
for (const [name, edit] of EDITS) {
  const changed = edit(original);
  if (changed === original) throw new Error(`edit '${name}' did not apply`);
  writeFileSync(join(scratch, SPEC), changed);
  sh('node', [cli, 'compile'], scratch);
  const numstat = sh('git', ['diff', '--numstat', '--', 'generated'], scratch).trim().split('\n').filter(Boolean);
  let lines = 0;
  const files = [];
  for (const row of numstat) {
    const [add, del, path] = row.split('\t');
    lines += Number(add) + Number(del);
    files.push(path.replace(/^generated\//, ''));
  }
  const objects = changedObjects(k8sBefore, readFileSync(k8sFile, 'utf8'));
  process.stdout.write(
    `| ${name} | ${lines} | ${files.length} (${files.join(', ')}) | ${objects.length} (${objects.join(', ')}) |\n`,
  );
  sh('git', ['checkout', '-q', '--', '.'], scratch);
}
