/**
 * The closed set of diagnostic codes. A code never changes meaning once released; docs/diagnostics.md documents
 * each one with a bad example and its exact output (re-run by test/docs.test.ts).
 *
 * PW0xx: reading YAML safely; PW1xx: schema; PW2xx: semantic rules; PW3xx: target capability warnings (compile);
 * PW4xx: cross-revision history.
 */
export const CODES = {
  PW001: 'yaml-syntax',
  PW002: 'yaml-duplicate-key',
  PW003: 'yaml-alias',
  PW004: 'yaml-merge-key',
  PW005: 'yaml-directive',
  PW006: 'yaml-multi-document',
  PW007: 'yaml-empty',
  PW008: 'yaml-too-large',
  PW009: 'yaml-tag',
  PW010: 'yaml-forbidden-key',
  PW011: 'yaml-key-type',
  PW012: 'yaml-nul-character',
  PW100: 'schema',
  PW101: 'not-a-pipewright-spec',
  PW102: 'unknown-pipeline-setting',
  PW103: 'environment-override',
  PW201: 'unknown-needs',
  PW202: 'cycle',
  PW203: 'self-dependency',
  PW204: 'duplicate-pipeline-name',
  PW205: 'invalid-cron',
  PW206: 'invalid-timezone',
  PW207: 'invalid-duration',
  PW208: 'invalid-quantity',
  PW209: 'unpinned-image',
  PW210: 'plaintext-secret',
  PW211: 'plaintext-secret-comment',
  PW212: 'unknown-template-reference',
  PW213: 'matrix-too-large',
  PW214: 'id-collision',
  PW215: 'missing-image',
  PW216: 'invalid-date',
  PW217: 'reserved-env-name',
  PW218: 'duplicate-env-name',
  PW219: 'pipeline-too-large',
  PW220: 'invalid-dataset-uri',
  PW301: 'target-gitlab-retry',
  PW302: 'target-compose-timeout',
  PW303: 'target-compose-schedule',
  PW304: 'target-gitlab-matrix',
  PW305: 'target-unsupported',
} as const;

export type DiagnosticCode = keyof typeof CODES;
