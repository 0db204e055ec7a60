import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { CheckedDocument, Rule } from './rule.js';
import { diagnostic, formatLocation } from './support.js';

const NAME_PATH = ['metadata', 'name'] as const;

/**
 * PW204: `metadata.name` is a pipeline's identity across the repository (and across Git history), so two files must
 * not share it. The first file in path order keeps the name; every later one is reported with both positions.
 */
export const duplicatePipelineName: Rule = {
  name: 'duplicate-pipeline-name',
  codes: ['PW204'],
  checkAll(inputs) {
    const out: Diagnostic[] = [];
    const first = new Map<string, CheckedDocument>();
    const sorted = [...inputs].sort((a, b) => (a.doc.file < b.doc.file ? -1 : a.doc.file > b.doc.file ? 1 : 0));
    for (const input of sorted) {
      const name = input.spec.metadata.name;
      if (typeof name !== 'string') continue; // rejected by the schema, reported there
      const earlier = first.get(name);
      if (!earlier) {
        first.set(name, input);
        continue;
      }
      const earlierRange = earlier.doc.rangeOf(NAME_PATH);
      out.push(
        diagnostic(
          input.doc,
          input.doc.rangeOf(NAME_PATH),
          'error',
          'PW204',
          `duplicate pipeline name '${name}' (previously defined in ${formatLocation(earlier.doc.file, earlierRange)}): pipeline names must be unique across the repository`,
          [{ file: earlier.doc.file, range: earlierRange, message: `pipeline '${name}' previously defined here` }],
        ),
      );
    }
    return out;
  },
};
