import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { loadSpec } from '../../src/spec/load.js';
import type { Rule } from '../../src/spec/rules/rule.js';
import { didYouMean, parsePointer, reduceErrors, validateSpecs } from '../../src/spec/validate.js';

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
`;

function lines(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.file}:${d.range.start.line}:${d.range.start.column} ${d.code} ${d.message}`);
}

function validate(source: string, rules: Rule[] = []) {
  return validateSpecs([loadSpec('p.yaml', source)], rules);
}

describe('validateSpecs: schema errors at the offending node', () => {
  it('accepts a valid spec and returns it as checked', () => {
    const result = validate(VALID);
    expect(result.diagnostics).toEqual([]);
    expect(result.checked.map((c) => c.spec.metadata.name)).toEqual(['daily-orders']);
  });

  it('YAML 1.1 leftovers: unquoted version 1.10, booleans written as yes, numbers for strings', () => {
    const src = VALID.replace('version: 1.4.0', 'version: 1.10').replace(
      '  tasks:',
      '  enabled: yes\n  startDate: 2024-01-01\n  tasks:',
    );
    expect(lines(validate(src).diagnostics)).toEqual([
      'p.yaml:5:12 PW100 metadata.version must be a string (got number 1.10): write "1.10.0" (quoted)',
      "p.yaml:8:12 PW100 spec.enabled must be a boolean (got 'yes'): write true or false",
    ]);
  });

  it('unknown property at its key, with a did-you-mean and the allowed list', () => {
    const src = VALID.replace('      command:', '      retires: 3\n      command:');
    expect(lines(validate(src).diagnostics)).toEqual([
      "p.yaml:11:7 PW100 unknown property 'retires' in spec.tasks.extract: did you mean 'retries'? (allowed: command, description, env, image, inputs, matrix, needs, outputs, pool, resources, retries, retryDelay, secrets, timeout, type, workingDir)",
    ]);
  });

  it('missing required property at the parent key; at 1:1 for the document', () => {
    const src = VALID.replace('  owner: analytics\n', '');
    expect(lines(validate(src).diagnostics)).toEqual([
      "p.yaml:3:1 PW100 missing required property 'owner' in metadata",
    ]);
    expect(lines(validate('kind: Pipeline\n').diagnostics)).toEqual([
      "p.yaml:1:1 PW100 missing required property 'apiVersion'",
      "p.yaml:1:1 PW100 missing required property 'metadata'",
      "p.yaml:1:1 PW100 missing required property 'spec'",
    ]);
  });

  it('map keys: bad task ids at the key, NBSP made visible', () => {
    const src = VALID.replace('    extract:', '    extract\u00a0raw:').replace(
      'name: daily-orders',
      'name: "daily\u00a0orders"',
    );
    expect(lines(validate(src).diagnostics)).toEqual([
      "p.yaml:4:9 PW100 metadata.name must be lowercase letters, digits and '-', starting with a letter and not ending with '-', e.g. daily-orders (got 'daily\\u00a0orders'); it contains a no-break space (U+00A0)",
      "p.yaml:9:5 PW100 task id 'extract\\u00a0raw' in spec.tasks must be letters, digits, '-' and '_', starting with a letter, at most 50 characters, e.g. load_orders; it contains a no-break space (U+00A0)",
    ]);
  });

  it('huge integers are range-checked and shown as written', () => {
    const src = VALID.replace('  tasks:', '  concurrency: 123456789012345678901234567890\n  tasks:');
    expect(lines(validate(src).diagnostics)).toEqual([
      'p.yaml:8:16 PW100 spec.concurrency must be <= 100 (got number 123456789012345678901234567890)',
    ]);
  });

  it('never echoes values under env or secret-like keys', () => {
    const src = VALID.replace('      command:', '      env:\n        DB_PASSWORD: 84613329\n      command:');
    const [d] = validate(src).diagnostics;
    expect(d?.message).toBe('spec.tasks.extract.env.DB_PASSWORD must be a string (got number): quote it');
    expect(d?.message).not.toContain('84613329');
  });

  it('does not validate a document the loader rejected (its loader errors are the report)', () => {
    const result = validate(`${VALID}extra: &a [*a]\n`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['PW003']);
    expect(result.checked).toEqual([]);
  });
});

describe('validateSpecs: rules', () => {
  const seen: string[] = [];
  const rule: Rule = {
    name: 'test-rule',
    check: ({ doc, spec }) => {
      seen.push(`check ${spec.metadata.name}`);
      return [
        { file: doc.file, range: doc.rangeOf(['metadata', 'name']), severity: 'warning', code: 'PW204', message: 'w' },
      ];
    },
    checkAll: (inputs) => {
      seen.push(`checkAll ${inputs.map((i) => i.doc.file).join(',')}`);
      return [];
    },
  };

  it('runs the checks on every document, on the parts the schema did not reject, then checkAll on all; output sorted', () => {
    const docs = [
      loadSpec('b.yaml', VALID.replace('daily-orders', 'b')),
      loadSpec('bad.yaml', 'kind: x\n'),
      loadSpec('a.yaml', VALID.replace('daily-orders', 'a')),
    ];
    const result = validateSpecs(docs, [rule]);
    // bad.yaml has no valid metadata.name (the schema rejected the document's shape): its rules see what is left.
    expect(seen).toEqual(['check b', 'check undefined', 'check a', 'checkAll b.yaml,bad.yaml,a.yaml']);
    expect(result.checked.map((c) => c.doc.file)).toEqual(['b.yaml', 'a.yaml']);
    expect(result.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual([
      'a.yaml PW204',
      'b.yaml PW204',
      'bad.yaml PW100',
      'bad.yaml PW100',
      'bad.yaml PW100',
      'bad.yaml PW204',
      'bad.yaml PW100',
    ]);
  });
});

describe('helpers', () => {
  it('reduceErrors folds anyOf branches and propertyNames echoes, and drops repeats', () => {
    const e = (instancePath: string, schemaPath: string, keyword: string, params: Record<string, unknown> = {}) => ({
      instancePath,
      schemaPath,
      keyword,
      params,
    });
    const errors = [
      e('/a', '#/properties/a/anyOf/0/type', 'type', { type: 'string' }),
      e('/a', '#/properties/a/anyOf/1/type', 'type', { type: 'array' }),
      e('/a', '#/properties/a/anyOf', 'anyOf'),
      { ...e('/m', '#/properties/m/propertyNames/pattern', 'pattern', { pattern: '^x$' }), propertyName: 'Y' },
      e('/m', '#/properties/m/propertyNames', 'propertyNames', { propertyName: 'Y' }),
      e('/b', '#/properties/b/type', 'type', { type: 'string' }),
      e('/b', '#/properties/b/type', 'type', { type: 'string' }),
    ];
    expect(reduceErrors(errors).map((x) => `${x.instancePath} ${x.keyword}`)).toEqual([
      '/a anyOf',
      '/m pattern',
      '/b type',
    ]);
  });

  it('parsePointer decodes RFC 6901 escapes and indexes', () => {
    expect(parsePointer('/spec/tasks/a~1b~0c/command/2')).toEqual(['spec', 'tasks', 'a/b~c', 'command', 2]);
    expect(parsePointer('')).toEqual([]);
  });

  it('didYouMean: transpositions, case, and nothing for far-off names', () => {
    expect(didYouMean('retires', ['retries', 'timeout'])).toBe('retries');
    expect(didYouMean('Image', ['image'])).toBe('image');
    expect(didYouMean('bogus', ['retries', 'timeout'])).toBeUndefined();
  });
});
