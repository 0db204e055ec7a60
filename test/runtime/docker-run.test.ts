import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { containerName, DockerExecutor, LABEL } from '../../src/runtime/docker-executor.js';
import type { ExecutorContext } from '../../src/runtime/executor.js';
import { verifyLedger } from '../../src/runtime/ledger.js';
import type { RunPlan } from '../../src/runtime/plan.js';
import { resolveTask, runVariables } from '../../src/runtime/resolve.js';
import { executeRun } from '../../src/runtime/run.js';
import { planFromSpec, recorder, removeContainer, specText, TEST_IMAGE, testEngine } from './support.js';

const engine = await testEngine();
const IMAGE = `"${TEST_IMAGE}"`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-docker-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

/**
 * Every container these tests created is removed at the end: by run id, which is this process's own (other checkouts
 * run these tests on the same engine at the same time, with the same pipeline names).
 */
const runsUsed = new Set<string>();
afterAll(async () => {
  if (!engine) return;
  for (const runId of runsUsed) {
    const list = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.runId}=${runId}`] },
    });
    for (const c of list) await removeContainer(engine.docker, c.Id);
  }
});

/** A run id of this process for the tests that launch attempts themselves. */
function ownRunId(): string {
  const runId = `20240115-${randomBytes(4).toString('hex')}`;
  runsUsed.add(runId);
  return runId;
}

function executor(extra: Partial<ConstructorParameters<typeof DockerExecutor>[0]> = {}) {
  return new DockerExecutor({
    docker: engine!.docker,
    endpoint: engine!.endpoint,
    pull: false,
    keepFailed: false,
    killGraceSeconds: 1,
    pollMs: 200,
    ...extra,
  });
}

async function runDocker(
  plan: RunPlan,
  extra: {
    concurrency?: number;
    params?: Record<string, string>;
    secrets?: Map<string, Record<string, string>>;
    keepFailed?: boolean;
  } = {},
) {
  const reporter = recorder();
  const runsDir = join(dir, 'runs');
  const exec = executor({ keepFailed: extra.keepFailed ?? false });
  await exec.preflight(plan.tasks);
  const state = await executeRun({
    plan,
    artifact: 'test',
    logicalDate: '2024-01-15',
    params: extra.params ?? Object.fromEntries(plan.params.map((p) => [p.name, p.default ?? ''])),
    executor: exec,
    secrets: extra.secrets ?? new Map(),
    runsDir,
    ledgerFile: join(dir, 'ledger.jsonl'),
    cwd: dir,
    env: { PIPEWRIGHT_ACTOR: 'test' },
    concurrency: extra.concurrency ?? 4,
    reporter,
    commit: null,
  });
  runsUsed.add(state.runId);
  return { state, reporter, runsDir };
}

const statuses = (state: { tasks: Record<string, { status: string }> }) =>
  Object.fromEntries(Object.entries(state.tasks).map(([id, t]) => [id, t.status]));

/** The containers of one run (by run id too: other checkouts run these tests on the same engine at the same time). */
async function containersOf(pipeline: string, runId: string) {
  return engine!.docker.listContainers({
    all: true,
    filters: { label: [`${LABEL.pipeline}=${pipeline}`, `${LABEL.runId}=${runId}`] },
  });
}

describe.skipIf(!engine)('docker executor on the real engine', () => {
  it('runs the DAG in order, independent tasks in parallel; containers are labelled and removed afterwards', async () => {
    const plan = planFromSpec(
      'dk-dag',
      specText(
        'dk-dag',
        `  defaults: { image: ${IMAGE} }
  tasks:
    a: { command: [sh, -c, 'echo a-start; sleep 1; echo a-end'] }
    b: { command: [sh, -c, 'echo b-start; sleep 1; echo b-end'] }
    c: { needs: [a, b], command: [sh, -c, 'echo "c for $PIPEWRIGHT_DS run $PIPEWRIGHT_RUN_ID"'] }
`,
      ),
    );
    const { state, reporter } = await runDocker(plan);
    expect(statuses(state)).toEqual({ a: 'succeeded', b: 'succeeded', c: 'succeeded' });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => state.tasks[id]!.attempts[0]!);
    // parallel: each of a and b was started before the other finished (each runs at least 1 s)
    expect(a!.startedAt < b!.finishedAt! && b!.startedAt < a!.finishedAt!).toBe(true);
    // order: c was started only after both finished, and saw the run's variables
    expect(c!.startedAt >= a!.finishedAt! && c!.startedAt >= b!.finishedAt!).toBe(true);
    expect(reporter.of('a')).toEqual(['a-start', 'a-end']);
    expect(reporter.of('c')).toEqual([`c for 2024-01-15 run ${state.runId}`]);
    expect(state.tasks.c!.attempts[0]!.ref).toEqual({
      container: containerName({ pipeline: 'dk-dag', runId: state.runId }, 'c', 1),
    });
    expect(await containersOf('dk-dag', state.runId)).toEqual([]);
  });

  it('applies labels, resource limits and the deterministic name', async () => {
    const plan = planFromSpec(
      'dk-labels',
      specText(
        'dk-labels',
        `  tasks:
    t: { image: ${IMAGE}, resources: { cpu: 500m, memory: 64Mi }, command: [sleep, '5'] }
`,
      ),
    );
    const exec = executor();
    const task = plan.tasks[0]!;
    const run = {
      runId: ownRunId(),
      pipeline: plan.pipeline,
      version: plan.version,
      specHash: plan.specHash,
      logicalDate: '2024-01-15',
    };
    const resolved = resolveTask(task, runVariables(plan, { logicalDate: '2024-01-15', runId: run.runId, params: {} }));
    const ctx: ExecutorContext = { log: () => {}, note: () => {}, persist: () => {} };
    const handle = await exec.launch(
      {
        run,
        task,
        attempt: 1,
        ...resolved,
        secrets: {},
        record: { n: 1, startedAt: new Date().toISOString() },
        resume: false,
      },
      ctx,
    );
    const info = await engine!.docker.getContainer(containerName(run, 't', 1)).inspect();
    expect(info.Config.Labels).toMatchObject({
      [LABEL.managedBy]: 'pipewright',
      [LABEL.pipeline]: 'dk-labels',
      [LABEL.version]: '1.0.0',
      [LABEL.specHash]: plan.specHash,
      [LABEL.runId]: run.runId,
      [LABEL.task]: 't',
      [LABEL.attempt]: '1',
      [LABEL.logicalDate]: '2024-01-15',
    });
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    handle.kill();
    expect((await handle.done).exitCode).not.toBe(0);
  });

  it('retries a failing task with one container per attempt; --keep-failed keeps them', async () => {
    const plan = planFromSpec(
      'dk-retry',
      specText(
        'dk-retry',
        `  tasks:
    flaky: { image: ${IMAGE}, retries: 2, retryDelay: 1s, command: [sh, -c, 'echo try; exit 4'] }
`,
      ),
    );
    const { state, reporter } = await runDocker(plan, { keepFailed: true });
    expect(state.tasks.flaky!.status).toBe('failed');
    expect(state.tasks.flaky!.attempts.map((a) => a.outcome?.exitCode)).toEqual([4, 4, 4]);
    expect(reporter.of('flaky')).toEqual(['try', 'try', 'try']);
    const kept = (await containersOf('dk-retry', state.runId)).map((c) => c.Names[0]!.replace(/^\//, '')).sort();
    expect(kept).toEqual([1, 2, 3].map((n) => `pw-dk-retry-flaky-${state.runId}-${n}`));
  });

  it('kills a container at its timeout; descendants are upstream_failed, independent branches finish', async () => {
    const plan = planFromSpec(
      'dk-fail',
      specText(
        'dk-fail',
        `  defaults: { image: ${IMAGE} }
  tasks:
    slow: { timeout: 1s, command: [sleep, '60'] }
    after-slow: { needs: [slow], command: [echo, never] }
    bad: { command: [sh, -c, 'exit 3'] }
    after-bad: { needs: [bad], command: [echo, never] }
    gate: { type: check, command: [sh, -c, 'echo "null ids: 4" >&2; exit 1'] }
    after-gate: { needs: [gate], command: [echo, never] }
    fine: { command: [echo, fine] }
`,
      ),
    );
    const { state, reporter } = await runDocker(plan);
    expect(statuses(state)).toEqual({
      'after-bad': 'upstream_failed',
      'after-gate': 'upstream_failed',
      'after-slow': 'upstream_failed',
      bad: 'failed',
      fine: 'succeeded',
      gate: 'failed',
      slow: 'failed',
    });
    expect(state.tasks.slow!.attempts[0]!.outcome).toMatchObject({ timedOut: true });
    expect(state.tasks.bad!.exitCode).toBe(3);
    expect(reporter.of('gate')).toEqual(['null ids: 4']);
    expect(reporter.notes).toContain('gate|quality gate failed: downstream tasks are blocked');
    expect(await containersOf('dk-fail', state.runId)).toEqual([]);
  });

  it('delivers params and secrets to the container exactly ($, quotes) and redacts the secret from logs', async () => {
    const plan = planFromSpec(
      'dk-exact',
      specText(
        'dk-exact',
        `  params:
    note: { default: plain }
  tasks:
    show:
      image: ${IMAGE}
      env: { NOTE_ENV: "<{{ params.note }}>" }
      secrets: { DB_PASSWORD: { ref: warehouse/password } }
      command: [sh, -c, 'printf "arg=%s\\n" "$1"; printf "env=%s\\n" "$NOTE_ENV"; printf %s "$DB_PASSWORD" | sha256sum; echo "pw=$DB_PASSWORD"', sh, "{{ params.note }}"]
`,
      ),
    );
    const note = `a $b $$c \${d} "dq" 'sq' \\ end`;
    const secret = `s3cr3t $HOME "x" 'y' \${z}`;
    const { state, reporter } = await runDocker(plan, {
      params: { note },
      secrets: new Map([['show', { DB_PASSWORD: secret }]]),
    });
    expect(state.status).toBe('succeeded');
    const sha = createHash('sha256').update(secret).digest('hex');
    expect(reporter.of('show')).toEqual([`arg=${note}`, `env=<${note}>`, `${sha}  -`, 'pw=***']);
  });

  it('name conflicts: adopts our identical container, replaces our stale one, refuses a foreign one', async () => {
    const plan = planFromSpec(
      'dk-conflict',
      specText('dk-conflict', `  tasks:\n    t: { image: ${IMAGE}, command: [sh, -c, 'echo ran; exit 5'] }\n`),
    );
    const exec = executor();
    const task = plan.tasks[0]!;
    const run = {
      runId: ownRunId(),
      pipeline: plan.pipeline,
      version: plan.version,
      specHash: plan.specHash,
      logicalDate: '2024-01-15',
    };
    const resolved = resolveTask(task, runVariables(plan, { logicalDate: '2024-01-15', runId: run.runId, params: {} }));
    const notes: string[] = [];
    const logs: string[] = [];
    const ctx: ExecutorContext = {
      log: (_t, _s, l) => logs.push(l),
      note: (_t, m) => notes.push(m),
      persist: () => {},
    };
    const spec = (attempt: number) => ({
      run,
      task,
      attempt,
      ...resolved,
      secrets: {},
      record: { n: attempt, startedAt: new Date().toISOString() },
      resume: true,
    });
    const name = containerName(run, 't', 1);

    // 1. first launch runs it; the container stays (removal happens at the end of a run)
    expect((await (await exec.launch(spec(1), ctx)).done).exitCode).toBe(5);
    const first = await engine!.docker.getContainer(name).inspect();
    // 2. same identity again: adopted as found, judged by its exit code, not run again
    logs.length = 0;
    expect((await (await exec.launch(spec(1), ctx)).done).exitCode).toBe(5);
    expect(notes.at(-1)).toBe(`adopting existing container ${name} (exited)`);
    expect(logs).toEqual([]);
    expect((await engine!.docker.getContainer(name).inspect()).Id).toBe(first.Id);

    // 3. ours but stale (created from another configuration): replaced and run
    const changed = { ...spec(1), argv: ['sh', '-c', 'echo replaced; exit 0'] };
    expect((await (await exec.launch(changed, ctx)).done).exitCode).toBe(0);
    expect(notes.at(-1)).toMatch(/^replacing container .* different configuration$/);
    expect(logs).toEqual(['replaced']);
    expect((await engine!.docker.getContainer(name).inspect()).Id).not.toBe(first.Id);

    // 3b. created but never started (the runner died between create and start): adopted and started
    const createdSpec = spec(3);
    await engine!.docker.createContainer(exec.createOptions(createdSpec));
    logs.length = 0;
    expect((await (await exec.launch(createdSpec, ctx)).done).exitCode).toBe(5);
    expect(notes.at(-1)).toBe(`adopting existing container ${containerName(run, 't', 3)} (created)`);
    expect(logs).toEqual(['ran']);

    // 4. a foreign container with our name: never touched, the attempt fails with the reason
    const foreignName = containerName(run, 't', 2);
    const foreign = await engine!.docker.createContainer({
      name: foreignName,
      Image: TEST_IMAGE,
      Cmd: ['true'],
      Labels: { [LABEL.pipeline]: 'dk-conflict', [LABEL.runId]: run.runId }, // not managed-by: foreign
    });
    const outcome = await (await exec.launch(spec(2), ctx)).done;
    expect(outcome).toMatchObject({
      exitCode: null,
      error: `a container named ${foreignName} exists and is not managed by pipewright: refusing to touch it (remove or rename it)`,
    });
    expect((await foreign.inspect()).State.Status).toBe('created');
  });

  it('a missing image is a clear error before anything starts (no pull without --pull)', async () => {
    const plan = planFromSpec(
      'dk-noimage',
      specText('dk-noimage', `  tasks:\n    t: { image: "localhost/pipewright-absent:9", command: ['true'] }\n`),
    );
    await expect(executor().preflight(plan.tasks)).rejects.toThrow(
      `image localhost/pipewright-absent:9 is not present on the engine at ${engine!.endpoint} (pass --pull to pull it)`,
    );
  });

  it('with --pull, an image that cannot be pulled is a clear error naming it', async () => {
    const plan = planFromSpec(
      'dk-pull',
      specText('dk-pull', `  tasks:\n    t: { image: "localhost:1/pipewright-absent:9", command: ['true'] }\n`),
    );
    await expect(executor({ pull: true }).preflight(plan.tasks)).rejects.toThrow(
      /^cannot pull image localhost:1\/pipewright-absent:9: /,
    );
  });

  it('delivers the whole output of containers that exit at once (attached before the start)', async () => {
    const plan = planFromSpec(
      'dk-short',
      specText(
        'dk-short',
        `  defaults: { image: ${IMAGE} }
  tasks:
    e1: { command: [echo, hi] }
    e2: { command: [echo, hi] }
    e3: { command: [echo, hi] }
    e4: { command: [echo, hi] }
    nonl: { command: [printf, 'no newline'] }
    err: { command: [sh, -c, 'echo oops >&2; exit 2'] }
    quiet: { command: ['true'] }
`,
      ),
    );
    const { state, reporter } = await runDocker(plan, { concurrency: 4 });
    for (const id of ['e1', 'e2', 'e3', 'e4']) {
      expect(state.tasks[id]!.status).toBe('succeeded');
      expect(reporter.of(id, 'stdout')).toEqual(['hi']);
      expect(reporter.of(id, 'stderr')).toEqual([]);
    }
    expect(reporter.of('nonl', 'stdout')).toEqual(['no newline']);
    expect(reporter.of('err', 'stderr')).toEqual(['oops']);
    expect(reporter.of('err', 'stdout')).toEqual([]);
    expect(state.tasks.err!.exitCode).toBe(2);
    expect(state.tasks.quiet!.status).toBe('succeeded');
    expect(reporter.of('quiet')).toEqual([]);
  });

  it('keeps the order of the lines of each stream when stdout and stderr are written alternately', async () => {
    const plan = planFromSpec(
      'dk-order',
      specText(
        'dk-order',
        `  tasks:
    t: { image: ${IMAGE}, command: [sh, -c, 'i=1; while [ $i -le 300 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done'] }
`,
      ),
    );
    const { state, reporter } = await runDocker(plan);
    expect(state.status).toBe('succeeded');
    const n = Array.from({ length: 300 }, (_, i) => i + 1);
    expect(reporter.of('t', 'stdout')).toEqual(n.map((i) => `out ${i}`));
    expect(reporter.of('t', 'stderr')).toEqual(n.map((i) => `err ${i}`));
  });

  it('delivers every line of a large output written just before the exit', async () => {
    // podman's log endpoint lost the end of such an output in 1 of 5 probes (bench/attach-probe.mjs); attach did not
    const plan = planFromSpec(
      'dk-large',
      specText(
        'dk-large',
        `  tasks:
    t: { image: ${IMAGE}, command: [sh, -c, 'i=0; while [ $i -lt 20000 ]; do echo "line $i of a large output"; i=$((i+1)); done'] }
`,
      ),
    );
    const { state, reporter } = await runDocker(plan);
    expect(state.status).toBe('succeeded');
    const lines = reporter.of('t', 'stdout');
    expect(lines).toHaveLength(20000);
    expect(lines.every((line, i) => line === `line ${i} of a large output`)).toBe(true);
  });

  it('masks a secret in the attached output of a container that exits at once, on both streams', async () => {
    const plan = planFromSpec(
      'dk-mask',
      specText(
        'dk-mask',
        `  defaults: { image: ${IMAGE} }
  tasks:
    out: { secrets: { PW: { ref: db/pw } }, command: [sh, -c, 'printf %s "$PW"'] }
    err: { secrets: { PW: { ref: db/pw } }, command: [sh, -c, 'echo "pw=$PW" >&2'] }
`,
      ),
    );
    const secret = 'Hunter2Prod!';
    const { state, reporter } = await runDocker(plan, {
      secrets: new Map([
        ['out', { PW: secret }],
        ['err', { PW: secret }],
      ]),
    });
    expect(state.status).toBe('succeeded');
    expect(reporter.of('out', 'stdout')).toEqual(['***']);
    expect(reporter.of('err', 'stderr')).toEqual(['pw=***']);
    expect(reporter.lines.join('\n')).not.toContain('Hunter2');
  });

  it('the ledger of a docker run verifies', async () => {
    const plan = planFromSpec(
      'dk-ledger',
      specText('dk-ledger', `  tasks:\n    t: { image: ${IMAGE}, command: ['true'] }\n`),
    );
    await runDocker(plan);
    expect(verifyLedger(join(dir, 'ledger.jsonl'))).toMatchObject({ ok: true, records: 3 });
  });
});
