import { type Diagnostic, sortDiagnostics, UserError } from '../diagnostics/diagnostic.js';
import {
  type CompiledSpec,
  type CompileOptions,
  CROSS_FILE_RULES,
  compileSpec,
  linkDocument,
  type SpecInput,
} from './compile.js';
import { SPEC_WORKER, SPEC_WORKER_LIMITS, WorkerPool, workersAvailable } from './pool.js';
import {
  type CompileTask,
  type PackedUnit,
  runSpecTask,
  type SpecTask,
  type SpecTaskResult,
  taskEnvironment,
  unpackUnit,
  type ValidatedSpec,
} from './spec-task.js';

/**
 * The per-spec stages of validate, compile and check spread over worker threads (src/emit/pool.ts), with the result
 * assembled on the main thread exactly as if one thread had done it all: results are kept by input, never by arrival,
 * and everything that looks across specs (the cross-file rules, link, writing) stays on the main thread, after every
 * spec is done. `jobs` 1 runs the same per-spec functions on the main thread; `jobs` N runs them on N workers.
 */

export interface PerSpecRun {
  /** Threads (see resolveJobs in src/emit/pool.ts); 1 = the main thread only. */
  jobs: number;
  /** Staging area directory: outputs are streamed there instead of kept as text (src/emit/staging.ts). */
  stage?: string;
  /** Keep each unit's IR (as JSON text, parsed on demand) when outputs are staged or work runs on workers. */
  ir: boolean;
}

async function onWorkers(tasks: readonly SpecTask[], jobs: number): Promise<SpecTaskResult[]> {
  if (!workersAvailable())
    throw new UserError(
      `${jobs} threads (--jobs, or pipewright.yaml jobs): worker threads need the built pipewright (${SPEC_WORKER.pathname} is missing); use --jobs 1`,
      2,
    );
  // `jobs` workers, each with a large young generation (SPEC_WORKER_LIMITS); this thread only feeds them and keeps
  // the results: taking tasks itself (with V8's small default young generation, which cannot be changed once the
  // process runs) made --jobs 2 slower, and it delayed the replies of the worker
  const pool = new WorkerPool<SpecTask, SpecTaskResult>(SPEC_WORKER, jobs, undefined, SPEC_WORKER_LIMITS);
  try {
    return await Promise.all(tasks.map((task) => pool.run(task)));
  } finally {
    await pool.close();
  }
}

/**
 * compileSpec of every input (none of them rejected), by display path. Without a staging area on one thread this is
 * plain compileSpec (full IR and output texts); otherwise each unit comes through packUnit/unpackUnit, so outputs
 * are staged files or texts and the IR is JSON text (when `run.ir`), whichever thread compiled it.
 */
export async function compileEach(
  inputs: readonly SpecInput[],
  options: CompileOptions,
  run: PerSpecRun,
): Promise<Map<string, CompiledSpec>> {
  const units = await compileJobs(
    inputs.map((input) => ({ input, options })),
    run,
  );
  return new Map(inputs.map((input, i) => [input.file, units[i]!]));
}

/** One spec and the options it is compiled with (a project with environments compiles each spec once per environment). */
export interface CompileJob {
  input: SpecInput;
  options: CompileOptions;
}

/** compileEach over specs with options of their own, in one pool: the units in the order of `jobs`. */
export async function compileJobs(jobs: readonly CompileJob[], run: PerSpecRun): Promise<CompiledSpec[]> {
  if (run.jobs <= 1 && run.stage === undefined)
    return jobs.map(({ input, options }) => compileSpec(input.file, input.source, options));
  // options shared by many jobs are converted once (and then cloned per task by postMessage)
  const converted = new Map<CompileOptions, Pick<CompileTask, 'options' | 'environment'>>();
  const tasks: CompileTask[] = jobs.map(({ input, options }, index) => {
    let plain = converted.get(options);
    if (plain === undefined) {
      plain = {
        options: {
          targets: options.targets,
          outDir: options.outDir,
          ...(options.runnerImage !== undefined ? { runnerImage: options.runnerImage } : {}),
          ...(options.outputPrefix !== undefined ? { outputPrefix: options.outputPrefix } : {}),
        },
        ...(options.environment !== undefined ? { environment: taskEnvironment(options.environment) } : {}),
      };
      converted.set(options, plain);
    }
    return {
      kind: 'compile',
      index,
      file: input.file,
      source: input.source,
      ...plain,
      ...(run.stage !== undefined ? { stage: run.stage } : {}),
      ir: run.ir,
    };
  });
  const packed = run.jobs <= 1 ? tasks.map(runSpecTask) : await onWorkers(tasks, run.jobs);
  return jobs.map(({ input }, i) => unpackUnit(packed[i] as PackedUnit, input.source));
}

export interface ParallelValidation {
  /** Every diagnostic, sorted: what validateSpecs reports for the same documents. */
  diagnostics: Diagnostic[];
  /** Display path → metadata.name of every document that passed the loader and the schema. */
  pipelines: Map<string, string>;
}

/**
 * validateSpecs over `inputs` with the per-document work on `jobs` worker threads: each spec is loaded and checked
 * (loader, schema, per-document rules) where it is sent, the cross-file rules then run here over what they read of
 * each document (its name and where it is written, as linkDocument gives them to compile).
 */
export async function validateInParallel(inputs: readonly SpecInput[], jobs: number): Promise<ParallelValidation> {
  const sent = inputs.filter((i) => !i.rejected);
  const results = (await onWorkers(
    sent.map((i) => ({ kind: 'validate', file: i.file, source: i.source })),
    jobs,
  )) as ValidatedSpec[];
  const byFile = new Map(sent.map((input, i) => [input.file, results[i]!]));
  const diagnostics: Diagnostic[] = [];
  const pipelines = new Map<string, string>();
  const named: CompiledSpec[] = [];
  for (const input of inputs) {
    if (input.rejected) {
      diagnostics.push(...input.rejected.diagnostics);
      continue;
    }
    const r = byFile.get(input.file)!;
    diagnostics.push(...r.diagnostics);
    if (r.name === undefined || r.nameRange === undefined) continue;
    if (r.checked) pipelines.set(input.file, r.name);
    named.push({
      file: input.file,
      source: input.source,
      pipeline: r.name,
      nameRange: r.nameRange,
      diagnostics: [],
      outputs: [],
    });
  }
  const checked = named.flatMap(linkDocument);
  for (const rule of CROSS_FILE_RULES) diagnostics.push(...rule.checkAll!(checked));
  return { diagnostics: sortDiagnostics(diagnostics), pipelines };
}
