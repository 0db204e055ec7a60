import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSources } from '../../../src/emit/compile.js';
import type { TargetName } from '../../../src/targets/target.js';

export const FIXTURES_ROOT = 'test/fixtures/compile';

/** Every compile fixture case (any owner). */
export function compileCases(): string[] {
  try {
    return readdirSync(FIXTURES_ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** The cases owned by the Kubernetes/GitLab targets. */
export function k8sGitlabCases(): string[] {
  return compileCases().filter((name) => name.startsWith('k8s-gitlab-'));
}

/** Spec inputs of a directory of `*.yaml` files, with display paths `<prefix>/<file>`. */
export function specInputs(dir: string, prefix = 'pipelines'): { file: string; source: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'));
  } catch {
    return [];
  }
  return names.sort().map((file) => ({ file: `${prefix}/${file}`, source: readFileSync(join(dir, file), 'utf8') }));
}

/** A case's specs live in `spec/` (the all-target cases) or `pipelines/` (the Kubernetes/GitLab cases). */
export function compileCase(name: string, targets: readonly TargetName[]) {
  const dir = existsSync(join(FIXTURES_ROOT, name, 'spec')) ? 'spec' : 'pipelines';
  return compileSources(specInputs(join(FIXTURES_ROOT, name, dir), dir), { targets, outDir: 'generated' });
}
