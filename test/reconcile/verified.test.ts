import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/reconcile/object.js';
import { stillVerified, VERIFIED_DIR, VerifiedRecords, verifiedOf } from '../../src/reconcile/verified.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-verified-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const scope = { server: 'https://127.0.0.1:6443', namespace: 'ns', inventory: 'pipewright-inventory' };
const live = (resourceVersion: string, uid = 'u-1'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'p-plan', uid, resourceVersion },
});

describe('VerifiedRecords', () => {
  it('keeps what was verified across runs; another write, object or desired hash is not verified', async () => {
    const cwd = await tempDir();
    const env = { HOME: await tempDir() };
    const first = await VerifiedRecords.open({ cwd, env, ...scope });
    first!.set('core/ConfigMap/ns/p-plan', verifiedOf(live('10'), 'h1'));
    await first!.save();
    const second = await VerifiedRecords.open({ cwd, env, ...scope });
    const record = second!.get('core/ConfigMap/ns/p-plan');
    expect(stillVerified(record, live('10'), 'h1')).toBe(true);
    expect(stillVerified(record, live('11'), 'h1')).toBe(false);
    expect(stillVerified(record, live('10', 'u-2'), 'h1')).toBe(false);
    expect(stillVerified(record, live('10'), 'h2')).toBe(false);
    // another namespace (or cluster, or inventory) has its own records
    expect(
      (await VerifiedRecords.open({ cwd, env, ...scope, namespace: 'other' }))!.get('core/ConfigMap/ns/p-plan'),
    ).toBe(undefined);
  });

  it('ignores an edited or foreign record file (MAC): nothing is verified then', async () => {
    const cwd = await tempDir();
    const env = { HOME: await tempDir() };
    const records = await VerifiedRecords.open({ cwd, env, ...scope });
    records!.set('core/ConfigMap/ns/p-plan', verifiedOf(live('10'), 'h1'));
    await records!.save();
    const dir = join(cwd, VERIFIED_DIR);
    const [file] = await readdir(dir);
    const text = await readFile(join(dir, file!), 'utf8');
    await writeFile(join(dir, file!), text.replace('"10"', '"11"'));
    const forged = await VerifiedRecords.open({ cwd, env, ...scope });
    expect(forged!.get('core/ConfigMap/ns/p-plan')).toBeUndefined();
    // the directory as committed by someone else (another machine key)
    const other = await VerifiedRecords.open({ cwd, env: { HOME: await tempDir() }, ...scope });
    expect(other!.get('core/ConfigMap/ns/p-plan')).toBeUndefined();
    expect(await VerifiedRecords.open({ cwd, env: {}, ...scope })).toBeUndefined();
  });
});
