import type { DiagnosticCode } from '../diagnostics/codes.js';
import type { PipelineIR } from '../model/ir.js';
import type { SpecPath } from '../spec/document.js';

export type TargetName = 'compose' | 'k8s' | 'gitlab';
export const TARGETS: readonly TargetName[] = ['compose', 'k8s', 'gitlab'];

/** One output file of a target: a path under the output directory and the documents to serialise (one per YAML doc). */
export interface EmittedFile {
  /** POSIX path relative to the output directory, e.g. `compose/daily-orders.compose.yaml`. */
  path: string;
  /** Plain JSON-able objects; more than one makes a multi-document YAML file. */
  documents: unknown[];
  /** Header comment lines (without '# '). */
  header: string[];
}

/** Something the target cannot express exactly: compile turns it into a positioned warning via SpecDocument.rangeOf. */
export interface TargetWarning {
  code: DiagnosticCode;
  /** Path into the spec value (e.g. ['spec','tasks','extract','retries']). */
  path: SpecPath;
  message: string;
}

export interface TargetOutput {
  files: EmittedFile[];
  warnings: TargetWarning[];
}

/** Project settings an emitter reads (from pipewright.yaml); part of the compile cache's key. */
export interface EmitOptions {
  /** Kubernetes: the runner image of the CronJob (default RUNNER_IMAGE). */
  runnerImage?: string;
}

/** Emitters are pure: IR (and project settings) in, plain objects out, no I/O. */
export type Emitter = (ir: PipelineIR, options?: EmitOptions) => TargetOutput;
