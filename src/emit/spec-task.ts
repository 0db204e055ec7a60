import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.js';
import { type ConfigLocator, type ResolvedEnvironment, UNLOCATED_CONFIG } from '../model/environments.js';
import type { PipelineIR } from '../model/ir.js';
import { loadSpec } from '../spec/load.js';
import { validateSpecs } from '../spec/validate.js';
import type { TargetName } from '../targets/target.js';
import {
  type CompiledSpec,
  type CompileOptions,
  compileSpec,
  NAME_PATH,
  type OutputText,
  PER_DOCUMENT_RULES,
} from './compile.js';
import { type StagedOutput, stageOutputs } from './staging.js';

/**
 * The per-spec work that worker threads do (src/emit/spec-worker.ts), as plain functions over plain data so that the
 * main thread runs exactly the same code when it works alone (`--jobs 1`, small projects). A task carries one spec's
 * display path and text; its result is what the main thread needs of that spec, without what it already has (the
 * source) and without large objects that would be costly to copy between threads (the IR travels as JSON text, and
 * only when asked for; outputs travel as text, or only as path + sha256 when they were streamed to the staging area).
 */

/** CompileOptions that can cross a thread boundary: plain data only (see TaskEnvironment). */
export interface TaskCompileOptions {
  targets: readonly TargetName[];
  outDir: string;
  runnerImage?: string;
  outputPrefix?: string;
}

/**
 * CompileOptions.environment as plain data: the resolved environment is a value already, but its locator (where each
 * path of pipewright.yaml is written) is a function; it crosses as the file's display path and text, from which the
 * thread that runs the task rebuilds it (configLocator). Without a file, every position is 1:1 (UNLOCATED_CONFIG).
 */
export interface TaskEnvironment {
  resolved: ResolvedEnvironment;
  config?: { file: string; source: string };
}

export interface CompileTask {
  kind: 'compile';
  /** Position of the spec in this run: names its staged files. */
  index: number;
  file: string;
  source: string;
  options: TaskCompileOptions;
  /** Compile the spec as it runs in this environment of pipewright.yaml (CompileOptions.environment). */
  environment?: TaskEnvironment;
  /** Staging area directory: outputs are written there and only their path + sha256 come back (src/emit/staging.ts). */
  stage?: string;
  /** Send the IR back (as JSON text). */
  ir: boolean;
}

export interface ValidateTask {
  kind: 'validate';
  file: string;
  source: string;
}

export type SpecTask = CompileTask | ValidateTask;

/** A CompiledSpec as it comes back from a task: no source, no IR object, outputs as text or as staged files. */
export interface PackedUnit extends Omit<CompiledSpec, 'source' | 'ir' | 'outputs' | 'irJson'> {
  outputs: ({ path: string; text: string } | StagedOutput)[];
  irJson?: string;
}

/** What validate needs of one spec: its own diagnostics, and what the cross-file rules read of it. */
export interface ValidatedSpec {
  /** Loader, schema and per-document rule diagnostics, sorted. */
  diagnostics: Diagnostic[];
  /** The document passed the loader and the schema (its name is then a string). */
  checked: boolean;
  /** The rules saw (part of) the document and it has a string `metadata.name`: the cross-file rules need these. */
  name?: string;
  nameRange?: SourceRange;
}

export type SpecTaskResult = PackedUnit | ValidatedSpec;

/** A compiled unit ready to cross threads (or to be kept without its IR and output texts on the main thread). */
export function packUnit(unit: CompiledSpec, task: Pick<CompileTask, 'index' | 'stage' | 'ir'>): PackedUnit {
  const { source: _source, ir, outputs, irJson: _irJson, ...rest } = unit;
  return {
    ...rest,
    outputs: task.stage
      ? stageOutputs(task.stage, task.index, outputs)
      : outputs.map((o) => ({ path: o.path, text: o.text })),
    ...(task.ir && ir !== undefined ? { irJson: JSON.stringify(ir) } : {}),
  };
}

export function validateSource(file: string, source: string): ValidatedSpec {
  const doc = loadSpec(file, source);
  const validation = validateSpecs([doc], PER_DOCUMENT_RULES);
  const seen = validation.ruleInputs[0];
  const name: unknown = seen?.spec?.metadata?.name;
  return {
    diagnostics: validation.diagnostics,
    checked: validation.checked.length > 0,
    ...(seen && typeof name === 'string' ? { name, nameRange: doc.rangeOf(NAME_PATH) } : {}),
  };
}

export function runSpecTask(task: SpecTask): SpecTaskResult {
  if (task.kind === 'validate') return validateSource(task.file, task.source);
  const env = task.environment;
  const options = env
    ? { ...task.options, environment: { resolved: env.resolved, locator: configLocator(env.config) } }
    : task.options;
  return packUnit(compileSpec(task.file, task.source, options), task);
}

/** The environment of CompileOptions as a task carries it (the inverse of configLocator). */
export function taskEnvironment(environment: NonNullable<CompileOptions['environment']>): TaskEnvironment {
  const { resolved, locator } = environment;
  if (locator.source !== undefined) return { resolved, config: { file: locator.file, source: locator.source } };
  if (locator === UNLOCATED_CONFIG) return { resolved };
  throw new Error('taskEnvironment: a config locator without its source cannot be rebuilt on another thread');
}

let located: { file: string; source: string; locator: ConfigLocator } | undefined;

/**
 * The locator of pipewright.yaml rebuilt from its text: the same loader the CLI read the file with (src/config/index.ts
 * loads it with loadSpec), so every range is the one the main thread would find. Kept for the next task: every task of
 * a run carries the same file.
 */
export function configLocator(config: TaskEnvironment['config']): ConfigLocator {
  if (config === undefined) return UNLOCATED_CONFIG;
  if (located?.file !== config.file || located.source !== config.source) {
    const doc = loadSpec(config.file, config.source);
    located = { ...config, locator: { file: config.file, source: config.source, rangeOf: doc.rangeOf } };
  }
  return located.locator;
}

/** An output streamed to the staging area: its text is read from disk when asked for (staged file, then final path). */
export function stagedOutputText(output: StagedOutput, finalPath: string): OutputText & { sha256: string } {
  return {
    path: output.path,
    sha256: output.sha256,
    staged: output.file,
    get text(): string {
      return readStaged(output.file, finalPath);
    },
  };
}

function readStaged(staged: string, finalPath: string): string {
  try {
    return readFileSync(staged, 'utf8');
  } catch (error) {
    // after a successful write the staged file was renamed into place, or it equalled the file already there
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return readFileSync(finalPath, 'utf8');
  }
}

/** The main thread's CompiledSpec of a task's result: its source back, outputs and IR readable on demand. */
export function unpackUnit(packed: PackedUnit, source: string): CompiledSpec {
  const { outputs, irJson, ...rest } = packed;
  const unit: CompiledSpec = {
    ...rest,
    source,
    // a staged file is <out>/<area>/<name>: its final place is <out>/<path>
    outputs: outputs.map((o) => ('file' in o ? stagedOutputText(o, join(dirname(dirname(o.file)), o.path)) : o)),
    ...(irJson !== undefined ? { irJson } : {}),
  };
  if (irJson !== undefined) {
    let ir: PipelineIR | undefined;
    Object.defineProperty(unit, 'ir', {
      enumerable: true,
      get(): PipelineIR {
        ir ??= JSON.parse(irJson) as PipelineIR;
        return ir;
      },
    });
  }
  return unit;
}
