/**
 * The project a command works on: its root (src/config/root.ts) and its configuration file (pipewright.yaml, loaded by
 * src/config/load.ts). Every command gets it from the CLI entry point (src/cli/main.ts) through `io.project`.
 */
import { relative, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { readSpec } from '../spec/discover.js';
import { type LoadedConfig, loadConfig } from './load.js';
import { CONFIG_FILE, findProjectRoot, type ProjectRoot } from './root.js';
import type { ProjectConfig } from './types.js';

export { ADJUSTABLE_CODES, applyLevels, levelOf } from './levels.js';
export { CONFIG_FILE, findProjectRoot } from './root.js';
export type { DiagnosticLevel, ProjectConfig } from './types.js';

export interface Project extends ProjectRoot {
  /** The parsed configuration (undefined without a config file). */
  config?: ProjectConfig;
}

export type OpenedProject =
  | { ok: true; project: Project }
  | { ok: false; root: string; file: string; source: string; diagnostics: Diagnostic[] };

/** Find the project root from `cwd` and load its configuration file, if any. */
export async function openProject(cwd: string): Promise<OpenedProject> {
  const found = findProjectRoot(cwd);
  if (!found.configFile) return { ok: true, project: found };
  const file = relative(found.root, found.configFile).split(sep).join('/') || CONFIG_FILE;
  const loaded: LoadedConfig = loadConfig(file, '', await readSpec({ file, path: found.configFile }));
  if (!loaded.config) {
    return { ok: false, root: found.root, file, source: loaded.source, diagnostics: loaded.diagnostics };
  }
  return { ok: true, project: { ...found, config: loaded.config } };
}
