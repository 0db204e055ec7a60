// Engine probe (a diagnostic, not part of `npm run bench`'s table): how each way of reading a short-lived container's
// output behaves on the engine. For every case: create the container, attach `wait`, then either attach to its output
// before the start (POST /containers/{id}/attach?stream=1&stdout=1&stderr=1, as a plain request or a hijacked one) or
// follow its log after the start (GET /containers/{id}/logs?follow=1), start it, and record when the output stream
// ended relative to the moment `wait` answered, and whether the bytes received per stream are exactly what the command
// wrote (with a TTY, stdout and stderr are one stream and \n comes back as \r\n).
// Usage: node bench/attach-probe.mjs [rounds=5] [tty|notty|both=both]; DOCKER_HOST from scripts/engine-up.sh.
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';

const host = process.env.DOCKER_HOST ?? 'unix:///run/pipewright/podman.sock';
const docker = new Docker({ socketPath: host.replace(/^unix:\/\//, '') });
const IMAGE = 'localhost/pipewright-test:1';
const rounds = Number(process.argv[2] ?? 5);
const ttys = { tty: [true], notty: [false], both: [false, true] }[process.argv[3] ?? 'both'];

const BIG_LINES = 20000;
const bigLine = (i) => `line ${i} of the big output ............................`;
const CASES = [
  { name: 'true', cmd: ['true'], out: '', err: '' },
  { name: 'echo hi', cmd: ['echo', 'hi'], out: 'hi\n', err: '' },
  { name: 'printf (no newline)', cmd: ['printf', 'x'], out: 'x', err: '' },
  {
    name: 'interleaved 5+5',
    cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done'],
    out: 'out1\nout2\nout3\nout4\nout5\n',
    err: 'err1\nerr2\nerr3\nerr4\nerr5\n',
    tty: 'out1\nerr1\nout2\nerr2\nout3\nerr3\nout4\nerr4\nout5\nerr5\n',
  },
  {
    name: 'big 1.1 MB',
    cmd: [
      'sh',
      '-c',
      `i=0; while [ $i -lt ${BIG_LINES} ]; do echo "line $i of the big output ............................"; i=$((i+1)); done`,
    ],
    out: Array.from({ length: BIG_LINES }, (_, i) => `${bigLine(i)}\n`).join(''),
    err: '',
  },
  { name: 'sleep 0.3; echo', cmd: ['sh', '-c', 'sleep 0.3; echo late'], out: 'late\n', err: '' },
];

function collect(stream, tty) {
  const out = [];
  const err = [];
  if (tty) stream.on('data', (d) => out.push(d));
  else {
    const o = new PassThrough();
    const e = new PassThrough();
    o.on('data', (d) => out.push(d));
    e.on('data', (d) => err.push(d));
    docker.modem.demuxStream(stream, o, e);
  }
  // listeners at once: a stream can end before `start` answers
  const ended = new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', resolve);
  });
  return { ended, text: () => [Buffer.concat(out).toString(), Buffer.concat(err).toString()] };
}

async function once(c, mode, tty) {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const container = await docker.createContainer({ Image: IMAGE, Cmd: c.cmd, Tty: tty, HostConfig: {} });
  const waited = container.wait({ condition: 'next-exit' }).then(() => ms());
  let col;
  if (mode !== 'logs') {
    // `_query` only: dockerode would otherwise also send its options as a JSON request body
    const query = { _query: { stream: true, stdout: true, stderr: true }, _body: {} };
    col = collect(await container.attach(mode === 'attach-hijack' ? { ...query, hijack: true } : query), tty);
  }
  await container.start();
  if (mode === 'logs') col = collect(await container.logs({ follow: true, stdout: true, stderr: true }), tty);
  const ended = col.ended.then(() => ms());
  const [exitAt, endAt] = await Promise.all([waited, ended]);
  const [out, err] = col.text();
  await container.remove({ force: true });
  const want = tty ? [(c.tty ?? c.out + c.err).replace(/\n/g, '\r\n'), ''] : [c.out, c.err];
  const complete = out === want[0] && err === want[1];
  let why = '';
  if (!complete) {
    why = `got ${out.length}/${err.length} bytes, want ${want[0].length}/${want[1].length}`;
    if (/connection reset by peer/.test(err + out)) why += ', engine error in the stream';
    const extra = out.slice(0, Math.max(0, out.length - want[0].length));
    if (extra && !out.startsWith(want[0].slice(0, 20))) why += `, leading ${JSON.stringify(out.slice(0, 12))}`;
  }
  return { lag: endAt - exitAt, complete, why };
}

console.log(`engine ${host}; ${rounds} rounds per case; lag = output stream end − wait answered (ms)`);
for (const tty of ttys) {
  for (const mode of ['attach', 'attach-hijack', 'logs']) {
    for (const c of CASES) {
      const rows = [];
      for (let r = 0; r < rounds; r++) rows.push(await once(c, mode, tty));
      const lags = rows.map((x) => x.lag).sort((a, b) => a - b);
      const bad = rows.filter((x) => !x.complete);
      console.log(
        `${tty ? 'tty  ' : 'notty'} ${mode.padEnd(13)} ${c.name.padEnd(20)} lag ${lags.join(' ').padEnd(28)} ` +
          `incomplete ${bad.length}/${rounds}${bad.length ? ` (${[...new Set(bad.map((b) => b.why))].join('; ')})` : ''}`,
      );
    }
  }
}
