// Deterministic git history for the history benchmark: an initial commit with `specs` pipelines, then `commits`
// commits each editing one of them (some two), about a third bumping metadata.version. Fixed authors and dates, fed
// through `git fast-import` (one process, seconds for thousands of commits), so the same options give the same SHAs.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRng, generateSpec, specText } from './corpus.mjs';

const AUTHORS = [
  ['Ada Analyst', 'ada@example.com'],
  ['Ben Builder', 'ben@example.com'],
  ['Cleo Curator', 'cleo@example.com'],
  ['Dev Ops', 'devops@example.com'],
];
const START = Date.UTC(2024, 0, 1) / 1000;

function bump(version, kind) {
  const [major, minor, patch] = version.split('.').map(Number);
  return kind === 'minor' ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
}

/** The fast-import stream (a Buffer) of the whole history, plus what it contains. */
export function historyStream({ seed = 7, specs = 100, tasks = 10, commits = 1000 } = {}) {
  const rng = createRng(seed);
  const chunks = [];
  const text = (s) => chunks.push(Buffer.from(s, 'utf8'));
  const data = (s) => {
    const b = Buffer.from(s, 'utf8');
    text(`data ${b.length}\n`);
    chunks.push(b, Buffer.from('\n'));
  };
  const state = [];
  for (let i = 0; i < specs; i++) {
    const spec = generateSpec(seed, i, tasks);
    state.push({ file: `pipelines/${spec.metadata.name}.yaml`, version: spec.metadata.version, revision: 0 });
  }
  const commit = (n, subject, files) => {
    const [name, email] = AUTHORS[n % AUTHORS.length];
    const when = `${START + n * 3600} +0000`;
    text(
      `commit refs/heads/main\nmark :${n + 1}\nauthor ${name} <${email}> ${when}\ncommitter ${name} <${email}> ${when}\n`,
    );
    data(subject);
    if (n > 0) text(`from :${n}\n`);
    for (const [path, content] of files) {
      text(`M 100644 inline ${path}\n`);
      data(content);
    }
    text('\n');
  };

  const render = (i) =>
    specText(generateSpec(seed, i, tasks, { revision: state[i].revision, version: state[i].version }));
  commit(
    0,
    `Add ${specs} pipelines`,
    state.map((s, i) => [s.file, render(i)]),
  );
  let bumps = 0;
  for (let n = 1; n < commits; n++) {
    const touched = [rng.int(0, specs - 1)];
    if (rng.chance(0.1)) touched.push(rng.int(0, specs - 1));
    const files = [];
    const names = [];
    for (const i of [...new Set(touched)]) {
      state[i].revision += 1;
      if (rng.chance(0.33)) {
        state[i].version = bump(state[i].version, rng.chance(0.2) ? 'minor' : 'patch');
        bumps++;
      }
      files.push([state[i].file, render(i)]);
      names.push(state[i].file.replace(/^pipelines\/|\.yaml$/g, ''));
    }
    commit(n, `Tune ${names.join(', ')} (change ${n})`, files);
  }
  return { stream: Buffer.concat(chunks), files: state.map((s) => s.file), bumps };
}

function git(cwd, args, input) {
  const r = spawnSync('git', args, { cwd, input, encoding: 'buffer', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

/** Creates the repository in `dir` (must not exist or be empty) and checks out main. */
export function createHistoryRepo(dir, options) {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Bench']);
  git(dir, ['config', 'user.email', 'bench@example.com']);
  const { stream, files, bumps } = historyStream(options);
  git(dir, ['fast-import', '--quiet', '--done'], Buffer.concat([stream, Buffer.from('done\n')]));
  git(dir, ['checkout', '-q', '-f', 'main']);
  const root = git(dir, ['rev-list', '--max-parents=0', 'HEAD']);
  const head = git(dir, ['rev-parse', 'HEAD']);
  const count = Number(git(dir, ['rev-list', '--count', 'HEAD']));
  return { dir, root, head, commits: count, files, bumps };
}
