/**
 * The `local` executor: each attempt is a host process (argv, no shell) in the project directory. The image is noted,
 * not used; `working_dir` (a container path) is ignored.
 *
 * Crash safety: the runner does not spawn the task directly but a small wrapper (`node -e WRAPPER`, its own process
 * group, detached from the runner) that spawns the task, relays its output (secrets masked) to the runner and to
 * `<attemptDir>/output.log`, and when the task ends writes `<attemptDir>/result.json` (exit code, signal) atomically.
 * A task whose runner was SIGKILLed therefore keeps running, and its exit code survives: a resumed runner finds the
 * result file, or finds the wrapper still alive (by its argv in /proc, which names the attempt directory) and waits,
 * or finds neither (never started: start it; started and vanished without a result: a failed attempt).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptSpec, Executor, ExecutorContext } from './executor.js';
import { lineSplitter } from './executor.js';
import { maskedStrings, outputMasker } from './mask.js';
import type { AttemptHandle, AttemptOutcome } from './scheduler.js';

/** The wrapper's own variable: the strings to mask in output (JSON), removed before the task starts. */
const MASK_VARIABLE = 'PIPEWRIGHT_WRAPPER_MASK';

/**
 * Runs as `node -e WRAPPER <attemptDir> <program> <args…>` (CommonJS, no dependencies). Ignores SIGTERM/SIGINT/SIGHUP
 * itself (the task in the same process group gets them) so that it can still record how the task ended. Output is
 * masked (mask.ts, the same function as the live log) before it is written to output.log or relayed: the log on disk
 * never holds a secret value of 8 characters or more. Output is stored as UTF-8 text.
 */
export const WRAPPER = String.raw`
const fs = require('node:fs');
const { StringDecoder } = require('node:string_decoder');
const path = require('node:path');
const { spawn } = require('node:child_process');
const [dir, program, ...args] = process.argv.slice(1);
const atomic = (name, text) => {
  const tmp = path.join(dir, name + '.tmp');
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, text);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, path.join(dir, name));
};
atomic('pid', String(process.pid) + '\n');
const log = fs.openSync(path.join(dir, 'output.log'), 'a');
for (const s of [process.stdout, process.stderr]) s.on('error', () => {});
let finished = false;
const finish = (result) => {
  if (finished) return;
  finished = true;
  result.finishedAt = new Date().toISOString();
  atomic('result.json', JSON.stringify(result) + '\n');
  fs.closeSync(log);
  process.exit(0);
};
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => {});
const outputMasker = ${outputMasker.toString()};
const masked = JSON.parse(process.env.${MASK_VARIABLE} || '[]');
delete process.env.${MASK_VARIABLE};
let child;
try {
  child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
} catch (error) {
  finish({ exitCode: null, error: 'cannot start ' + JSON.stringify(program) + ': ' + (error.code || error.message) });
}
const relay = (from, to) => {
  const decoder = new StringDecoder('utf8');
  const masker = outputMasker(masked, (text) => {
    try { fs.writeSync(log, text); } catch {}
    try { to.write(text); } catch {}
  });
  from.on('data', (d) => masker.push(decoder.write(d)));
  from.on('end', () => {
    masker.push(decoder.end());
    masker.end();
  });
};
relay(child.stdout, process.stdout);
relay(child.stderr, process.stderr);
child.on('error', (error) => finish({ exitCode: null, error: 'cannot start ' + JSON.stringify(program) + ': ' + (error.code || error.message) }));
child.on('close', (code, signal) => finish({ exitCode: code, signal: signal }));
`;

export interface LocalExecutorOptions {
  /** Working directory of every task (the project directory). */
  cwd: string;
  /** The runner's environment: passed on to tasks minus PIPEWRIGHT_* (run variables are set explicitly). */
  hostEnv: Readonly<Record<string, string | undefined>>;
  /** Where attempt directories go: `<runsDir>/<runId>/attempts/<task>.<n>/`. */
  runsDir: string;
  /** Between SIGTERM and SIGKILL of the process group (default 5000). */
  killGraceMs?: number;
  /** How often an adopted process is polled (default 100). */
  pollMs?: number;
}

export function attemptDir(runsDir: string, runId: string, taskId: string, attempt: number): string {
  return join(runsDir, runId, 'attempts', `${taskId}.${attempt}`);
}

function readResult(dir: string): AttemptOutcome | undefined {
  const file = join(dir, 'result.json');
  if (!existsSync(file)) return undefined;
  const result = JSON.parse(readFileSync(file, 'utf8')) as {
    exitCode: number | null;
    signal?: string | null;
    error?: string;
  };
  const outcome: AttemptOutcome = { exitCode: result.exitCode, signal: result.signal ?? null };
  if (result.error !== undefined) outcome.error = result.error;
  return outcome;
}

/** The pid of a live wrapper for `dir` (matched by its argv in /proc), if any. */
export function findWrapper(dir: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[1] === '-e' && argv[3] === '--' && argv[4] === dir) return Number(entry);
    } catch {
      // Exited while we looked.
    }
  }
  return undefined;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export class LocalExecutor implements Executor {
  readonly name = 'local' as const;
  constructor(private readonly options: LocalExecutorOptions) {}

  private taskEnv(spec: AttemptSpec): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.options.hostEnv)) {
      if (v !== undefined && !k.startsWith('PIPEWRIGHT_')) env[k] = v;
    }
    const { masked } = maskedStrings(Object.values(spec.secrets));
    return { ...env, ...spec.env, ...spec.secrets, [MASK_VARIABLE]: JSON.stringify(masked) };
  }

  async launch(spec: AttemptSpec, context: ExecutorContext): Promise<AttemptHandle> {
    const dir = attemptDir(this.options.runsDir, spec.run.runId, spec.task.id, spec.attempt);
    if (spec.resume) {
      const adopted = await this.adopt(spec, dir, context);
      if (adopted) return adopted;
    }
    mkdirSync(dir, { recursive: true });
    const child = spawn(process.execPath, ['-e', WRAPPER, '--', dir, spec.argv[0]!, ...spec.argv.slice(1)], {
      cwd: this.options.cwd,
      env: this.taskEnv(spec),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spec.record.ref = { pid: child.pid ?? -1, dir };
    await context.persist();
    return this.watchChild(spec, dir, child, context);
  }

  private watchChild(spec: AttemptSpec, dir: string, child: ChildProcess, context: ExecutorContext): AttemptHandle {
    const out = lineSplitter((line) => context.log(spec.task.id, 'stdout', line));
    const err = lineSplitter((line) => context.log(spec.task.id, 'stderr', line));
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const done = new Promise<AttemptOutcome>((resolve) => {
      child.on('error', (error) =>
        resolve({ exitCode: null, error: `cannot start the task wrapper: ${error.message}` }),
      );
      child.on('close', (code, signal) => {
        out.end();
        err.end();
        const result = readResult(dir);
        if (result) resolve(result);
        else
          resolve({
            exitCode: null,
            signal: signal ?? null,
            error: `the task was killed before it could record an exit code (wrapper exit ${code ?? signal})`,
          });
      });
    });
    return { done, kill: () => this.kill(child.pid) };
  }

  private kill(pid: number | undefined): void {
    if (pid === undefined) return;
    killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.options.killGraceMs ?? 5000);
    timer.unref();
  }

  /** Judges or re-attaches an attempt recorded by a dead runner; undefined when it never started. */
  private async adopt(spec: AttemptSpec, dir: string, context: ExecutorContext): Promise<AttemptHandle | undefined> {
    const result = readResult(dir);
    if (result) {
      context.note(
        spec.task.id,
        `attempt ${spec.attempt} finished while the runner was away (exit ${result.exitCode ?? result.signal})`,
      );
      return { done: Promise.resolve(result), kill: () => {} };
    }
    const pid = findWrapper(dir);
    if (pid !== undefined) {
      context.note(
        spec.task.id,
        `re-attached to attempt ${spec.attempt} (pid ${pid}); its output goes to ${join(dir, 'output.log')}`,
      );
      const poll = this.options.pollMs ?? 100;
      const done = new Promise<AttemptOutcome>((resolve) => {
        const timer = setInterval(() => {
          const r = readResult(dir);
          if (r) {
            clearInterval(timer);
            resolve(r);
          } else if (findWrapper(dir) === undefined) {
            clearInterval(timer);
            resolve(
              readResult(dir) ?? { exitCode: null, error: 'the task process ended without recording an exit code' },
            );
          }
        }, poll);
      });
      return { done, kill: () => this.kill(pid) };
    }
    if (existsSync(join(dir, 'pid'))) {
      context.note(spec.task.id, `attempt ${spec.attempt} had started but its process is gone without a result`);
      return {
        done: Promise.resolve({ exitCode: null, error: 'the task process vanished without recording an exit code' }),
        kill: () => {},
      };
    }
    return undefined;
  }
}
