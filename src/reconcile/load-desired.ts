/**
 * The desired state as committed (I/O): generated/k8s/*.yaml, refused when it is not exactly what compile writes for
 * the specs today (the `check` comparison restricted to the Kubernetes files, as `run` does for its artifact).
 */
import type { ProjectConfig } from '../config/types.js';
import { compareOutputs } from '../emit/check.js';
import { compileProject, type ProjectOptions, readOutputs } from '../emit/project.js';
import { formatDiagnosticLines } from '../emit/report.js';
import { readManifest } from '../emit/write.js';
import { desiredFromFiles } from './desired.js';
import type { DesiredObject } from './plan.js';

export class StaleDesiredError extends Error {
  override name = 'StaleDesiredError';
}

export interface LoadDesiredOptions {
  cwd: string;
  out: string;
  specPaths: readonly string[];
  /** The project configuration (its settings change what compile writes, e.g. the runner image). */
  config?: ProjectConfig;
  /** pipewright.yaml's positions and the environment whose tree (generated/<env>/k8s) is the desired state. */
  project?: Pick<ProjectOptions, 'configSource' | 'environment'>;
  /** The namespace the objects are applied to (an environment's files name it on every object). */
  namespace?: string;
}

export async function loadDesired(options: LoadDesiredOptions): Promise<{ desired: DesiredObject[]; files: string[] }> {
  const project = await compileProject({
    paths: options.specPaths,
    cwd: options.cwd,
    out: options.out,
    targets: ['k8s'],
    ...(options.config ? { config: options.config } : {}),
    ...options.project,
  });
  const errors = project.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new StaleDesiredError(
      `the specs have ${errors.length} error${errors.length === 1 ? '' : 's'}; fix them first:\n${formatDiagnosticLines(errors).trimEnd()}`,
    );
  }
  const expected = new Map([...project.files].filter(([path]) => path.startsWith('k8s/')));
  const manifest = await readManifest(project.out.abs, project.out.display);
  const owned = Object.keys(manifest?.files ?? {}).filter((p) => p.startsWith('k8s/'));
  // never through a link (a link's target is not what was reviewed; /dev/zero would never end): as check reads
  const actual = await readOutputs(project.out, [...expected.keys(), ...owned]);
  const report = compareOutputs({ expected, actual, owned });
  if (!report.ok) {
    const list = [
      ...report.stale.map((p) => `stale    ${project.out.display}/${p}`),
      ...report.missing.map((p) => `missing  ${project.out.display}/${p}`),
      ...report.extra.map((p) => `extra    ${project.out.display}/${p}`),
    ];
    throw new StaleDesiredError(
      `${project.out.display}/k8s is not what \`pipewright compile\` writes for the specs now:\n  ${list.join('\n  ')}\nrun \`pipewright compile\` (and commit) first`,
    );
  }
  const files = [...expected.keys()].sort();
  return {
    desired: desiredFromFiles(
      files.map((path) => ({ path: `${project.out.display}/${path}`, text: actual.get(path)! })),
      options.namespace,
    ),
    files: files.map((p) => `${project.out.display}/${p}`),
  };
}
