import { describe, expect, it } from 'vitest';
import { plaintextSecret } from '../../../src/spec/rules/plaintext-secret.js';
import { plaintextSecretComment } from '../../../src/spec/rules/plaintext-secret-comment.js';
import { checked, covered, pipeline } from './helpers.js';

// Assembled at run time so this file does not trip secret scanners.
const AWS = `AKIA${'IOSFODNN7EXAMPLE'}`;
const GHP = `ghp_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`;
const SECRET_VALUES = [AWS, GHP, 'hunter22', 'q8Zr2vX0pL9mW4tY7nB1', 's3cr3t!!', 'Tr0ub4dor', 'pg-Pa55word'];

function findings(rule: typeof plaintextSecret, src: string) {
  const found = rule.check!(checked(src));
  for (const d of found) for (const secret of SECRET_VALUES) expect(d.message).not.toContain(secret);
  return found.map((d) => [d.message, covered(src, d)]);
}

describe('PW210 plaintext secrets in the spec', () => {
  it('finds known formats anywhere and secret-like names with literal values, never printing the value', () => {
    const src = pipeline(`  defaults:
    image: ghcr.io/acme/etl:1.0.0
    env: { AWS_ACCESS_KEY_ID: ${AWS}, LOG_LEVEL: info }
  params:
    api_token: { default: q8Zr2vX0pL9mW4tY7nB1 }
    region: { default: eu }
  tasks:
    load:
      description: "uses ${GHP} for now"
      command: [load, --password, "s3cr3t!!", "--api-key=Tr0ub4dor", --user, bob]
      env:
        DB_PASSWORD: hunter22
        TOKEN_URL: https://auth.example.com/token
        PASSWORD_FILE: /run/secrets/db
        SESSION_TOKEN: "{{ params.api_token }}"
      inputs: ["postgres://loader:pg-Pa55word@db:5432/shop"]
      secrets: { WAREHOUSE_PASSWORD: { ref: warehouse/password } }
`);
    expect(findings(plaintextSecret, src)).toEqual([
      [
        "defaults.env 'AWS_ACCESS_KEY_ID' contains a plaintext AWS access key id: store it in the secret store and reference it under 'secrets:'",
        AWS,
      ],
      [
        "description of task 'load' contains a plaintext GitHub token: store it in the secret store and reference it under 'secrets:'",
        GHP,
      ],
      [
        "inputs[0] of task 'load' contains a plaintext password in a URL: store it in the secret store and reference it under 'secrets:'",
        'pg-Pa55word',
      ],
      [
        "command word 3 of task 'load' holds a plaintext secret (literal value for 'password'): store it in the secret store and reference it under 'secrets:'",
        '"s3cr3t!!"',
      ],
      [
        "command word 4 of task 'load' holds a plaintext secret (literal value for 'api-key'): store it in the secret store and reference it under 'secrets:'",
        'Tr0ub4dor',
      ],
      [
        "env 'DB_PASSWORD' of task 'load' holds a plaintext secret (literal value for 'DB_PASSWORD'): store it in the secret store and reference it under 'secrets:'",
        'hunter22',
      ],
      [
        "default of param 'api_token' holds a plaintext secret (high-entropy value for 'api_token'): store it in the secret store and reference it under 'secrets:'",
        'q8Zr2vX0pL9mW4tY7nB1',
      ],
    ]);
  });

  it('accepts references, templates and ordinary configuration', () => {
    const src = pipeline(`  defaults:
    image: ghcr.io/acme/etl:1.0.0
  tasks:
    load:
      command: [load, --token, "{{ params.token }}", --password-file, /run/secrets/pw]
      env: { AUTH_MODE: oauth, TOKEN: "", API_KEY: $API_KEY, DB_USER: loader }
      secrets: { DB_PASSWORD: { ref: warehouse/password } }
  params:
    token: { description: API token passed at run time }
`);
    expect(findings(plaintextSecret, src)).toEqual([]);
  });
});

describe('PW211 plaintext secrets in comments', () => {
  it('finds known formats and credential-like assignments, positioned inside the comment', () => {
    const src = `# yaml-language-server: $schema=../schema/pipeline.schema.json
# deploy key: ${AWS}
${pipeline(`  defaults:
    image: ghcr.io/acme/etl:1.0.0 # password=Tr0ub4dor
  tasks:
    # the token: see the team vault entry
    # password: hunter
    a: { command: [run] }
`)}`;
    expect(findings(plaintextSecretComment, src)).toEqual([
      [
        'comment contains a plaintext AWS access key id: remove it, and rotate it: it stays readable in the Git history',
        AWS,
      ],
      [
        "comment contains a plaintext secret (value for 'password'): remove it, and rotate it: it stays readable in the Git history",
        'Tr0ub4dor',
      ],
    ]);
  });
});
