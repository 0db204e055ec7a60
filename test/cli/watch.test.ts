import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { runCliCapture } from '../helpers/cli.js';
import { waitFor } from '../watch/helpers.js';
import { spec } from '../watch/specs.js';

/** `pipewright watch` in-process with live output (runCliCapture only returns output once the command ends). */
function startCli(argv: string[], cwd: string, options: { isTTY?: boolean } = {}) {
  const controller = new AbortController();
  const out = { stdout: '', stderr: '' };
  const io: CliIO = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    cwd,
    env: {},
    isTTY: options.isTTY ?? false,
    signal: controller.signal,
  };
  const done = runCli(['watch', ...argv], io);
  return { out, done, stop: () => controller.abort() };
}

const STATUS = /^\[\d\d:\d\d:\d\d\] (.*) \((\d+) (changed|specs)\): (\d+) written, (\d+) removed in \d+ ms(.*)$/;

describe('pipewright watch', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'pw-cli-watch-')));
    await mkdir(join(cwd, 'pipelines'));
    await writeFile(join(cwd, 'pipelines', 'orders.yaml'), spec('daily-orders'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('compiles, prints one status line per rebuild, shows diagnostics, and exits 0 on abort', async () => {
    const cli = startCli([], cwd);
    const lines = () => cli.out.stdout.split('\n').filter((l) => l !== '');
    await waitFor(() => (cli.out.stderr.includes('watching pipelines (Ctrl-C to stop)') ? true : undefined), 'ready');
    expect(lines()).toHaveLength(1);
    expect(STATUS.exec(lines()[0]!)?.slice(1, 6)).toEqual(['compiled 1 pipeline', '1', 'specs', '5', '0']);
    expect(existsSync(join(cwd, 'generated', 'compose', 'daily-orders.compose.yaml'))).toBe(true);

    await writeFile(join(cwd, 'pipelines', 'orders.yaml'), spec('daily-orders').replace('[extract]', '[nope]'));
    await waitFor(() => lines()[1], 'the failing rebuild');
    expect(lines()[1]).toMatch(
      /^\[\d\d:\d\d:\d\d\] no pipeline rebuilt \(1 changed\): 0 written, 0 removed in \d+ ms; 1 error in pipelines\/orders\.yaml \(last good output kept\)$/,
    );
    expect(cli.out.stderr).toContain('pipelines/orders.yaml:14:');
    expect(cli.out.stderr).toContain('[PW201]');
    expect(cli.out.stderr).toContain('needs: [nope]'); // the code frame

    await writeFile(join(cwd, 'pipelines', 'orders.yaml'), spec('daily-orders', '1.1.0'));
    await waitFor(() => lines()[2], 'the fixed rebuild');
    expect(STATUS.exec(lines()[2]!)?.slice(1, 6)).toEqual(['rebuilt daily-orders', '1', 'changed', '4', '0']);

    cli.stop();
    expect(await cli.done).toBe(0);
  });

  it('text output shows a diagnostic once: a save that leaves it unchanged does not repeat it', async () => {
    // a channel tag: PW209 warns (a warning does not fail the spec, so the pipeline rebuilds)
    await writeFile(join(cwd, 'pipelines', 'orders.yaml'), spec('daily-orders', 'stable'));
    const cli = startCli(['--target', 'compose'], cwd);
    const lines = () => cli.out.stdout.split('\n').filter((l) => l !== '');
    await waitFor(() => (cli.out.stderr.includes('watching pipelines') ? true : undefined), 'ready');
    expect(cli.out.stderr.match(/\[PW209\]/g)).toHaveLength(1);
    // a comment added on top: the warning moves a line down, nothing new to say about it
    await writeFile(join(cwd, 'pipelines', 'orders.yaml'), `# edited\n${spec('daily-orders', 'stable')}`);
    await waitFor(() => lines()[1], 'the rebuild');
    expect(cli.out.stderr.match(/\[PW209\]/g)).toHaveLength(1);
    expect(cli.out.stderr).toContain('(1 diagnostic shown before and unchanged: not repeated)\n');
    cli.stop();
    expect(await cli.done).toBe(0);
  });

  it('--format json prints one JSON event per rebuild', async () => {
    const cli = startCli(['--format', 'json', '--target', 'compose'], cwd);
    const events = () =>
      cli.out.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(() => events()[0], 'the initial event');
    expect(events()[0]).toMatchObject({
      event: 'rebuild',
      initial: true,
      changed: ['pipelines/orders.yaml'],
      rebuilt: ['daily-orders'],
      written: ['compose/daily-orders.compose.yaml', 'index/daily-orders.json'],
      removed: [],
      failing: [],
      diagnostics: [],
    });
    await rm(join(cwd, 'pipelines', 'orders.yaml'));
    await waitFor(() => events()[1], 'the delete event');
    expect(events()[1]).toMatchObject({
      event: 'rebuild',
      initial: false,
      changed: ['pipelines/orders.yaml'],
      rebuilt: [],
      deleted: ['daily-orders'],
      written: [],
      removed: ['compose/daily-orders.compose.yaml', 'index/daily-orders.json'],
    });
    expect(typeof events()[1]!.ms).toBe('number');
    expect(cli.out.stderr).toBe('');
    cli.stop();
    expect(await cli.done).toBe(0);
    expect(events()).toHaveLength(2);
  });

  it('colours the status line and diagnostics on a TTY', async () => {
    await writeFile(join(cwd, 'pipelines', 'bad.yaml'), spec('bad').replace('[extract]', '[nope]'));
    const cli = startCli([], cwd, { isTTY: true });
    await waitFor(() => (cli.out.stderr.includes('watching') ? true : undefined), 'ready');
    expect(cli.out.stdout).toMatch(/^\u001b\[1;31m\[/); // red: a spec is failing
    expect(cli.out.stderr).toContain('\u001b[1;31merror\u001b[0m');
    cli.stop();
    expect(await cli.done).toBe(0);
  });

  it('refuses bad usage before watching anything', async () => {
    expect((await runCliCapture(['watch', '--debounce', 'soon'], { cwd })).code).toBe(2);
    expect((await runCliCapture(['watch', '--format', 'yaml'], { cwd })).code).toBe(2);
    const missing = await runCliCapture(['watch', 'nowhere'], { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file or directory');
    const overlap = await runCliCapture(['watch', '--out', 'pipelines/out'], { cwd });
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toContain('overlaps the spec path');
  });

  it('stops with exit 0 when aborted before the initial build finished', async () => {
    const cli = startCli([], cwd);
    cli.stop();
    expect(await cli.done).toBe(0);
  });

  it('the built CLI exits 0 on SIGTERM, closing the watcher', async () => {
    const cliPath = resolve('dist/cli.js');
    if (!existsSync(cliPath)) throw new Error('dist/cli.js missing: run `npm run build` first');
    const child = spawn(process.execPath, [cliPath, 'watch', '--target', 'compose'], { cwd, stdio: 'pipe' });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(() => (stderr.includes('watching') ? true : undefined), 'the built CLI to be ready', 30_000);
    await writeFile(join(cwd, 'pipelines', 'orders.yaml'), spec('daily-orders', '9.9.9'));
    await waitFor(() => (stdout.includes('rebuilt daily-orders') ? true : undefined), 'a rebuild in the built CLI');
    expect(await readFile(join(cwd, 'generated', 'compose', 'daily-orders.compose.yaml'), 'utf8')).toContain('9.9.9');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
