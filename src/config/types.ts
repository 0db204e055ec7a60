/**
 * The project configuration file, `pipewright.yaml` at the project root. These types are the single source of truth:
 * `npm run schema` generates schema/config.schema.json from them (strict: an unknown key anywhere is an error).
 *
 * The file is versioned like a spec (`apiVersion` + `kind`) and grows by adding top-level sections: project-wide
 * settings go at the top level, per-pipeline settings under `pipelines.<name>`.
 */

/**
 * Project settings for pipewright (`pipewright.yaml` at the project root). Documented in docs/config.md.
 * @title pipewright Project
 */
export interface ProjectConfig {
  /** Configuration language version. */
  apiVersion: 'pipewright.dev/v1';
  /** Always `Project`: this file configures the project the pipelines belong to. */
  kind: 'Project';
  /**
   * Level of each adjustable diagnostic code for the whole project: `off` (not reported), `warn` (reported, does not
   * fail) or `error` (fails validate/compile/check). Only codes that are warnings by default can be set; an error
   * stays an error.
   * @examples [{"PW303": "off", "PW209": "error"}]
   */
  diagnostics?: DiagnosticLevels;
  /**
   * Settings of single pipelines, by `metadata.name`; they take precedence over the project-wide ones.
   * @examples [{"daily-orders": {"diagnostics": {"PW302": "off"}}}]
   */
  pipelines?: { [name: string]: PipelineSettings };
}

/** Settings of one pipeline. */
export interface PipelineSettings {
  /** Levels of diagnostic codes for this pipeline only (same values as the project-wide `diagnostics`). */
  diagnostics?: DiagnosticLevels;
}

/**
 * `off`: not reported; `warn`: reported as a warning (exit status unaffected); `error`: reported as an error.
 */
export type DiagnosticLevel = 'off' | 'warn' | 'error';

/**
 * The codes a project may adjust: those reported as warnings by default (docs/diagnostics.md). Keep in sync with
 * ADJUSTABLE_CODES in src/config/levels.ts (a test compares them).
 */
export type AdjustableCode = 'PW207' | 'PW209' | 'PW216' | 'PW301' | 'PW302' | 'PW303' | 'PW304' | 'PW305';

/** Diagnostic code → level. */
export type DiagnosticLevels = { [code in AdjustableCode]?: DiagnosticLevel };
