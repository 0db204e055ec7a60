import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../src/spec/load.js';
import { validateSpecs } from '../../../src/spec/validate.js';

const DIR = 'pipelines';
const files = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => join(DIR, f));

describe('example pipelines', () => {
  it('include the retail and ML examples', () => {
    expect(files).toEqual(
      expect.arrayContaining(['pipelines/retail-sales.yaml', 'pipelines/churn-model-retrain.yaml']),
    );
  });

  it.each(files)('%s starts with the editor schema line', (file) => {
    expect(readFileSync(file, 'utf8').split('\n', 1)[0]).toBe(
      '# yaml-language-server: $schema=../schema/pipeline.schema.json',
    );
  });

  it('validate together without a single diagnostic', () => {
    const docs = files.map((f) => loadSpec(f, readFileSync(f, 'utf8')));
    const { diagnostics, checked } = validateSpecs(docs);
    expect(diagnostics).toEqual([]);
    expect(checked).toHaveLength(files.length);
  });
});
