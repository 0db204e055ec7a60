/**
 * Which plan a run executes: the committed Compose artifact, after checking that it is exactly what compile would
 * write for this pipeline today (the `check` comparison, for one file), or with `--compile` the artifact compiled in
 * memory from the spec as it is now.
 */
import { join } from 'node:path';
import { compareOutputs } from '../emit/check.js';
import { compileProject, type ProjectOptions } from '../emit/project.js';
import { formatDiagnosticLines } from '../emit/report.js';
import { LinkRefused, readTextNoFollow, refuseLinks } from '../spec/no-follow.js';
import { planFromComposeText, type RunPlan } from './plan.js';

export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

export interface LoadArtifactOptions {
  pipeline: string;
  /** Repository root. */
  cwd: string;
  /** Output directory (default generated). */
  out: string;
  /** Spec files or directories (default pipelines). */
  specPaths: readonly string[];
  /** Run the spec as it is now, compiled in memory, instead of the committed artifact. */
  compile: boolean;
  /** The project configuration and the environment to run in (generated/<env>/compose/…). */
  project?: Pick<ProjectOptions, 'config' | 'configSource' | 'environment'>;
}

export interface LoadedArtifact {
  plan: RunPlan;
  /** `generated/compose/<p>.compose.yaml`, or a note that it was compiled in memory. */
  artifact: string;
}

export async function loadRunArtifact(options: LoadArtifactOptions): Promise<LoadedArtifact> {
  const project = await compileProject({
    paths: options.specPaths,
    cwd: options.cwd,
    out: options.out,
    targets: ['compose'],
    ...options.project,
  });
  const unit = project.units.find((u) => u.pipeline === options.pipeline);
  if (!unit) {
    const known = project.units.flatMap((u) => (u.pipeline ? [u.pipeline] : [])).sort();
    throw new ArtifactError(
      `no spec under ${options.specPaths.join(', ')} defines pipeline '${options.pipeline}'${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    );
  }
  const errors = [...unit.diagnostics, ...project.diagnostics.filter((d) => d.file === unit.file)].filter(
    (d) => d.severity === 'error',
  );
  if (errors.length > 0) {
    throw new ArtifactError(
      `${unit.file} has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} first:\n${formatDiagnosticLines(errors).trimEnd()}`,
    );
  }
  const path = `compose/${options.pipeline}.compose.yaml`;
  const expected = unit.outputs.find((o) => o.path === path)?.text;
  if (expected === undefined) throw new Error(`loadRunArtifact: compile produced no ${path}`);
  const display = `${project.out.display}/${path}`;
  if (options.compile) {
    return {
      plan: planFromComposeText(expected, `${display} (compiled in memory)`),
      artifact: `${unit.file} (compiled in memory)`,
    };
  }
  // never through a link: the artifact a run executes must be the file in the output directory itself
  await refuseLinks(project.out.abs, path, project.out.display);
  let actual: string | undefined;
  try {
    actual = await readTextNoFollow(join(project.out.abs, path), display);
  } catch (error) {
    if (error instanceof LinkRefused) throw error;
    actual = undefined;
  }
  // check's comparison, restricted to this pipeline's artifact.
  const report = compareOutputs({
    expected: new Map([[path, expected]]),
    actual: new Map(actual === undefined ? [] : [[path, actual]]),
    owned: [],
  });
  if (report.missing.length > 0) {
    throw new ArtifactError(`${display} does not exist: run \`pipewright compile\` first (or pass --compile)`);
  }
  if (report.stale.length > 0 || actual === undefined) {
    throw new ArtifactError(
      `${display} is stale: it is not what \`pipewright compile\` writes for ${unit.file} now. Run \`pipewright compile\` (and commit), or pass --compile to run the spec as it is`,
    );
  }
  return { plan: planFromComposeText(actual, display), artifact: display };
}
