/**
 * OpenLineage RunEvents for pipewright runs (pure: data in, event objects out). One pipeline run and one run per task
 * instance, each with START then COMPLETE, FAIL or ABORT; tasks carry the parent run facet pointing at the pipeline
 * run (and its root); every run carries the nominal time facet (the logical date) and every job the source code
 * location facet (git commit + spec path). Schema: OpenLineage 2-0-2 (test/schemas/openlineage/).
 */
import { datasetId, datasetUriProblem } from './naming.js';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const FACETS = 'https://openlineage.io/spec/facets';

export type RunEventType = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';

export interface LineageDataset {
  namespace: string;
  name: string;
}

export interface RunEvent {
  eventType: RunEventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets?: Record<string, unknown> };
  job: { namespace: string; name: string; facets?: Record<string, unknown> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}

export interface LineageJobContext {
  /** OpenLineage job namespace (config `lineage.namespace`, OPENLINEAGE_NAMESPACE, default `pipewright`). */
  namespace: string;
  /** URI of the producer (pipewright and its version). */
  producer: string;
  pipeline: string;
  /** Logical date YYYY-MM-DD: the nominal start time (midnight UTC). */
  logicalDate: string;
  /** Spec path in the repository and the commit it was run from (null outside git). */
  specPath: string;
  commit: string | null;
  /** Repository URL (config `lineage.repositoryUrl`) for the facet's url; else a file: URL of the spec. */
  repositoryUrl?: string;
  /** Absolute spec path (file: URL fallback). */
  specAbsolutePath: string;
}

export interface RunEventInput {
  type: RunEventType;
  time: Date;
  runUuid: string;
  /** Task instance id; undefined for the pipeline run. */
  task?: string;
  /** The pipeline run (for a task's parent facet). */
  parentRunUuid?: string;
  /** Resolved dataset URIs (templates already rendered for the run). */
  inputs?: readonly string[];
  outputs?: readonly string[];
  /** FAIL/ABORT: why (no secret values). */
  error?: string;
}

function facet(producer: string, schema: string, body: Record<string, unknown>): Record<string, unknown> {
  return { _producer: producer, _schemaURL: schema, ...body };
}

function datasets(uris: readonly string[] | undefined): LineageDataset[] {
  const seen = new Map<string, LineageDataset>();
  for (const uri of uris ?? []) {
    // Unusable URIs are reported by validate (PW220); the event skips them rather than inventing a dataset.
    if (datasetUriProblem(uri) !== undefined) continue;
    const id = datasetId(uri);
    seen.set(`${id.namespace}\0${id.name}`, id);
  }
  return [...seen.values()];
}

function sourceUrl(ctx: LineageJobContext): string {
  if (ctx.repositoryUrl && ctx.commit) {
    return `${ctx.repositoryUrl.replace(/\/+$/, '')}/blob/${ctx.commit}/${ctx.specPath.split('/').map(encodeURIComponent).join('/')}`;
  }
  return `file://${ctx.specAbsolutePath.split('/').map(encodeURIComponent).join('/')}`;
}

export function runEvent(ctx: LineageJobContext, input: RunEventInput): RunEvent {
  const p = ctx.producer;
  const runFacets: Record<string, unknown> = {
    nominalTime: facet(p, `${FACETS}/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet`, {
      nominalStartTime: `${ctx.logicalDate}T00:00:00.000Z`,
    }),
  };
  if (input.task !== undefined && input.parentRunUuid !== undefined) {
    const parentJob = { namespace: ctx.namespace, name: ctx.pipeline };
    runFacets.parent = facet(p, `${FACETS}/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet`, {
      run: { runId: input.parentRunUuid },
      job: parentJob,
      root: { run: { runId: input.parentRunUuid }, job: parentJob },
    });
  }
  if ((input.type === 'FAIL' || input.type === 'ABORT') && input.error !== undefined) {
    runFacets.errorMessage = facet(p, `${FACETS}/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet`, {
      message: input.error,
      programmingLanguage: 'shell',
    });
  }
  const jobFacets: Record<string, unknown> = {
    sourceCodeLocation: facet(p, `${FACETS}/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet`, {
      type: 'git',
      url: sourceUrl(ctx),
      path: ctx.specPath,
      ...(ctx.commit ? { version: ctx.commit } : {}),
      ...(ctx.repositoryUrl ? { repoUrl: ctx.repositoryUrl } : {}),
    }),
  };
  return {
    eventType: input.type,
    eventTime: input.time.toISOString(),
    producer: p,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: input.runUuid, facets: runFacets },
    job: {
      namespace: ctx.namespace,
      name: input.task === undefined ? ctx.pipeline : `${ctx.pipeline}.${input.task}`,
      facets: jobFacets,
    },
    inputs: datasets(input.inputs),
    outputs: datasets(input.outputs),
  };
}
