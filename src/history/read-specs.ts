import { type Diagnostic, hasErrors } from '../diagnostics/diagnostic.js';
import { normalizePipeline } from '../model/normalize.js';
import { loadSpec, rejectedSpec, tooLargeMessage } from '../spec/load.js';
import { validateSpecs } from '../spec/validate.js';
import type { HistoryPipeline } from './diff.js';
import type { SpecSource } from './sources.js';

export interface SideSpecs {
  /** By `metadata.name`. Empty when any spec of the side has an error. */
  pipelines: Map<string, HistoryPipeline>;
  /** Loader and validation diagnostics, files shown as `<rev>:<path>`. */
  diagnostics: Diagnostic[];
}

/**
 * load → validate → normalize for one side of a comparison. A side with errors yields its diagnostics and no
 * pipelines: comparing a half-valid side would report phantom removals.
 */
export function readSpecs(sources: readonly SpecSource[]): SideSpecs {
  const docs = sources.map((s) =>
    s.tooLarge !== undefined
      ? rejectedSpec(s.display, 'PW008', tooLargeMessage(s.tooLarge))
      : loadSpec(s.display, s.source),
  );
  const { diagnostics, checked } = validateSpecs(docs);
  const pipelines = new Map<string, HistoryPipeline>();
  if (hasErrors(diagnostics)) return { pipelines, diagnostics };
  const pathOf = new Map(docs.map((doc, i) => [doc, sources[i]!.path]));
  for (const { doc, spec } of checked) {
    const ir: HistoryPipeline = normalizePipeline(spec, pathOf.get(doc)!);
    const image = spec.spec.defaults?.image;
    if (image !== undefined) {
      const inheriting = Object.keys(spec.spec.tasks).filter((id) => spec.spec.tasks[id]!.image === undefined);
      pipelines.set(ir.name, { ...ir, defaultImage: { image, inheriting: inheriting.sort() } });
    } else pipelines.set(ir.name, ir);
  }
  return { pipelines, diagnostics };
}
