/**
 * The project a command works on: its root (src/config/root.ts) and its configuration file (pipewright.yaml, loaded by
 * src/config/load.ts). Every command gets it from the CLI entry point (src/cli/main.ts) through `io.project`.
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ConfigLocator } from '../model/environments.js';
import { readSpec } from '../spec/discover.js';
import { didYouMean } from '../spec/validate.js';
import { type LoadedConfig, loadConfig } from './load.js';
import { CONFIG_FILE, findProjectRoot, type ProjectRoot } from './root.js';
import type { ProjectConfig } from './types.js';

export { ADJUSTABLE_CODES, applyLevels, levelOf } from './levels.js';
export { CONFIG_FILE, findProjectRoot } from './root.js';
export type { DiagnosticLevel, ProjectConfig } from './types.js';

export interface Project extends ProjectRoot {
  /** The parsed configuration (undefined without a config file). */
  config?: ProjectConfig;
  /** The configuration file as loaded: display path, text and positions (set with `config`). */
  configDocument?: Pick<LoadedConfig, 'file' | 'source' | 'rangeOf'>;
  /** The same, as environment overrides are located (src/model/environments.ts). */
  configSource?: ConfigLocator & { source: string };
}

/**
 * PW102: settings under `pipelines.<name>` for a pipeline no spec defines — a typo there would silently apply to
 * nothing. Callers pass the names of every spec of the project (only when they read all of them, and every one was
 * readable far enough to have a name).
 */
export function unknownPipelineSettings(project: Project | undefined, names: ReadonlySet<string>): Diagnostic[] {
  const { config, configDocument: doc } = project ?? {};
  if (!config?.pipelines || !doc) return [];
  return Object.keys(config.pipelines)
    .filter((name) => !names.has(name))
    .map((name) => {
      const suggestion = didYouMean(name, [...names].sort());
      return {
        file: doc.file,
        range: doc.rangeOf(['pipelines', name], { key: true }),
        severity: 'warning' as const,
        code: 'PW102' as const,
        message: `settings for pipeline '${name}', which no spec defines${suggestion ? `: did you mean '${suggestion}'?` : ''} (pipelines are named by metadata.name)`,
      };
    });
}

export type OpenedProject =
  | { ok: true; project: Project }
  | { ok: false; root: string; file: string; source: string; diagnostics: Diagnostic[] };

/** Find the project root from `cwd` and load its configuration file, if any. */
export async function openProject(cwd: string): Promise<OpenedProject> {
  return loadProject(findProjectRoot(cwd));
}

/**
 * The project whose root is exactly `root` (its own pipewright.yaml or none), never a directory above it: the
 * reconcile daemon's private work tree of a commit lives inside another project's state directory.
 */
export async function openProjectAt(root: string): Promise<OpenedProject> {
  const configFile = join(root, CONFIG_FILE);
  return loadProject(existsSync(configFile) ? { root, configFile, found: 'config' } : { root, found: 'cwd' });
}

async function loadProject(found: ProjectRoot): Promise<OpenedProject> {
  if (!found.configFile) return { ok: true, project: found };
  const file = relative(found.root, found.configFile).split(sep).join('/') || CONFIG_FILE;
  const loaded: LoadedConfig = loadConfig(file, '', await readSpec({ file, path: found.configFile }));
  if (!loaded.config) {
    return { ok: false, root: found.root, file, source: loaded.source, diagnostics: loaded.diagnostics };
  }
  const { source, rangeOf } = loaded;
  const configDocument = { file, source, rangeOf };
  return { ok: true, project: { ...found, config: loaded.config, configDocument, configSource: configDocument } };
}
