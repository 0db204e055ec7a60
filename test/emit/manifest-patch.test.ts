import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildManifest, patchManifest, sameManifest, serializeManifest } from '../../src/emit/manifest.js';
import type { TargetName } from '../../src/targets/target.js';

/** patchManifest (the watch engine's update by difference) against buildManifest over the resulting file set. */
describe('patchManifest', () => {
  const path = fc
    .tuple(fc.constantFrom('compose', 'k8s', 'gitlab'), fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/))
    .map(([target, name]) => `${target}/${name}.yaml`);
  const text = fc.constantFrom('a\n', 'b\n', 'c\n', 'd\n');
  const targets = fc.subarray(['compose', 'k8s', 'gitlab'] as TargetName[], { minLength: 1 });

  it('gives the manifest buildManifest makes of the files after the change, and says whether its bytes changed', () => {
    fc.assert(
      fc.property(
        fc.dictionary(path, text),
        fc.dictionary(path, text),
        fc.array(path),
        targets,
        fc.constantFrom('1.0.0', '1.1.0'),
        (before, written, dropped, selected, version) => {
          const previous = buildManifest(new Map(Object.entries(before)), ['compose', 'k8s', 'gitlab'], '1.0.0');
          const after = new Map(Object.entries(before));
          for (const p of dropped) after.delete(p);
          for (const [p, t] of Object.entries(written)) after.set(p, t);
          const hashes = buildManifest(new Map(Object.entries(written)), [], version).files;
          const { manifest, changed } = patchManifest(
            previous,
            new Map(Object.entries(hashes)),
            dropped,
            ['compose', 'k8s', 'gitlab', ...selected],
            version,
          );
          const expected = buildManifest(after, ['compose', 'k8s', 'gitlab'], version);
          expect(serializeManifest(manifest)).toBe(serializeManifest(expected));
          expect(changed).toBe(!sameManifest(previous, expected));
          // the previous manifest is left as it was (an earlier report may still hold it)
          expect(serializeManifest(previous)).toBe(
            serializeManifest(buildManifest(new Map(Object.entries(before)), ['compose', 'k8s', 'gitlab'], '1.0.0')),
          );
        },
      ),
    );
  });
});
