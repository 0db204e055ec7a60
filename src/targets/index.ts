import type { PipelineHeader } from '../model/ir.js';
import { emitCompose } from './compose/index.js';
import {
  emitGitlab,
  emitGitlabParent,
  GITLAB_PROJECT_FIELDS,
  PARENT_PATH,
  recoverGitlabParent,
} from './gitlab/index.js';
import { emitKubernetes } from './kubernetes/index.js';
import type { EmittedFile, Emitter, TargetName } from './target.js';

/** Options of the project-wide (cross-pipeline) step of a target. */
export interface ProjectEmitOptions {
  /** The output directory as seen from the repository root, POSIX (e.g. `generated`). */
  outDir: string;
}

export interface TargetDefinition {
  name: TargetName;
  /** Human name for messages and docs. */
  title: string;
  /** Per pipeline: pure, cacheable by spec content. */
  emit: Emitter;
  /**
   * Files that depend on every pipeline (e.g. the GitLab parent pipeline); absent when a target has none. Must be
   * compositional: what it makes of many pipelines is determined by what it makes of each one alone (the watch
   * engine skips re-linking when one pipeline's own result is unchanged: src/emit/link-delta.ts).
   */
  emitProject?: (pipelines: readonly PipelineHeader[], options: ProjectEmitOptions) => EmittedFile[];
  /**
   * With emitProject: the header fields it reads (its output is a function of these alone), the paths it may write,
   * and how to read those fields back from the files it wrote — what the merge-request gate (src/emit/gate.ts) needs to
   * re-emit the project files after a change without loading every spec.
   */
  project?: {
    fields: readonly (keyof PipelineHeader)[];
    paths: readonly string[];
    recover: (files: ReadonlyMap<string, string>) => PipelineHeader[] | undefined;
  };
}

/** The registry compile iterates over, in TARGETS order. */
export const TARGET_DEFINITIONS: Readonly<Record<TargetName, TargetDefinition>> = {
  compose: { name: 'compose', title: 'Docker Compose', emit: emitCompose },
  k8s: { name: 'k8s', title: 'Kubernetes', emit: emitKubernetes },
  gitlab: {
    name: 'gitlab',
    title: 'GitLab CI',
    emit: emitGitlab,
    emitProject: (pipelines, options) =>
      pipelines.length === 0 ? [] : [emitGitlabParent(pipelines, { outDir: options.outDir })],
    project: {
      fields: GITLAB_PROJECT_FIELDS,
      paths: [PARENT_PATH],
      // entries carry only the fields the parent reads; emitProject never looks at the others
      recover: (files) => {
        const text = files.get(PARENT_PATH);
        return text === undefined ? [] : (recoverGitlabParent(text) as PipelineHeader[] | undefined);
      },
    },
  },
};
