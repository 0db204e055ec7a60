/**
 * The `docker` executor: one container per attempt on a Docker Engine API (dockerode; podman's compatible API in
 * tests), named deterministically `pw-<pipeline>-<task>-<runId>-<attempt>` and labelled with who made it and from
 * what (`pipewright.dev/*`, including a hash of its configuration).
 *
 * - `wait` is attached before `start`; an inspect poll backs it up (a wait that reached the engine after a very fast
 *   exit would never return), and re-attachment uses `condition: not-running`, which answers at once for an exited one.
 * - Output of a container this runner starts is attached to before `start` (POST /containers/{id}/attach, stream only,
 *   as `docker run` does): the engine connects the stream to the process's stdout/stderr before it runs, so nothing
 *   it writes is missed, and the stream ends when the process does. The exit code is then asked for at once (inspect,
 *   backing off): podman answers `wait` 10-340 ms after the exit, and its log endpoint as late (bench/attach-probe.mjs).
 *   A container that already ran while no runner was there (adopted running after a crash) is read from its log
 *   (`logs(follow)`), which holds what it wrote before; so is one whose attach the engine refused.
 * - A name conflict (409) is a container from an earlier runner: ours and identical (same config hash) is adopted as
 *   found (created → started, running → re-attached, exited → judged by its exit code); ours but stale is replaced;
 *   one without our managed-by label is foreign and never touched (the attempt fails with that reason).
 * - Containers are removed at the end of the run, after their outcome is recorded (removing earlier could make a
 *   crash look like a never-started attempt); failed ones are kept with --keep-failed.
 */
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { canonicalJson, sha256Hex } from '../model/hash.js';
import type { AttemptSpec, Executor, ExecutorContext, RunIdentity } from './executor.js';
import { lineSplitter } from './executor.js';
import type { RunTask } from './plan.js';
import type { AttemptHandle, AttemptOutcome } from './scheduler.js';

export const LABEL = {
  managedBy: 'pipewright.dev/managed-by',
  pipeline: 'pipewright.dev/pipeline',
  version: 'pipewright.dev/version',
  specHash: 'pipewright.dev/spec-hash',
  runId: 'pipewright.dev/run-id',
  task: 'pipewright.dev/task',
  instance: 'pipewright.dev/instance',
  attempt: 'pipewright.dev/attempt',
  logicalDate: 'pipewright.dev/logical-date',
  configHash: 'pipewright.dev/config-hash',
} as const;

export class EngineError extends Error {
  override name = 'EngineError';
}

export interface DockerExecutorOptions {
  /** Engine connection; default from DOCKER_HOST (unix:// or tcp://) or /var/run/docker.sock. */
  docker: Docker;
  /** Shown in messages (e.g. unix:///run/pipewright/podman.sock). */
  endpoint: string;
  /** Pull missing images instead of failing. */
  pull: boolean;
  /** Keep containers of failed attempts after the run. */
  keepFailed: boolean;
  /** Seconds between SIGTERM and SIGKILL when an attempt is killed (default 5). */
  killGraceSeconds?: number;
  /** Inspect poll backing up `wait` (default 1000 ms). */
  pollMs?: number;
}

/** Where scripts/engine-up.sh serves podman's Docker API. */
export const ENGINE_UP_SOCKET = '/run/pipewright/podman.sock';

/**
 * A dockerode client from a DOCKER_HOST value (unix:///path or tcp://host:port). Without DOCKER_HOST: the Docker
 * socket /var/run/docker.sock when it exists, else the socket scripts/engine-up.sh serves.
 */
export function dockerFromHost(host: string | undefined): { docker: Docker; endpoint: string } {
  if (!host) {
    const socket =
      existsSync('/var/run/docker.sock') || !existsSync(ENGINE_UP_SOCKET) ? '/var/run/docker.sock' : ENGINE_UP_SOCKET;
    return { docker: new Docker({ socketPath: socket }), endpoint: `unix://${socket}` };
  }
  if (host.startsWith('unix://'))
    return { docker: new Docker({ socketPath: host.slice('unix://'.length) }), endpoint: host };
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (!m) throw new EngineError(`DOCKER_HOST=${host} is not supported (use unix:///path/to.sock or tcp://host:port)`);
  return { docker: new Docker({ host: m[1]!, port: Number(m[2] ?? 2375), protocol: 'http' }), endpoint: host };
}

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; our parts are DNS labels and run ids already. */
export function containerName(run: Pick<RunIdentity, 'pipeline' | 'runId'>, taskId: string, attempt: number): string {
  return `pw-${run.pipeline}-${taskId}-${run.runId}-${attempt}`;
}

/** An engine output stream being read: `ended` resolves after its last line was delivered. */
interface OutputReader {
  ended: Promise<void>;
  /** Stops reading (a stream the engine did not end). */
  close(): void;
}

/** Container states with a final exit code. */
const EXITED: ReadonlySet<string> = new Set(['exited', 'dead', 'stopped']);

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? Number((error as { statusCode: unknown }).statusCode)
    : undefined;
}

/** Docker answers a taken name with 409; podman 4.3's compat API with 500 "… that name is already in use". */
function isNameConflict(error: unknown): boolean {
  return statusCode(error) === 409 || /name .* is already in use/.test(message(error));
}

function message(error: unknown): string {
  const e = error as { json?: { message?: string }; reason?: string; message?: string };
  return e?.json?.message ?? e?.message ?? String(error);
}

type CreateOptions = Docker.ContainerCreateOptions & { name: string };

export class DockerExecutor implements Executor {
  readonly name = 'docker' as const;
  constructor(private readonly options: DockerExecutorOptions) {}

  get endpoint(): string {
    return this.options.endpoint;
  }

  async preflight(tasks: readonly RunTask[]): Promise<void> {
    const { docker, endpoint } = this.options;
    try {
      await docker.ping();
    } catch (error) {
      throw new EngineError(
        `cannot reach the Docker engine at ${endpoint}: ${message(error)} (set DOCKER_HOST, or start one with scripts/engine-up.sh)`,
      );
    }
    for (const image of [...new Set(tasks.map((t) => t.image))].sort()) {
      try {
        await docker.getImage(image).inspect();
        continue;
      } catch (error) {
        if (statusCode(error) !== 404) throw new EngineError(`cannot inspect image ${image}: ${message(error)}`);
      }
      if (!this.options.pull) {
        throw new EngineError(`image ${image} is not present on the engine at ${endpoint} (pass --pull to pull it)`);
      }
      await this.pull(image);
    }
  }

  private async pull(image: string): Promise<void> {
    const { docker } = this.options;
    let failure: string | undefined;
    try {
      const stream = await docker.pull(image);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (event: { error?: string; errorDetail?: { message?: string } }) => {
            failure ??= event.errorDetail?.message ?? event.error;
          },
        ),
      );
    } catch (error) {
      failure = message(error);
    }
    // The engine reports some pull failures only as a progress event: the image being there is what counts.
    try {
      await docker.getImage(image).inspect();
    } catch {
      throw new EngineError(`cannot pull image ${image}: ${failure ?? 'the engine did not store it'}`);
    }
  }

  /** Create options and the hash that identifies them (secret values are not part of the hash, only their names). */
  createOptions(spec: AttemptSpec): CreateOptions {
    const { task, run } = spec;
    const labels: Record<string, string> = {
      ...task.labels,
      [LABEL.managedBy]: 'pipewright',
      [LABEL.pipeline]: run.pipeline,
      [LABEL.version]: run.version,
      [LABEL.specHash]: run.specHash,
      [LABEL.runId]: run.runId,
      [LABEL.task]: task.specId,
      [LABEL.instance]: task.id,
      [LABEL.attempt]: String(spec.attempt),
      [LABEL.logicalDate]: run.logicalDate,
    };
    const hostConfig: Docker.HostConfig = {};
    if (task.nanoCpus !== undefined) hostConfig.NanoCpus = task.nanoCpus;
    if (task.memoryBytes !== undefined) hostConfig.Memory = task.memoryBytes;
    const identity = {
      image: task.image,
      argv: spec.argv,
      env: spec.env,
      secretNames: Object.keys(spec.secrets).sort(),
      workingDir: task.workingDir ?? null,
      labels,
      hostConfig,
    };
    labels[LABEL.configHash] = sha256Hex(canonicalJson(identity));
    const env = { ...spec.env, ...spec.secrets };
    return {
      name: containerName(run, task.id, spec.attempt),
      Image: task.image,
      Cmd: spec.argv,
      Env: Object.keys(env)
        .sort()
        .map((k) => `${k}=${env[k]}`),
      ...(task.workingDir !== undefined ? { WorkingDir: task.workingDir } : {}),
      Labels: labels,
      Tty: false,
      AttachStdin: false,
      OpenStdin: false,
      HostConfig: hostConfig,
    };
  }

  attemptRef(run: RunIdentity, taskId: string, attempt: number): { container: string } {
    return { container: containerName(run, taskId, attempt) };
  }

  async launch(spec: AttemptSpec, context: ExecutorContext): Promise<AttemptHandle> {
    const { docker } = this.options;
    const opts = this.createOptions(spec);
    const taskId = spec.task.id;
    if (spec.record.ref?.container !== opts.name) {
      spec.record.ref = this.attemptRef(spec.run, taskId, spec.attempt);
      await context.persist();
    }

    let container: Docker.Container;
    let state: 'created' | 'running' | 'exited' = 'created';
    let exitCode: number | null = null;
    try {
      container = await docker.createContainer(opts);
    } catch (error) {
      if (statusCode(error) === 404) {
        return failed(`image ${opts.Image} is not present on the engine (pass --pull to pull it)`);
      }
      if (!isNameConflict(error)) return failed(`cannot create container ${opts.name}: ${message(error)}`);
      const existing = docker.getContainer(opts.name);
      let info: Docker.ContainerInspectInfo;
      try {
        info = await existing.inspect();
      } catch (inspectError) {
        return failed(`container ${opts.name} exists but cannot be inspected: ${message(inspectError)}`);
      }
      const labels = info.Config.Labels ?? {};
      if (labels[LABEL.managedBy] !== 'pipewright') {
        return failed(
          `a container named ${opts.name} exists and is not managed by pipewright: refusing to touch it (remove or rename it)`,
        );
      }
      if (labels[LABEL.configHash] === opts.Labels![LABEL.configHash]) {
        container = existing;
        const s = info.State;
        state =
          s.Running || s.Status === 'running' || s.Status === 'paused'
            ? 'running'
            : s.Status === 'created'
              ? 'created'
              : 'exited';
        if (state === 'exited') exitCode = s.ExitCode;
        // podman's `stopped` is a process that exited, its clean-up still pending: to us it is exited.
        context.note(taskId, `adopting existing container ${opts.name} (${state === 'exited' ? 'exited' : s.Status})`);
      } else {
        context.note(
          taskId,
          `replacing container ${opts.name}: it was created by pipewright from a different configuration`,
        );
        try {
          await existing.remove({ force: true });
          container = await docker.createContainer(opts);
        } catch (replaceError) {
          return failed(`cannot replace stale container ${opts.name}: ${message(replaceError)}`);
        }
      }
    }

    if (state === 'exited') {
      return { done: Promise.resolve({ exitCode }), kill: () => {} };
    }
    const abort = new AbortController();
    let outputEnded!: () => void;
    const exited = this.waitExit(
      container,
      state === 'created' ? 'next-exit' : 'not-running',
      abort.signal,
      new Promise<void>((resolve) => {
        outputEnded = resolve;
      }),
    );
    // Before the start: the stream must be connected before the process can write (and a fast one exit).
    let output = state === 'created' ? await this.attachOutput(container, taskId, context) : undefined;
    if (state === 'created') {
      try {
        await container.start();
      } catch (error) {
        abort.abort();
        exited.catch(() => {});
        output?.close();
        return failed(`cannot start container ${opts.name}: ${message(error)}`);
      }
    }
    output ??= await this.followLogs(container, taskId, context);
    const reading = output;
    void reading.ended.then(outputEnded);
    const done = exited
      .then(async (code): Promise<AttemptOutcome> => {
        // The output normally ended before the exit was known; a stream the engine keeps open is not waited for long.
        await settledWithin(reading.ended, 2000);
        reading.close();
        return { exitCode: code };
      })
      .catch(
        (error): AttemptOutcome => ({
          exitCode: null,
          error: `lost track of container ${opts.name}: ${message(error)}`,
        }),
      )
      .finally(() => abort.abort());
    const kill = () => {
      container.stop({ t: this.options.killGraceSeconds ?? 5 }).catch(() => {
        // Already stopped or gone: the wait resolves either way.
      });
    };
    return { done, kill };
  }

  /**
   * Exit code via wait, backed by an inspect poll; once `outputEnded` resolves (the process closed its output: it
   * has exited, or is about to), inspect is asked at once and then backing off (10, 20, 40 ms … up to the poll
   * interval) instead of waiting for the engine's slower answer to `wait`.
   */
  private waitExit(
    container: Docker.Container,
    condition: 'next-exit' | 'not-running',
    signal: AbortSignal,
    outputEnded: Promise<void>,
  ): Promise<number> {
    const pollMs = this.options.pollMs ?? 1000;
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      let hurry: NodeJS.Timeout | undefined;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        clearTimeout(hurry);
        fn();
      };
      container
        .wait({ condition, abortSignal: signal })
        .then((r: { StatusCode: number }) => settle(() => resolve(r.StatusCode)))
        .catch((error: unknown) => {
          if (!signal.aborted) settle(() => reject(error));
        });
      let started = condition === 'not-running';
      const poll = () =>
        container
          .inspect()
          .then((info) => {
            // Only a final state counts: podman reports `stopping` (not running, no exit code yet) while killing;
            // its `stopped` (exited, clean-up pending) already carries the exit code.
            if (info.State.Status !== 'created') started = true;
            if (started && EXITED.has(info.State.Status)) settle(() => resolve(info.State.ExitCode));
          })
          .catch((error: unknown) => {
            if (statusCode(error) === 404) settle(() => reject(new Error('the container disappeared')));
          });
      const timer = setInterval(poll, pollMs);
      outputEnded.then(
        () => {
          // The output can only end after the start: a container still `created` then is not this one's next exit.
          started = true;
          const next = (delay: number) => {
            if (settled) return;
            void poll().then(() => {
              if (!settled && delay < pollMs) hurry = setTimeout(() => next(delay * 2), delay);
            });
          };
          next(10);
        },
        () => {},
      );
      signal.addEventListener('abort', () => settle(() => reject(new Error('aborted'))), { once: true });
    });
  }

  /**
   * Attaches to a created container's stdout and stderr (no stdin, no logs: only what it writes from now on). Resolves
   * once the engine has connected the stream; undefined when the engine refused (the log is followed after the start
   * instead).
   */
  private async attachOutput(
    container: Docker.Container,
    taskId: string,
    context: ExecutorContext,
  ): Promise<OutputReader | undefined> {
    let stream: NodeJS.ReadableStream;
    try {
      // Not a byte after the request: podman hands what follows it to the container (a TTY echoed dockerode's JSON
      // body, and a hijacked request's chunked-body terminator, back into the output), and with those bytes unread
      // conmon reset the socket at the exit, which podman reported inside the stderr stream ("Error: read unixpacket
      // …: connection reset by peer", 2 of 90 hijacked probes, 0 of 290 plain ones). So: a plain POST, query only
      // (docker-modem builds the query from `_query` and the body from `_body`, `{}` being none), and the engine's
      // raw-stream answer read until it closes.
      const options: Docker.ContainerAttachOptions & { _query: Docker.ContainerAttachOptions; _body: object } = {
        _query: { stream: true, stdout: true, stderr: true },
        _body: {},
      };
      stream = (await container.attach(options)) as unknown as NodeJS.ReadableStream;
    } catch (error) {
      context.note(taskId, `cannot attach to the output (${message(error)}): following the log instead`);
      return undefined;
    }
    return this.readOutput(stream, taskId, context);
  }

  /** The container's log from its start on, followed until the engine ends it (re-attachment after a crash). */
  private async followLogs(
    container: Docker.Container,
    taskId: string,
    context: ExecutorContext,
  ): Promise<OutputReader> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
    } catch (error) {
      context.note(taskId, `cannot follow logs: ${message(error)}`);
      return { ended: Promise.resolve(), close: () => {} };
    }
    return this.readOutput(stream, taskId, context);
  }

  /** Demultiplexes an engine output stream (8-byte frame headers) into lines per stream, from now until its end. */
  private readOutput(stream: NodeJS.ReadableStream, taskId: string, context: ExecutorContext): OutputReader {
    const out = new PassThrough();
    const err = new PassThrough();
    const outLines = lineSplitter((line) => context.log(taskId, 'stdout', line));
    const errLines = lineSplitter((line) => context.log(taskId, 'stderr', line));
    out.on('data', (d: Buffer) => outLines.push(d));
    err.on('data', (d: Buffer) => errLines.push(d));
    this.options.docker.modem.demuxStream(stream, out, err);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    }).then(() => {
      outLines.end();
      errLines.end();
    });
    return { ended, close: () => (stream as unknown as { destroy(): void }).destroy() };
  }

  /** Removes the run's finished containers; containers of failed tasks stay with keepFailed. */
  async finish(run: RunIdentity, failedTasks: ReadonlySet<string>, context: ExecutorContext): Promise<void> {
    const { docker } = this.options;
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.managedBy}=pipewright`, `${LABEL.runId}=${run.runId}`] },
    });
    for (const c of list) {
      const taskId = c.Labels[LABEL.instance] ?? '';
      if (c.State === 'running') continue;
      if (this.options.keepFailed && failedTasks.has(taskId)) {
        context.note(taskId, `kept container ${c.Names[0]?.replace(/^\//, '') ?? c.Id} (--keep-failed)`);
        continue;
      }
      try {
        await docker.getContainer(c.Id).remove({ force: false });
      } catch (error) {
        if (statusCode(error) !== 404)
          context.note(taskId, `cannot remove container ${c.Id.slice(0, 12)}: ${message(error)}`);
      }
    }
  }
}

function failed(error: string): AttemptHandle {
  return { done: Promise.resolve({ exitCode: null, error }), kill: () => {} };
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (the timer never outlives it). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
