import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datasetId, datasetUriProblem } from '../../src/observe/lineage/naming.js';
import { runCliCapture } from '../helpers/cli.js';
import { makeProject, specText } from '../runtime/support.js';
import { openLineageProblems } from './openlineage-schema.js';
import { freePort } from './promtool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-obs-ol-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) =>
  runCliCapture(['run', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, PIPEWRIGHT_ACTOR: 'tester', ...env },
  });

const GATED = specText(
  'gated',
  `  defaults: { image: "localhost/pipewright-test:1" }
  tasks:
    extract:
      command: [sh, -c, 'exit 0']
      inputs: ["postgres://db.internal:5432/shop.public.orders"]
      outputs: ["s3://lake/raw/orders/{{ ds }}"]
    gate:
      type: check
      needs: [extract]
      command: [sh, -c, 'test -e pass']
      inputs: ["s3://lake/raw/orders/{{ ds }}"]
    publish:
      needs: [gate]
      command: [sh, -c, 'exit 0']
      outputs: ["warehouse://analytics.orders"]
`,
);

type Event = {
  eventType: string;
  run: { runId: string; facets: Record<string, Record<string, unknown>> };
  job: { namespace: string; name: string; facets: Record<string, Record<string, unknown>> };
  inputs: { namespace: string; name: string }[];
  outputs: { namespace: string; name: string }[];
};
const readEvents = (file: string): Event[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('OpenLineage events of pipewright run', () => {
  it('file transport: START and COMPLETE/FAIL per task and per run, valid against the official schema, stable ids on resume', async () => {
    makeProject({ gated: GATED }, dir);
    const env = { OPENLINEAGE__TRANSPORT__TYPE: 'file', OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: 'lineage/events.jsonl' };
    const first = await run(['gated', '--date', '2024-01-15'], env);
    expect(first.code).toBe(1);
    expect(first.stderr).toBe('');
    const events = readEvents(join(dir, 'lineage', 'events.jsonl'));
    for (const e of events) expect(openLineageProblems(e), JSON.stringify(e)).toEqual([]);
    expect(events.map((e) => `${e.job.name}:${e.eventType}`)).toEqual([
      'gated:START',
      'gated.extract:START',
      'gated.extract:COMPLETE',
      'gated.gate:START',
      'gated.gate:FAIL',
      'gated:FAIL',
    ]);
    const [runStart, extractStart, , , gateFail, runFail] = events as [Event, Event, Event, Event, Event, Event];
    expect(runStart.run.runId).toMatch(UUID);
    expect(runFail.run.runId).toBe(runStart.run.runId);
    expect(extractStart.run.runId).not.toBe(runStart.run.runId);
    expect(extractStart.run.facets.parent).toMatchObject({
      run: { runId: runStart.run.runId },
      job: { namespace: 'pipewright', name: 'gated' },
    });
    expect(runStart.run.facets.parent).toBeUndefined();
    expect(extractStart.run.facets.nominalTime).toMatchObject({ nominalStartTime: '2024-01-15T00:00:00.000Z' });
    expect(extractStart.job.facets.sourceCodeLocation).toMatchObject({ type: 'git', path: 'pipelines/gated.yaml' });
    expect(extractStart.inputs).toEqual([{ namespace: 'postgres://db.internal:5432', name: 'shop.public.orders' }]);
    expect(extractStart.outputs).toEqual([{ namespace: 's3://lake', name: 'raw/orders/2024-01-15' }]);
    expect(gateFail.run.facets.errorMessage).toMatchObject({ message: 'task gate failed after 1 attempt(s): exit 1' });
    expect(runFail.run.facets.errorMessage).toMatchObject({ message: 'tasks not succeeded: gate, publish' });
    expect(runFail.outputs).toEqual([
      { namespace: 's3://lake', name: 'raw/orders/2024-01-15' },
      { namespace: 'warehouse', name: 'analytics.orders' },
    ]);

    // Resume: the same pipewright run continues under the same OpenLineage runIds.
    writeFileSync(join(dir, 'pass'), '');
    const runId = /run (\d{8}-[0-9a-f]{8}) failed/.exec(first.stdout)![1]!;
    const resumed = await run(['gated', '--resume', runId], env);
    expect(resumed.code).toBe(0);
    const later = readEvents(join(dir, 'lineage', 'events.jsonl')).slice(events.length);
    for (const e of later) expect(openLineageProblems(e)).toEqual([]);
    expect(later.map((e) => `${e.job.name}:${e.eventType}`)).toEqual([
      'gated:START',
      'gated.gate:START',
      'gated.gate:COMPLETE',
      'gated.publish:START',
      'gated.publish:COMPLETE',
      'gated:COMPLETE',
    ]);
    expect(later[0]!.run.runId).toBe(runStart.run.runId);
    expect(later[1]!.run.runId).toBe(gateFail.run.runId);
  });

  it('the schema check itself rejects a malformed event', () => {
    expect(openLineageProblems({ eventType: 'START' }).length).toBeGreaterThan(0);
    expect(
      openLineageProblems({
        eventType: 'START',
        eventTime: '2024-01-01T00:00:00Z',
        producer: 'https://pipewright.dev/pipewright/0.1.0',
        schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        run: {
          runId: '6f1b8a52-c3e0-4f0e-9a7d-2b4c5e6f7a81',
          facets: { nominalTime: { _producer: 'https://x', _schemaURL: 'https://y', nominalStartTime: 'yesterday' } },
        },
        job: { namespace: 'pipewright', name: 'x' },
      }),
    ).toEqual(['nominalTime/nominalTime/nominalStartTime must match format "date-time"']);
  });

  it('console transport writes one JSON event per line on stderr', async () => {
    makeProject({ gated: GATED }, dir);
    writeFileSync(join(dir, 'pass'), '');
    const r = await run(['gated', '--date', '2024-01-15'], { OPENLINEAGE__TRANSPORT__TYPE: 'console' });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(openLineageProblems(JSON.parse(line))).toEqual([]);
  });

  it('the project config selects the transport; a bad transport type is a usage error', async () => {
    makeProject({ gated: GATED }, dir);
    writeFileSync(join(dir, 'pass'), '');
    writeFileSync(
      join(dir, 'pipewright.yaml'),
      'apiVersion: pipewright.dev/v1\nkind: Project\nlineage:\n  namespace: acme\n  transport:\n    type: file\n    logFilePath: out/ol.jsonl\n',
    );
    const r = await run(['gated', '--date', '2024-01-15']);
    expect(r.code).toBe(0);
    const events = readEvents(join(dir, 'out', 'ol.jsonl'));
    expect(events).toHaveLength(8);
    expect(new Set(events.map((e) => e.job.namespace))).toEqual(new Set(['acme']));
    const bad = await run(['gated', '--date', '2024-01-16'], { OPENLINEAGE__TRANSPORT__TYPE: 'kafka' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("lineage: transport type 'kafka' is not one of console, file, http");
  });
});

describe('OpenLineage HTTP transport against a local receiver', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
  });

  async function receiver(answer: (n: number) => number) {
    const got: { path: string; auth: string | undefined; body: Event }[] = [];
    let n = 0;
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const status = answer(n++);
        if (status === 200) got.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { got, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
  }

  it('POSTs every event to /api/v1/lineage with the bearer token, retrying a 503 with back-off', async () => {
    makeProject({ gated: GATED }, dir);
    writeFileSync(join(dir, 'pass'), '');
    // The first two requests fail with 503: the first event is delivered on its third attempt.
    const { got, url } = await receiver((n) => (n < 2 ? 503 : 200));
    const r = await run(['gated', '--date', '2024-01-15'], {
      OPENLINEAGE_URL: url,
      OPENLINEAGE_API_KEY: 'sk-test-123',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(got).toHaveLength(8);
    expect(new Set(got.map((g) => g.path))).toEqual(new Set(['/api/v1/lineage']));
    expect(new Set(got.map((g) => g.auth))).toEqual(new Set(['Bearer sk-test-123']));
    expect(got.map((g) => `${g.body.job.name}:${g.body.eventType}`)[0]).toBe('gated:START');
    for (const g of got) expect(openLineageProblems(g.body)).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain('sk-test-123');
  });

  it('an endpoint that is down never fails the run and is reported once, in bounded time', async () => {
    makeProject({ gated: GATED }, dir);
    writeFileSync(join(dir, 'pass'), '');
    const port = await freePort();
    const started = Date.now();
    const r = await run(['gated', '--date', '2024-01-15'], {
      OPENLINEAGE_URL: `http://127.0.0.1:${port}`,
      OPENLINEAGE_API_KEY: 'sk-test-456',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run \d{8}-[0-9a-f]{8} succeeded/);
    expect(r.stderr).toMatch(
      new RegExp(
        `^pipewright: warning: lineage: 8 lineage events not delivered to http://127\\.0\\.0\\.1:${port}/api/v1/lineage \\(START gated: ECONNREFUSED; .*\\); the run's result is unchanged\\n$`,
      ),
    );
    expect(r.stderr).not.toContain('sk-test-456');
    expect(Date.now() - started).toBeLessThan(40_000);
  });

  it('an endpoint that answers 400 is not retried', async () => {
    makeProject({ gated: GATED }, dir);
    writeFileSync(join(dir, 'pass'), '');
    const { url } = await receiver(() => 400);
    let requests = 0;
    server!.on('request', () => requests++);
    const r = await run(['gated', '--date', '2024-01-15'], { OPENLINEAGE_URL: url });
    expect(r.code).toBe(0);
    expect(requests).toBe(8);
    expect(r.stderr).toContain('8 lineage events not delivered');
    expect(r.stderr).toContain('HTTP 400');
  });
});

describe('dataset naming (OpenLineage conventions)', () => {
  it.each([
    ['s3://bucket/path/to/key', 's3://bucket', 'path/to/key'],
    ['postgres://host:5432/db.schema.table', 'postgres://host:5432', 'db.schema.table'],
    ['warehouse://analytics.fct_orders', 'warehouse', 'analytics.fct_orders'],
    ['warehouse://staging/orders_raw/ds=2024-01-15', 'warehouse://staging', 'orders_raw/ds=2024-01-15'],
    ['file:///data/in.csv', 'file', '/data/in.csv'],
    ['file://pipelines/demo/data/orders.csv', 'file', 'pipelines/demo/data/orders.csv'],
  ])('%s → %s + %s', (uri, namespace, name) => {
    expect(datasetUriProblem(uri)).toBeUndefined();
    expect(datasetId(uri)).toEqual({ namespace, name });
  });

  it.each([
    ['orders table', 'contains whitespace'],
    ['s3:bucket/key', 'expected scheme://authority/path (missing //)'],
    [
      'just-a-name',
      'expected a URI scheme://authority/path, such as s3://bucket/path or postgres://host:5432/db.schema.table',
    ],
    ['s3:///key', 'no authority after s3://'],
  ])('%s is refused: %s', (uri, why) => {
    expect(datasetUriProblem(uri)).toBe(why);
  });
});
