// Copies non-TypeScript assets (Handlebars templates …) from src/ to dist/ after tsc, keeping their folders.
import { chmodSync, cpSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ASSET = /\.(hbs|json)$/;
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (ASSET.test(entry.name)) cpSync(path, join(root, 'dist', relative(join(root, 'src'), path)));
  }
}
walk(join(root, 'src'));
const cli = join(root, 'dist', 'cli.js');
if (existsSync(cli)) chmodSync(cli, 0o755);
