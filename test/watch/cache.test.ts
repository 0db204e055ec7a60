import { describe, expect, it } from 'vitest';
import { SpecCache } from '../../src/emit/cache.js';

describe('SpecCache', () => {
  const input = { file: 'pipelines/a.yaml', source: 'a: 1\n' };

  it('returns the computed result for identical inputs and computes once', () => {
    const cache = new SpecCache<{ n: number }>({ version: '1.0.0', targets: ['compose', 'k8s'] });
    let computed = 0;
    const first = cache.getOrCompute(input, () => ({ n: ++computed }));
    const second = cache.getOrCompute({ ...input }, () => ({ n: ++computed }));
    expect(second).toBe(first);
    expect(computed).toBe(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
  });

  it('keys on source, display path, version and targets (targets order-insensitive)', () => {
    const a = new SpecCache({ version: '1.0.0', targets: ['compose', 'k8s'] });
    const key = a.key(input);
    expect(a.key({ ...input, source: 'a: 2\n' })).not.toBe(key);
    expect(a.key({ ...input, file: 'pipelines/b.yaml' })).not.toBe(key);
    expect(new SpecCache({ version: '1.0.1', targets: ['compose', 'k8s'] }).key(input)).not.toBe(key);
    expect(new SpecCache({ version: '1.0.0', targets: ['compose'] }).key(input)).not.toBe(key);
    expect(new SpecCache({ version: '1.0.0', targets: ['k8s', 'compose'] }).key(input)).toBe(key);
    // the separator keeps path/source boundaries unambiguous
    expect(a.key({ file: 'x', source: 'y\0z' })).not.toBe(a.key({ file: 'x\0y', source: 'z' }));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new SpecCache<string>({ version: '1', targets: [], maxEntries: 2 });
    cache.set({ file: 'a', source: '' }, 'A');
    cache.set({ file: 'b', source: '' }, 'B');
    expect(cache.get({ file: 'a', source: '' })).toBe('A'); // a is now most recent
    cache.set({ file: 'c', source: '' }, 'C');
    expect(cache.get({ file: 'b', source: '' })).toBeUndefined();
    expect(cache.get({ file: 'a', source: '' })).toBe('A');
    expect(cache.get({ file: 'c', source: '' })).toBe('C');
    expect(cache.stats().size).toBe(2);
  });
});
