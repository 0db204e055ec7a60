import { describe, expect, it } from 'vitest';
import {
  findKnownSecrets,
  findSecretSpans,
  isHighEntropy,
  isSecretLikeName,
  redactSecrets,
  secretValueKind,
} from '../../../src/spec/secrets.js';

// Test secrets are assembled at run time so that this file itself does not trip secret scanners.
const AWS = `AKIA${'IOSFODNN7EXAMPLE'}`;
const GHP = `ghp_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`;
const GLPAT = `glpat-${'xY7zQ2wE9rT4uI1oP6aS'}`;
const SLACK = `xoxb-${'123456789012-abcdefABCDEF'}`;
const PEM = `-----BEGIN RSA ${'PRIVATE KEY'}-----\nMIIEow\n-----END RSA ${'PRIVATE KEY'}-----`;

describe('known formats', () => {
  it.each([
    [AWS, 'AWS access key id'],
    [GHP, 'GitHub token'],
    [`github_pat_${'11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'}`, 'GitHub token'],
    [GLPAT, 'GitLab token'],
    [SLACK, 'Slack token'],
    [PEM, 'private key block'],
    [`AIza${'SyA1234567890abcdefghijklmnopqrstuv'}`, 'Google API key'],
  ])('finds %s', (secret, kind) => {
    const text = `before ${secret} after`;
    const [span, ...rest] = findKnownSecrets(text);
    expect(rest).toEqual([]);
    expect(span!.kind).toBe(kind);
    expect(text.slice(span!.start, span!.end)).toBe(secret);
  });

  it('finds the password of a URL but not a template or variable there', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference is the point of this input
    const text = 'postgres://loader:s3cr3t-Pw@db:5432/x and postgres://loader:{{ params.pw }}@db and https://u:${PW}@h';
    expect(findKnownSecrets(text).map((s) => [text.slice(s.start, s.end), s.kind])).toEqual([
      ['s3cr3t-Pw', 'password in a URL'],
    ]);
  });

  it('ignores look-alikes', () => {
    expect(findKnownSecrets('AKIA-not-a-key ghp_short xoxb- s3://lake/raw https://example.com/a:b@c')).toEqual([]);
  });
});

describe('secret-like names', () => {
  it.each([
    'PASSWORD',
    'DB_PASSWORD',
    'dbPassword',
    'db-pass',
    'API_KEY',
    'apiKey',
    'APIKEY',
    'GITHUB_TOKEN',
    'client_secret',
    'AWS_SECRET_ACCESS_KEY',
    'PRIVATE_KEY',
    'BASIC_AUTH',
    'credentials',
    'SIGNING_KEY',
  ])('%s is secret-like', (name) => expect(isSecretLikeName(name)).toBe(true));
  it.each([
    'TOKEN_URL',
    'PASSWORD_FILE',
    'SECRET_NAME',
    'AUTHOR',
    'PASSENGER_COUNT',
    'KEY',
    'PARTITION_KEY',
    'MODE',
    'TOKEN_TTL',
    'COMPASS',
    'TOKENIZER',
  ])('%s is not', (name) => expect(isSecretLikeName(name)).toBe(false));
});

describe('secretValueKind', () => {
  it.each([
    ['hunter22', 'literal value'],
    ['correct horse battery staple', 'literal value'],
    ['q8Zr2vX0pL9mW4tY7nB1', 'high-entropy value'],
    ['9f86d081884c7d659a2feaa0c55ad015', 'high-entropy value'],
  ])('%s is a %s', (value, kind) => expect(secretValueKind(value)).toBe(kind));
  it.each([
    '',
    'abc',
    'true',
    '3600',
    '{{ params.token }}',
    '$DB_PASSWORD',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference is the point of this input
    '${TOKEN}',
    '/run/secrets/db',
    'vault:kv/db#pw',
    '<password>',
    '****',
    'https://auth.example.com/token',
  ])('%j is not a secret value', (value) => expect(secretValueKind(value)).toBeUndefined());
  it('needs length, variety and entropy to call a value random', () => {
    expect(isHighEntropy('aaaaaaaaaaaaaaaaaaaa')).toBe(false);
    expect(isHighEntropy('abcdefghijklmnopqrst')).toBe(false); // one character class
    expect(isHighEntropy('short1A')).toBe(false);
  });
});

describe('findSecretSpans / redactSecrets on source text', () => {
  it('redacts YAML values, flags and assignments but leaves references alone', () => {
    const source = [
      '    env: { DB_PASSWORD: hunter22, MODE: batch }',
      '      API_TOKEN: "q8Zr2vX0pL9mW4tY7nB1" # rotate',
      '    command: [load, --password, "s3cr3t!!", --user, bob]',
      '    command: [load, "--token=abc123xyz"]',
      '      - --api-key',
      '      - k3y-V4lue-123',
      '    secrets: { WAREHOUSE_PASSWORD: { ref: warehouse/password } }',
      '      PASSWORD_FILE: /run/secrets/pw',
      '      TOKEN: "{{ params.token }}"',
      `    # old key ${AWS}`,
    ].join('\n');
    expect(redactSecrets(source)).toBe(
      [
        '    env: { DB_PASSWORD: ****, MODE: batch }',
        '      API_TOKEN: "****" # rotate',
        '    command: [load, --password, "****", --user, bob]',
        '    command: [load, "--token=****"]',
        '      - --api-key',
        '      - ****',
        '    secrets: { WAREHOUSE_PASSWORD: { ref: warehouse/password } }',
        '      PASSWORD_FILE: /run/secrets/pw',
        '      TOKEN: "{{ params.token }}"',
        '    # old key ****',
      ].join('\n'),
    );
    expect(findSecretSpans(source).map((s) => s.kind)).toEqual([
      'value of DB_PASSWORD',
      'value of API_TOKEN',
      'value of password',
      'value of token',
      'value of api-key',
      'AWS access key id',
    ]);
  });
});
