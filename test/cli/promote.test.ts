/**
 * `pipewright promote`: pipewright.yaml rewritten so the target environment runs what the source runs, only the
 * changed values' bytes differ (comments, odd indentation, flow maps, quotes kept), a no-op says so, bad names are
 * usage errors, links are refused, and the result compiles to what the source environment runs.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyYamlEdit } from '../../src/config/yaml-edit.js';
import { runCliCapture } from '../helpers/cli.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'environments', 'three');
const ORDERS = readFileSync(join(FIXTURE, 'pipelines', 'orders.yaml'), 'utf8');
const REFUNDS = readFileSync(join(FIXTURE, 'pipelines', 'refunds.yaml'), 'utf8');

// Odd on purpose: a comment on every level, 4-space and 3-space indentation, flow maps, single quotes, CRLF-free
// trailing spaces, no final newline.
const CONFIG = `apiVersion: pipewright.dev/v1   # the config language
kind: Project

# environments, oldest first
environments:
    dev:                               # everything small
       namespace: pipelines-dev
       pipelines:
          orders:
             overrides: {imageTag: '1.4.0-rc.1',   schedule: "*/30 * * * *"}   # try the next one
    staging:
      namespace: pipelines-staging
      pipelines:
        orders:
          overrides:
            # renovate: image=ghcr.io/acme/orders-etl
            imageTag: "1.3.0"     # passed dev on Monday
          tasks:
            load: { env: { BATCH_SIZE: "500" }, timeout: 45m }


    # prod: what staging ran last week
    prod:
      extends: staging
      namespace: pipelines-prod
      pipelines:
        orders:
          overrides:
            imageTag: '1.2.4'   # pinned until the review
            timezone: Europe/Berlin
        refunds:
          overrides: { enabled: false }   # not live yet`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(config = CONFIG): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-promote-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(join(dir, 'pipelines', 'orders.yaml'), ORDERS);
  writeFileSync(join(dir, 'pipelines', 'refunds.yaml'), REFUNDS);
  writeFileSync(join(dir, 'pipewright.yaml'), config);
  return dir;
}

const read = (dir: string) => readFileSync(join(dir, 'pipewright.yaml'), 'utf8');

describe('pipewright promote', () => {
  it('changes only the target override of the image, keeping every other byte', async () => {
    const dir = project();
    const r = await runCliCapture(['promote', 'orders', '--from', 'staging', '--to', 'prod'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(read(dir)).toBe(CONFIG.replace("imageTag: '1.2.4'   # pinned", "imageTag: '1.3.0'   # pinned"));
    expect(r.stdout).toBe(`promote orders (image): staging → prod

  pipewright.yaml:29:23: environments.prod.pipelines.orders.overrides.imageTag: 1.2.4 → 1.3.0

prod now runs for orders:
  tasks.extract.image: ghcr.io/acme/orders-etl:1.2.4 → ghcr.io/acme/orders-etl:1.3.0
  tasks.load.image: ghcr.io/acme/orders-etl:1.2.4 → ghcr.io/acme/orders-etl:1.3.0

wrote pipewright.yaml; review with \`git diff\` and \`pipewright diff --env staging --env prod\`, then \`pipewright compile\`
`);
    // promoted: the two environments now run the same images, and the project compiles
    const again = await runCliCapture(['promote', 'orders', '--from', 'staging', '--to', 'prod'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      'prod already runs what staging runs for orders (image): nothing to promote, pipewright.yaml unchanged\n',
    );
    expect(read(dir)).toBe(CONFIG.replace("imageTag: '1.2.4'   # pinned", "imageTag: '1.3.0'   # pinned"));
    expect((await runCliCapture(['compile', '--no-cache'], { cwd: dir })).code).toBe(0);
    const prod = readFileSync(join(dir, 'generated', 'prod', 'k8s', 'orders.yaml'), 'utf8');
    expect(prod).toContain('ghcr.io/acme/orders-etl:1.3.0');
    expect(prod).not.toContain('ghcr.io/acme/orders-etl:1.2.4');
  });

  it('adds overrides where the target has none: into a flow map, a block map, and new task sections', async () => {
    const dir = project();
    const r = await runCliCapture(
      ['promote', 'orders', '--from', 'dev', '--to', 'staging', '--field', 'image', '--field', 'schedule'],
      { cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(read(dir)).toBe(
      CONFIG.replace('imageTag: "1.3.0"     # passed', 'imageTag: "1.4.0-rc.1"     # passed').replace(
        '            imageTag: "1.4.0-rc.1"     # passed dev on Monday\n',
        '            imageTag: "1.4.0-rc.1"     # passed dev on Monday\n            schedule: "*/30 * * * *"\n',
      ),
    );
    expect(r.stdout).toContain(
      'pipewright.yaml:18:13: added environments.staging.pipelines.orders.overrides.schedule: */30 * * * *',
    );
    expect(r.stdout).toContain('  schedule: 0 5 * * * → */30 * * * *');

    // env and timeout: staging's load task sets them in a flow map, prod has no tasks section of its own
    const env = await runCliCapture(
      ['promote', 'orders', '--from', 'staging', '--to', 'dev', '--field', 'env', '--field', 'timeout'],
      { cwd: dir },
    );
    expect(env.stderr).toBe('');
    expect(env.code).toBe(0);
    expect(read(dir)).toContain(
      '             overrides: {imageTag: \'1.4.0-rc.1\',   schedule: "*/30 * * * *"}   # try the next one\n             tasks:\n               load:\n                 env:\n                   BATCH_SIZE: "500"\n                 timeout: 45m\n    staging:\n',
    );
    expect(env.stdout).toContain('  tasks.load.env.BATCH_SIZE: (none) → 500');
    expect(env.stdout).toContain('  tasks.load.timeout: 30m → 45m');
    expect((await runCliCapture(['compile', '--no-cache'], { cwd: dir })).code).toBe(0);
    const again = await runCliCapture(
      ['promote', 'orders', '--from', 'staging', '--to', 'dev', '--field', 'env', '--field', 'timeout'],
      { cwd: dir },
    );
    expect(again.stdout).toContain('nothing to promote');
  });

  it('promotes a feature flag into a flow map and removes nothing it need not', async () => {
    const dir = project();
    const r = await runCliCapture(['promote', 'refunds', '--from', 'staging', '--to', 'prod', '--field', 'enabled'], {
      cwd: dir,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(read(dir)).toBe(CONFIG.replace('overrides: { enabled: false }', 'overrides: { enabled: true }'));
    expect(r.stdout).toContain('  enabled: false → true');
  });

  it('--dry-run prints the change and writes nothing', async () => {
    const dir = project();
    const r = await runCliCapture(['promote', 'orders', '--from', 'staging', '--to', 'prod', '--dry-run'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(dry run: nothing written)');
    expect(r.stdout).toContain('imageTag: 1.2.4 → 1.3.0');
    expect(read(dir)).toBe(CONFIG);
  });

  it('refuses unknown environments, pipelines and fields with exit 2 and leaves the file alone', async () => {
    const dir = project();
    const cases: [string[], string][] = [
      [
        ['promote', 'orders', '--from', 'stagng', '--to', 'prod'],
        "--from: unknown environment 'stagng' (did you mean 'staging'?)",
      ],
      [['promote', 'orders', '--from', 'staging', '--to', 'qa'], "--to: unknown environment 'qa'"],
      [['promote', 'order', '--from', 'staging', '--to', 'prod'], "no pipeline 'order': did you mean 'orders'?"],
      [
        ['promote', 'orders', '--from', 'staging', '--to', 'prod', '--field', 'imag'],
        "'imag' cannot be promoted: did you mean 'image'?",
      ],
      [
        ['promote', 'orders', '--from', 'staging', '--to', 'prod', '--field', 'command'],
        "'command' cannot be promoted",
      ],
      [['promote', 'orders', '--from', 'prod', '--to', 'prod'], 'nothing to promote'],
      [['promote', '--from', 'staging', '--to', 'prod'], 'expected one <pipeline>'],
      [['promote', 'orders', '--to', 'prod'], '--from <env> and --to <env> are required'],
    ];
    for (const [argv, message] of cases) {
      const r = await runCliCapture(argv, { cwd: dir });
      expect(r.stderr, argv.join(' ')).toContain(message);
      expect(r.code, argv.join(' ')).toBe(2);
    }
    expect(read(dir)).toBe(CONFIG);
  });

  it('refuses an invalid starting point at its position (conflicting overrides), writing nothing', async () => {
    const bad = CONFIG.replace(
      "imageTag: '1.2.4'   # pinned until the review",
      "imageTag: '1.2.4'\n            image: ghcr.io/acme/orders-etl:1.2.3",
    );
    const dir = project(bad);
    const r = await runCliCapture(['promote', 'orders', '--from', 'staging', '--to', 'prod'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "pipewright.yaml:29:13: error: conflicting overrides: 'image' and 'imageTag' both set the image here; keep one [PW103]",
    );
    expect(read(dir)).toBe(bad);
  });

  it('never writes through a symbolic link', async () => {
    const dir = project();
    const real = join(dir, 'real.yaml');
    writeFileSync(real, CONFIG);
    rmSync(join(dir, 'pipewright.yaml'));
    symlinkSync(real, join(dir, 'pipewright.yaml'));
    const r = await runCliCapture(['promote', 'orders', '--from', 'staging', '--to', 'prod'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pipewright.yaml is a symbolic link');
    expect(lstatSync(join(dir, 'pipewright.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(CONFIG);
  });
});

describe('applyYamlEdit', () => {
  it('sets, adds and deletes without touching other bytes', () => {
    const src = 'a:   # top\n  b: { x: "1", y: 2 }   # flow\n  c:\n    d: plain # d\n\n# tail\n';
    expect(applyYamlEdit(src, { path: ['a', 'c', 'd'], value: 'yes' })).toBe(src.replace('d: plain', 'd: yes'));
    expect(applyYamlEdit(src, { path: ['a', 'b', 'x'], value: '2' })).toBe(src.replace('x: "1"', 'x: "2"'));
    expect(applyYamlEdit(src, { path: ['a', 'c', 'e'], value: '1.10' })).toBe(
      src.replace('    d: plain # d\n', '    d: plain # d\n    e: "1.10"\n'),
    );
    expect(applyYamlEdit(src, { path: ['a', 'b', 'z', 'w'], value: true })).toBe(
      src.replace('y: 2 }', 'y: 2, z: { w: true } }'),
    );
    expect(applyYamlEdit(src, { path: ['a', 'b', 'y'], delete: true })).toBe(src.replace(', y: 2', ''));
    expect(applyYamlEdit(src, { path: ['a', 'b', 'x'], delete: true })).toBe(src.replace('x: "1", ', ''));
    expect(applyYamlEdit(src, { path: ['a', 'b'], delete: true })).toBe(
      src.replace('  b: { x: "1", y: 2 }   # flow\n', ''),
    );
    expect(() => applyYamlEdit(src, { path: ['a', 'c', 'd'], delete: true })).toThrow(/only entry/);
  });
});
