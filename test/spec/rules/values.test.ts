import { describe, expect, it } from 'vitest';
import { durationProblem, invalidDuration } from '../../../src/spec/rules/invalid-duration.js';
import { cpuProblem, invalidQuantity, memoryProblem } from '../../../src/spec/rules/invalid-quantity.js';
import { missingImage } from '../../../src/spec/rules/missing-image.js';
import { imageProblem, parseImageReference, unpinnedImage } from '../../../src/spec/rules/unpinned-image.js';
import { checked, covered, pipeline, run } from './helpers.js';

describe('PW207 durations', () => {
  it.each(['30s', '10m', '1h30m', '2d', '90m', '366d', '1d23h59m59s'])('accepts %s', (d) =>
    expect(durationProblem(d)).toBeUndefined(),
  );
  it.each([
    ['0s', 'a duration must be greater than zero'],
    ['0h0m', 'a duration must be greater than zero'],
    ['367d', 'a duration must be at most 366d'],
    ['99999999999999999999s', 'a duration must be at most 366d'],
    ['1h1h', 'each unit may appear once, largest first (d, h, m, s), e.g. 1h30m'],
    ['30m1h', 'each unit may appear once, largest first (d, h, m, s), e.g. 1h30m'],
  ])('rejects %s', (d, message) => expect(durationProblem(d)).toBe(message));

  it('reports every field with its position', () => {
    const src = pipeline(`  sla: 0s
  defaults:
    image: ghcr.io/acme/etl:1.0.0
    timeout: 400d
  tasks:
    load:
      command: [run]
      retryDelay: 30m1h
`);
    expect(run(invalidDuration, src)).toEqual([
      "8:8-8:10 error PW207 invalid sla '0s': a duration must be greater than zero",
      "11:14-11:18 error PW207 invalid defaults.timeout '400d': a duration must be at most 366d",
      "15:19-15:24 error PW207 invalid retryDelay of task 'load' '30m1h': each unit may appear once, largest first (d, h, m, s), e.g. 1h30m",
    ]);
  });

  it('warns when retries would wait longer than an attempt may run', () => {
    const src = pipeline(`  defaults:
    image: ghcr.io/acme/etl:1.0.0
    retries: 2
    retryDelay: 1h
    timeout: 10m
  tasks:
    a: { command: [run] }
    b: { command: [run], timeout: 2h }
    c: { command: [run], retries: 0, retryDelay: 5h }
    d: { command: [run], retryDelay: 20m, timeout: 15m }
`);
    expect(run(invalidDuration, src)).toEqual([
      '11:17-11:19 warning PW207 defaults have a retryDelay of 1h but a timeout of 10m: retries would wait longer than an attempt may run (swapped values?)',
      "17:38-17:41 warning PW207 task 'd' has a retryDelay of 20m but a timeout of 15m: retries would wait longer than an attempt may run (swapped values?)",
    ]);
  });
});

describe('PW208 quantities', () => {
  it.each(['1', '0.5', '500m', '1024'])('accepts cpu %s', (q) => expect(cpuProblem(q)).toBeUndefined());
  it.each([
    ['0', 'must be greater than zero'],
    ['0m', 'must be greater than zero'],
    ['0.0001', 'must be at least 1m (one millicore)'],
    ['2048', 'must be at most 1024 cores'],
  ])('rejects cpu %s', (q, message) => expect(cpuProblem(q)).toBe(message));
  it.each(['512Mi', '1Gi', '1.5Gi', '6Mi', '100M'])('accepts memory %s', (q) =>
    expect(memoryProblem(q)).toBeUndefined(),
  );
  it.each([
    ['0Mi', 'must be greater than zero'],
    ['1Mi', 'must be at least 6Mi (the container runtime refuses smaller limits)'],
    ['0.5', 'must be a whole number of bytes (use a smaller unit or fewer decimals)'],
    ['17Ti', 'must be at most 16Ti'],
  ])('rejects memory %s', (q, message) => expect(memoryProblem(q)).toBe(message));

  it('reports defaults and tasks at the value', () => {
    const src = pipeline(`  defaults:
    image: ghcr.io/acme/etl:1.0.0
    resources: { cpu: "0", memory: 1Gi }
  tasks:
    train:
      command: [run]
      resources: { memory: 32Ti }
`);
    expect(run(invalidQuantity, src)).toEqual([
      "10:23-10:26 error PW208 defaults.resources has an invalid cpu '0': must be greater than zero",
      "14:28-14:32 error PW208 task 'train' has an invalid memory '32Ti': must be at most 16Ti",
    ]);
  });
});

describe('PW209 images', () => {
  it('parses references like the Docker distribution grammar', () => {
    expect(parseImageReference('localhost:5000/etl')).toEqual({ name: 'localhost:5000/etl' });
    expect(parseImageReference('ghcr.io/acme/dbt:1.8.2')).toMatchObject({
      name: 'ghcr.io/acme/dbt',
      tag: '1.8.2',
      tagAt: [17, 22],
    });
    expect(parseImageReference('acme/Etl:1')).toBeUndefined();
    expect(parseImageReference('etl:bad tag')).toBeUndefined();
  });

  const digest = 'a'.repeat(64);
  it.each([
    'ghcr.io/acme/dbt:1.8.2',
    'registry.example.com:5000/team/etl:2024.01.05-3',
    `python@sha256:${digest}`,
    `python:latest@sha256:${digest}`,
    'python:3.12-slim',
  ])('accepts %s', (image) => expect(imageProblem(image)).toBeUndefined());

  it.each([
    ['python', 'error', "image 'python' is not pinned: add a version tag or an @sha256 digest (no tag means 'latest')"],
    [
      'localhost:5000/etl',
      'error',
      "image 'localhost:5000/etl' is not pinned: add a version tag or an @sha256 digest (no tag means 'latest')",
    ],
    [
      'python:latest',
      'error',
      "image 'python:latest' uses the moving tag 'latest': pin a version tag or an @sha256 digest",
    ],
    [
      'python:Latest',
      'error',
      "image 'python:Latest' uses the moving tag 'latest': pin a version tag or an @sha256 digest",
    ],
    [
      'python@sha256:abc',
      'error',
      "image 'python@sha256:abc' has a malformed digest: expected sha256: followed by 64 lowercase hex digits",
    ],
    [
      `python@md5:${digest}`,
      'error',
      `image 'python@md5:${digest}' has a malformed digest: expected sha256: followed by 64 lowercase hex digits`,
    ],
    ['Python:3', 'error', "image 'Python:3' is not a valid reference: repository names must be lowercase"],
    [
      'python:3 ',
      'error',
      "image 'python:3 ' is not a valid reference (expected [registry/]repository:tag or repository@sha256:<64 hex digits>)",
    ],
    [
      'python:stable',
      'warning',
      "image 'python:stable' uses 'stable', which names a channel rather than a release: pin a version tag or an @sha256 digest",
    ],
  ])('flags %j', (image, severity, message) => expect(imageProblem(image)).toMatchObject({ severity, message }));

  it('points at the tag, or at the whole image when there is none', () => {
    const src = pipeline(`  defaults:
    image: python
  tasks:
    a: { image: "ghcr.io/acme/etl:latest", command: [run] }
    b: { command: [run] }
`);
    const input = checked(src);
    const found = unpinnedImage.check!(input);
    expect(found.map((d) => covered(src, d))).toEqual(['python', 'latest']);
    expect(found.map((d) => d.severity)).toEqual(['error', 'error']);
  });
});

describe('PW215 missing image', () => {
  it('reports tasks without an image when there is no default', () => {
    const src = pipeline(`  tasks:
    a: { image: ghcr.io/acme/etl:1.0.0, command: [run] }
    b: { command: [run] }
`);
    expect(run(missingImage, src)).toEqual([
      "10:5-10:6 error PW215 task 'b' has no image: set its image or spec.defaults.image",
    ]);
    const withDefault = pipeline(`  defaults: { image: ghcr.io/acme/etl:1.0.0 }
  tasks:
    b: { command: [run] }
`);
    expect(run(missingImage, withDefault)).toEqual([]);
  });
});
