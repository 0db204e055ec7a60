import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { makeProject, specText } from '../runtime/support.js';
import { binary, freePort, promtool, startDaemon } from './promtool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-obs-run-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  runCliCapture(['run', ...args], { cwd: dir, env: { PATH: process.env.PATH, PIPEWRIGHT_ACTOR: 'tester' } });

/** extract fails once then succeeds (one retry); the gate then fails: a failed run with a quality-gate failure. */
const GATED = specText(
  'gated',
  `  sla: 1h
  schedule: "0 5 * * *"
  defaults: { image: "localhost/pipewright-test:1", retryDelay: 1s }
  tasks:
    extract:
      retries: 1
      command: [sh, -c, 'if [ -e tried ]; then exit 0; fi; touch tried; exit 3']
      outputs: ["s3://lake/raw/orders/{{ ds }}"]
    gate:
      type: check
      needs: [extract]
      command: [sh, -c, 'exit 1']
      inputs: ["s3://lake/raw/orders/{{ ds }}"]
`,
);
const TINY = specText('tiny', `  tasks:\n    hello: { image: "localhost/pipewright-test:1", command: [echo, "hi"] }\n`);

describe('pipewright run --metrics-file', () => {
  it('writes the textfile atomically; promtool accepts it; the values describe the run, with no run id or date', async () => {
    makeProject({ gated: GATED }, dir);
    const file = join(dir, 'textfile', 'pipewright.prom');
    mkdirSync(join(dir, 'textfile'));
    const r = await run(['gated', '--date', '2024-01-15', '--metrics-file', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`[run] » metrics written to ${file}`);
    const text = readFileSync(file, 'utf8');
    expect(readdirSync(join(dir, 'textfile'))).toEqual(['pipewright.prom']);
    expect(text).toContain('pipewright_runs_total{pipeline="gated",status="failed"} 1');
    expect(text).toContain('pipewright_runs_total{pipeline="gated",status="succeeded"} 0');
    expect(text).toContain('pipewright_last_run_success{pipeline="gated"} 0');
    expect(text).toContain('pipewright_task_retries_total{pipeline="gated",task="extract"} 1');
    expect(text).toContain('pipewright_quality_gate_failures_total{pipeline="gated",task="gate"} 1');
    expect(text).toContain(
      'pipewright_task_duration_seconds_count{pipeline="gated",task="extract",status="succeeded"} 1',
    );
    expect(text).toContain('pipewright_sla_misses_total{pipeline="gated"} 0');
    expect(text).toContain('pipewright_pipeline_expected_interval_seconds{pipeline="gated"} 86400');
    expect(text).not.toMatch(/2024|20240115/);
    const check = promtool(['check', 'metrics'], text);
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });
  });

  it('reports a full disk as a warning and keeps the run result and the previous textfile', async () => {
    makeProject({ tiny: TINY }, dir);
    const mnt = join(dir, 'full');
    mkdirSync(mnt);
    // A real full file system: a 64 KiB tmpfs filled to the last block (needs root, as CI runs).
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
    expect(mount.stderr).toBe('');
    try {
      writeFileSync(join(mnt, 'pipewright.prom'), 'pipewright_old 1\n');
      spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=4k'], { encoding: 'utf8' });
      const r = await run(['tiny', '--date', '2024-01-15', '--metrics-file', join(mnt, 'pipewright.prom')]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(
        `pipewright: warning: could not write ${join(mnt, 'pipewright.prom')}: the disk is full (ENOSPC); the run's result is unchanged\n`,
      );
      expect(r.stdout).toMatch(/run \d{8}-[0-9a-f]{8} succeeded/);
      expect(readFileSync(join(mnt, 'pipewright.prom'), 'utf8')).toBe('pipewright_old 1\n');
      expect(readdirSync(mnt).sort()).toEqual(['filler', 'pipewright.prom']);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});

describe('pipewright run --metrics-file, label guard', () => {
  it('a pipeline name shaped like a date is not a label: a warning, the run result unchanged', async () => {
    const name = 'orders-20240101';
    makeProject({ [name]: TINY.replaceAll('tiny', name) }, dir);
    const r = await run([name, '--date', '2024-01-15', '--metrics-file', join(dir, 'm.prom')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "pipewright: warning: metrics not recorded: metric label value 'orders-20240101' looks like an id or a date",
    );
  });
});

describe('pipewright run --pushgateway', () => {
  it('pushes to a real Pushgateway on loopback, grouped by job and pipeline', async () => {
    makeProject({ tiny: TINY }, dir);
    const port = await freePort();
    const gateway = await startDaemon(
      binary('prometheus-pushgateway'),
      [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'pgw.data')}`],
      `http://127.0.0.1:${port}/-/ready`,
    );
    try {
      const r = await run(['tiny', '--date', '2024-01-15', '--pushgateway', `http://127.0.0.1:${port}`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`[run] » metrics pushed to http://127.0.0.1:${port}`);
      const scraped = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(scraped).toMatch(
        /pipewright_runs_total\{instance="",job="pipewright",pipeline="tiny",status="succeeded"\} 1\n/,
      );
      expect(scraped).toMatch(/pipewright_last_run_success\{instance="",job="pipewright",pipeline="tiny"\} 1\n/);
    } finally {
      await gateway.stop();
    }
  });

  it('a gateway that is down is a warning: the run succeeds, bounded in time', async () => {
    makeProject({ tiny: TINY }, dir);
    const port = await freePort();
    const started = Date.now();
    const r = await run(['tiny', '--date', '2024-01-15', '--pushgateway', `http://127.0.0.1:${port}/`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `pipewright: warning: could not push metrics to http://127.0.0.1:${port}: ECONNREFUSED; the run's result is unchanged\n`,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(join(dir, '.pipewright', 'runs'))).toBe(true);
  });

  it('refuses a pushgateway value that is not an http(s) URL (usage, exit 2)', async () => {
    makeProject({ tiny: TINY }, dir);
    const r = await run(['tiny', '--pushgateway', 'ftp://x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--pushgateway must be an http:// or https:// URL (got 'ftp://x')");
  });
});
