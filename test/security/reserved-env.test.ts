/**
 * Reserved environment names (issue 11 item 6): a spec must not set the run's own variables (`PIPEWRIGHT_*`), GitLab's
 * (`CI_*`, `GITLAB_*`, the documented trace/strategy variables such as `CI_DEBUG_TRACE`, `GIT_STRATEGY`), nor give
 * one name both a value and a secret (Kubernetes would get the name twice). Positioned errors, exit 1, nothing
 * compiled.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { specProject, validateJson } from './support.js';

const spec = (defaultsEnv: string, taskEnv: string, secrets = '') => `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: p
  version: 1.0.0
  owner: data
spec:
  params:
    region: { default: eu, enum: [eu, us] }
  defaults:
    image: alpine:3.19@sha256:${'a'.repeat(64)}
    env: { ${defaultsEnv} }
  tasks:
    t:
      command: [sh, -c, 'echo "$PIPEWRIGHT_DS $PIPEWRIGHT_PARAM_REGION"']
      env: { ${taskEnv} }
      secrets: { ${secrets} }
`;

async function check(text: string) {
  const dir = specProject({ 'p.yaml': text });
  const { code, json } = await validateJson(dir);
  const compile = await runCliCapture(['compile'], { cwd: dir });
  return { dir, json, code, compile };
}

describe('reserved environment names', () => {
  it('rejects the run variables, GitLab variables and runner settings, in env and secrets, with positions', async () => {
    const { json, code, compile, dir } = await check(
      spec(
        'PIPEWRIGHT_PARAM_REGION: ap, GIT_STRATEGY: none',
        'PIPEWRIGHT_DS: "1999-01-01", CI_DEBUG_TRACE: "true", GITLAB_USER_LOGIN: me, PIPEWRIGHT_PIPELINE: x, OK_NAME: y',
        'CI_JOB_TOKEN: { ref: ci/token }',
      ),
    );
    expect(code).toBe(1);
    const found = json.diagnostics.filter((d) => d.code === 'PW217').map((d) => `${d.line}:${d.column}`);
    expect(found).toEqual(['12:12', '12:41', '16:14', '16:43', '16:67', '16:90', '17:18']);
    const messages = json.diagnostics.map((d) => d.message).join('\n');
    expect(messages).toContain("env 'PIPEWRIGHT_DS' of task 't' is reserved");
    expect(messages).toContain("defaults.env 'GIT_STRATEGY' is reserved");
    expect(messages).not.toContain('OK_NAME');
    expect(compile.code).toBe(1);
    expect(existsSync(join(dir, 'generated'))).toBe(false);
  });

  it('rejects a name given both a value and a secret (Kubernetes would list it twice)', async () => {
    const { json, code } = await check(spec('', 'DB_USER: app', 'DB_USER: { ref: db/user }'));
    expect(code).toBe(1);
    const d = json.diagnostics.find((x) => x.code === 'PW218');
    expect(d).toMatchObject({ line: 17, column: 18 });
    expect(d?.message).toMatch(/^secret 'DB_USER' of task 't' is also set in env \(16:14\)/);
    const viaDefaults = await check(spec('DB_USER: app', '', 'DB_USER: { ref: db/user }'));
    expect(viaDefaults.json.diagnostics.find((x) => x.code === 'PW218')?.message).toMatch(/defaults\.env \(12:12\)/);
  });

  it('accepts ordinary names', async () => {
    const { code, compile } = await check(
      spec('REGION_NAME: eu', 'CIRCLE: x, GITHUB_SHA: y', 'DB_USER: { ref: db/user }'),
    );
    expect(code).toBe(0);
    expect(compile.code).toBe(0);
  });
});
