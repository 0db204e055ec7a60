import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const created: string[] = [];

/** Remove every project() directory (call from afterAll). */
export async function removeProjects(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A throwaway project directory with pipelines/*.yaml, for compile/check/graph CLI tests. */
export async function project(specs: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-cli-'));
  created.push(dir);
  for (const [path, text] of Object.entries(specs)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

export async function files(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await files(dir, rel));
    else out[rel] = await readFile(join(dir, rel), 'utf8');
  }
  return out;
}

export function pipelineSpec(
  name: string,
  options: { schedule?: string; extraTask?: boolean; check?: boolean } = {},
): string {
  return [
    'apiVersion: pipewright.dev/v1',
    'kind: Pipeline',
    'metadata:',
    `  name: ${name}`,
    '  version: 1.0.0',
    '  owner: data',
    'spec:',
    ...(options.schedule ? [`  schedule: "${options.schedule}"`] : []),
    '  defaults:',
    '    image: alpine:3.20',
    '  tasks:',
    '    extract:',
    '      command: [echo, "{{ ds }}"]',
    '    load:',
    `      ${options.check ? 'type: check' : 'retries: 1'}`,
    '      needs: [extract]',
    '      command: [echo, load]',
    ...(options.extraTask ? ['    report:', '      needs: [load]', '      command: [echo, report]'] : []),
    '',
  ].join('\n');
}
