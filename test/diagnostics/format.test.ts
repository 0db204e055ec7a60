import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { formatCodeQuality, toCodeQuality } from '../../src/diagnostics/format-codequality.js';
import { formatJson } from '../../src/diagnostics/format-json.js';
import { summaryLine } from '../../src/diagnostics/format-summary.js';
import { formatText } from '../../src/diagnostics/format-text.js';

const SOURCE =
  'metadata:\n  version: 1.10\nspec:\n  tasks:\n    a:\n      env:\n        TOKEN: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n';

const diagnostics: Diagnostic[] = [
  {
    file: 'pipelines/a.yaml',
    range: { start: { line: 2, column: 12 }, end: { line: 2, column: 16 } },
    severity: 'error',
    code: 'PW100',
    message: 'metadata.version must be a string (got number 1.10): quote it, e.g. "1.10"',
  },
  {
    file: 'pipelines/a.yaml',
    range: { start: { line: 7, column: 16 }, end: { line: 7, column: 56 } },
    severity: 'warning',
    code: 'PW210',
    message: 'env value of TOKEN looks like a GitHub token',
  },
];
const report = { diagnostics, files: 3, sources: new Map([['pipelines/a.yaml', SOURCE]]) };

describe('formatText', () => {
  it('prints location, severity, message, code, frame and summary', () => {
    expect(formatText(report)).toBe(
      [
        'pipelines/a.yaml:2:12: error: metadata.version must be a string (got number 1.10): quote it, e.g. "1.10" [PW100]',
        '  1 | metadata:',
        '> 2 |   version: 1.10',
        '    |            ^^^^',
        '  3 | spec:',
        'pipelines/a.yaml:7:16: warning: env value of TOKEN looks like a GitHub token [PW210]',
        '  6 |       env:',
        '> 7 |         TOKEN: ****',
        '    |                ^^^^',
        '',
        '1 error, 1 warning in 3 files',
        '',
      ].join('\n'),
    );
  });

  it('prints just the summary when there is nothing to report; colours on request', () => {
    expect(formatText({ diagnostics: [], files: 1 })).toBe('0 errors, 0 warnings in 1 file\n');
    const coloured = formatText(report, { color: true });
    expect(coloured).toContain('\u001b[1;31merror\u001b[0m');
    expect(coloured).not.toContain('ghp_');
  });

  it('summaryLine pluralises', () => {
    expect(summaryLine({ files: 1, errors: 2, warnings: 1 })).toBe('2 errors, 1 warning in 1 file');
  });
});

describe('formatJson', () => {
  it('has the documented shape with 1-based positions', () => {
    expect(JSON.parse(formatJson(report))).toEqual({
      diagnostics: [
        {
          file: 'pipelines/a.yaml',
          line: 2,
          column: 12,
          endLine: 2,
          endColumn: 16,
          severity: 'error',
          code: 'PW100',
          message: 'metadata.version must be a string (got number 1.10): quote it, e.g. "1.10"',
        },
        {
          file: 'pipelines/a.yaml',
          line: 7,
          column: 16,
          endLine: 7,
          endColumn: 56,
          severity: 'warning',
          code: 'PW210',
          message: 'env value of TOKEN looks like a GitHub token',
        },
      ],
      summary: { files: 3, errors: 1, warnings: 1 },
    });
  });
});

describe('formatCodeQuality', () => {
  it('writes GitLab Code Quality issues with stable fingerprints and severities', () => {
    const issues = JSON.parse(formatCodeQuality(report));
    expect(issues[0]).toEqual({
      description: 'metadata.version must be a string (got number 1.10): quote it, e.g. "1.10" [PW100]',
      check_name: 'pipewright/PW100-schema',
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      severity: 'major',
      location: { path: 'pipelines/a.yaml', lines: { begin: 2, end: 2 } },
    });
    expect(issues[1].severity).toBe('minor');
    expect(toCodeQuality(report)).toEqual(issues);
  });

  it('keeps fingerprints when a finding moves, and distinguishes repeated identical findings', () => {
    const moved = diagnostics.map((d) => ({
      ...d,
      range: { start: { line: 40, column: 1 }, end: { line: 40, column: 2 } },
    }));
    const a = toCodeQuality(report).map((i) => i.fingerprint);
    const b = toCodeQuality({ diagnostics: moved, files: 1 }).map((i) => i.fingerprint);
    expect(b).toEqual(a);
    const twice = toCodeQuality({ diagnostics: [diagnostics[0]!, diagnostics[0]!], files: 1 });
    expect(new Set(twice.map((i) => i.fingerprint)).size).toBe(2);
  });
});
