import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'pw-epipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the built CLI piped into a reader that goes away (`| head`)', () => {
  it('stops quietly: no EPIPE stack trace, the command exit code', async () => {
    expect(existsSync(CLI), 'dist/cli.js (run `npm run build` first)').toBe(true);
    mkdirSync(join(dir, 'pipelines'));
    // Far more than a pipe buffer of diagnostics: 300 specs, each with an unknown property.
    for (let i = 0; i < 300; i++) {
      writeFileSync(
        join(dir, 'pipelines', `p${i}.yaml`),
        `apiVersion: pipewright.dev/v1\nkind: Pipeline\nbogus${i}: x\n`,
      );
    }
    // A real pipe into `head -1`, exactly as a user types it; PIPESTATUS gives pipewright's own exit code.
    const child = spawn(
      'bash',
      ['-c', `"$0" "$1" validate | head -1 >/dev/null; exit \${PIPESTATUS[0]}`, process.execPath, CLI],
      {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code).toBe(1);
  });
});
