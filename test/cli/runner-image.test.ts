/** pipewright.yaml `kubernetes.runnerImage`: the CronJob runs that image; compile, check and watch agree. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startWatch } from '../../src/watch/watch.js';
import { runCliCapture } from '../helpers/cli.js';
import { pipelineSpec, project, removeProjects } from './compile-support.js';

afterAll(removeProjects);

const CONFIG =
  'apiVersion: pipewright.dev/v1\nkind: Project\nkubernetes:\n  runnerImage: registry.example.com/data/pipewright:0.1.0\n';

describe('kubernetes.runnerImage', () => {
  it('is the CronJob image; check agrees, and changing it makes generated/ stale', async () => {
    const cwd = await project({
      'pipewright.yaml': CONFIG,
      'pipelines/p.yaml': pipelineSpec('p', { schedule: '0 5 * * *' }),
    });
    expect((await runCliCapture(['compile'], { cwd })).code).toBe(0);
    const k8s = await readFile(join(cwd, 'generated/k8s/p.yaml'), 'utf8');
    expect(k8s).toContain('image: registry.example.com/data/pipewright:0.1.0');
    expect((await runCliCapture(['check'], { cwd })).code).toBe(0);
    await writeFile(join(cwd, 'pipewright.yaml'), CONFIG.replace('0.1.0', '0.2.0'));
    const stale = await runCliCapture(['check'], { cwd });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('stale    generated/k8s/p.yaml');
  });

  it('defaults to localhost/pipewright:<version> and is refused when it is not an image reference', async () => {
    const cwd = await project({ 'pipelines/p.yaml': pipelineSpec('p', { schedule: '0 5 * * *' }) });
    expect((await runCliCapture(['compile'], { cwd })).code).toBe(0);
    expect(await readFile(join(cwd, 'generated/k8s/p.yaml'), 'utf8')).toContain('image: localhost/pipewright:0.1.0');
    const bad = await project({
      'pipewright.yaml': CONFIG.replace('registry.example.com', 'has space'),
      'pipelines/p.yaml': pipelineSpec('p'),
    });
    expect((await runCliCapture(['compile'], { cwd: bad })).code).not.toBe(0);
  });

  it('watch writes the same image as compile', async () => {
    const cwd = await project({
      'pipewright.yaml': CONFIG,
      'pipelines/p.yaml': pipelineSpec('p', { schedule: '0 5 * * *' }),
    });
    const loaded = loadConfig('pipewright.yaml', CONFIG);
    expect(loaded.diagnostics).toEqual([]);
    const session = startWatch({ cwd, config: loaded.config!, usePolling: true });
    await session.ready;
    await session.close();
    expect(await readFile(join(cwd, 'generated/k8s/p.yaml'), 'utf8')).toContain(
      'image: registry.example.com/data/pipewright:0.1.0',
    );
    expect((await runCliCapture(['check'], { cwd })).code).toBe(0);
  });
});
