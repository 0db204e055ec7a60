/**
 * Diagnostics that fix the problem in one pass (issue 18 item 3): independent problems reported together, fix hints
 * that pass the schema, no raw regex in any message, indentation errors at the line that is off, a dedented field
 * recognised, foreign files called what they are.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { recognizeForeign } from '../../src/spec/foreign.js';
import { findBadIndentation } from '../../src/spec/indentation.js';
import { loadSpec } from '../../src/spec/load.js';
import { pruneRejected } from '../../src/spec/prune.js';
import { pipelineSchema, schemaErrors } from '../../src/spec/schema.js';
import { fixesFor, parsePointer, reduceErrors, validateSpecs } from '../../src/spec/validate.js';

const VALID = `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: daily-orders
  version: 1.4.0
  owner: analytics
spec:
  tasks:
    extract:
      image: registry.example.com/etl:1.4.2
      command: [python, -m, etl.extract]
    load:
      needs: [extract]
      image: registry.example.com/etl:1.4.2
      command: [python, -m, etl.load, "{{ ds }}"]
`;

function lines(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.code} ${d.message}`);
}

const validate = (source: string) => validateSpecs([loadSpec('p.yaml', source)]);

describe('independent problems in one run', () => {
  it('a bad version, a bad duration, a bad cron and a bad time zone are all reported', () => {
    const src = VALID.replace('version: 1.4.0', 'version: 1.10').replace(
      '  tasks:',
      '  schedule: "0 25 * * *"\n  timezone: Europe/Berln\n  defaults:\n    timeout: 90\n  tasks:',
    );
    const codes = validate(src).diagnostics.map((d) => d.code);
    expect(codes).toEqual(['PW100', 'PW205', 'PW206', 'PW100']);
  });

  it('rules still see tasks whose other fields were rejected; a rejected list item keeps later positions', () => {
    const src = VALID.replace('      needs: [extract]', '      needs: [extract]\n      retries: many').replace(
      '"{{ ds }}"',
      '7, "{{ params.nope }}"',
    );
    expect(lines(validate(src).diagnostics)).toEqual([
      "14:16 PW100 spec.tasks.load.retries must be an integer (got 'many')",
      '16:39 PW100 spec.tasks.load.command[3] must be a string (got number 7): quote it, e.g. "7"',
      "16:43 PW212 in command word 5 of task 'load', unknown parameter 'nope' in '{{ params.nope }}' (declare it under spec.params)",
    ]);
  });

  it('a rejected needs list is dropped whole: no unknown-needs guess at a shifted index', () => {
    const src = VALID.replace('needs: [extract]', 'needs: [3, nope]');
    expect(validate(src).diagnostics.map((d) => d.code)).toEqual(['PW100']);
  });

  it('only schema-valid documents are handed on (checked) for compiling', () => {
    const result = validate(VALID.replace('version: 1.4.0', 'version: 1.10'));
    expect(result.checked).toEqual([]);
  });

  it('pruneRejected keeps the skeleton the rules walk', () => {
    const value = { metadata: 5, spec: { tasks: { a: 3, b: { command: ['x', 2, 'y'], needs: [1] } } } };
    const errors = reduceErrors(schemaErrors(value));
    expect(pruneRejected(value, errors, parsePointer)).toEqual({
      metadata: {},
      spec: { tasks: { a: {}, b: { command: ['x', '', 'y'] } } },
    });
    expect(pruneRejected([1, 2], errors, parsePointer)).toBeUndefined();
  });
});

describe('fix hints that pass', () => {
  const schemaOf = (name: string) =>
    (pipelineSchema() as { definitions: Record<string, { properties: Record<string, object> }> }).definitions[
      name === 'version' ? 'PipelineMetadata' : 'TaskSpec'
    ]!.properties[name] as Parameters<typeof fixesFor>[1];

  it('versions are completed to MAJOR.MINOR.PATCH, durations get a unit', () => {
    expect(fixesFor('1.10', schemaOf('version'))).toEqual(['1.10.0']);
    expect(fixesFor('2', schemaOf('version'))).toEqual(['2.0.0']);
    expect(fixesFor('v1.2.3', schemaOf('version'))).toEqual(['1.2.3']);
    expect(fixesFor('90', schemaOf('timeout'))).toEqual(['90s', '90m']);
    expect(fixesFor('soon', schemaOf('timeout'))).toEqual([]);
  });

  it('every suggested value validates', () => {
    for (const [field, written] of [
      ['version', '1.10'],
      ['timeout', '90'],
    ] as const) {
      const src = VALID.replace(
        'version: 1.4.0',
        field === 'version' ? `version: ${written}` : 'version: 1.4.0',
      ).replace(
        '      command: [python, -m, etl.extract]',
        field === 'timeout'
          ? `      command: [python, -m, etl.extract]\n      timeout: ${written}`
          : '      command: [python, -m, etl.extract]',
      );
      const message = validate(src).diagnostics[0]!.message;
      const suggestion = /"([^"]+)"/.exec(message)![1]!;
      const fixed = src.replace(`${field}: ${written}`, `${field}: "${suggestion}"`);
      expect(validate(fixed).diagnostics, `${field}: ${suggestion}`).toEqual([]);
    }
  });

  it('no message quotes a regular expression; every pattern in the schema has its human message', () => {
    const bad = VALID.replace('name: daily-orders', 'name: Daily')
      .replace('version: 1.4.0', 'version: "1.4"')
      .replace('    extract:', '    "bad id":')
      .replace('needs: [extract]', 'needs: ["bad id"]\n      pool: BIG\n      resources: { cpu: lots, memory: 1GB }')
      .replace('  tasks:', '  startDate: 2024/1/1\n  sla: 5 minutes\n  params:\n    Region: {}\n  tasks:');
    const messages = validate(bad).diagnostics.map((d) => d.message);
    expect(messages.length).toBeGreaterThanOrEqual(8);
    for (const m of messages) expect(m).not.toMatch(/\^|\$|\[A-Z|\\d|must match/);
    const text = JSON.stringify(pipelineSchema());
    expect(text.match(/"pattern":/g)!.length).toBe(text.match(/"patternErrorMessage":/g)!.length);
  });
});

describe('indentation', () => {
  it('points at the line that is off, yamllint-style', () => {
    expect(findBadIndentation('a:\n  b: 1\n   c: 2\n')).toEqual({ line: 3, expected: 2, found: 3 });
    expect(findBadIndentation('a:\n  b:\n    c: 1\n   d: 2\n')).toEqual({ line: 4, expected: 4, found: 3 });
    expect(findBadIndentation('a:\n  - x\n   - y\n')).toEqual({ line: 3, expected: 2, found: 3 });
    expect(findBadIndentation(VALID)).toBeUndefined();
    // Multi-line plain scalars, block scalars and flow collections are not indentation mistakes.
    expect(findBadIndentation('a: some\n  text\nb: |\n    x\n      y\nc: [1,\n      2]\nd: 1\n')).toBeUndefined();
  });

  it('the loader reports it in place of yaml cascade', () => {
    const src = VALID.replace('      command: [python, -m, etl.extract]', '     command: [python, -m, etl.extract]');
    expect(lines(loadSpec('p.yaml', src).diagnostics)).toEqual([
      '11:6 PW001 wrong indentation: expected 6 spaces, found 5',
    ]);
  });

  it('a known field indented one level too little gets a hint, and no rule reports on the task it became', () => {
    const src = VALID.replace('    load:', '    secrets:\n      TOKEN: { ref: api/token }\n    load:');
    expect(lines(validate(src).diagnostics)).toEqual([
      "12:5 PW100 'secrets' is indented one level too little: it reads as a task named 'secrets'; as the 'secrets' field of task 'extract' it needs 6 spaces, found 4",
    ]);
  });

  it('a task that merely has a field-like name is not called misindented', () => {
    const src = VALID.replace('    load:', '    image:\n      command: [x]\n      imag: y\n    load:');
    const messages = validate(src).diagnostics.map((d) => d.message);
    expect(messages.some((m) => m.startsWith("unknown property 'imag'"))).toBe(true);
    expect(messages.some((m) => m.includes('indented'))).toBe(false);
  });
});

describe('not a pipewright spec', () => {
  it('recognises Kubernetes, GitLab, Compose and GitHub Actions files, and leaves pipelines alone', () => {
    expect(recognizeForeign({ apiVersion: 'apps/v1', kind: 'Deployment' })?.what).toBe(
      'a Kubernetes Deployment manifest (apiVersion apps/v1)',
    );
    expect(recognizeForeign({ stages: ['a'], build: { script: ['x'] } })?.what).toBe(
      "a GitLab CI file (job 'build' with script)",
    );
    expect(recognizeForeign({ services: { db: { image: 'x' } } })?.what).toBe('a Compose file (top-level services)');
    expect(recognizeForeign({ on: 'push', jobs: { a: {} } })?.what).toBe('a GitHub Actions workflow (on, jobs)');
    expect(recognizeForeign({ apiVersion: 'pipewright.dev/v2', kind: 'Pipeline' })).toBeUndefined();
    expect(recognizeForeign({ kind: 'Pipeline', metadata: {} })).toBeUndefined();
    expect(recognizeForeign({ metadata: {}, spec: { tasks: {} } })).toBeUndefined();
  });

  it('one PW101 instead of a dozen schema errors', () => {
    const result = validate('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n');
    expect(lines(result.diagnostics)).toEqual([
      '2:1 PW101 not a pipewright spec: this looks like a Kubernetes ConfigMap manifest (apiVersion v1); a pipewright spec starts with apiVersion: pipewright.dev/v1 and kind: Pipeline (keep other files out of the pipelines directory)',
    ]);
  });
});
