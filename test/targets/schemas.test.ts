/**
 * Every generated file validates against the targets' official schemas, vendored in test/schemas/ (see its README for
 * sources, versions and licences): Compose spec, GitLab's ci.json, Kubernetes 1.32 strict schemas for every kind the
 * Kubernetes target emits (Job, CronJob, ServiceAccount, Role, RoleBinding, ConfigMap; a kind without a strict schema
 * fails), plus kubernetes-models' own validation (enums and required fields the strict schemas skip) for every
 * document. Files come from: every compile fixture's expected/ outputs, every fixture compiled for all three targets,
 * and the repository's own pipelines/ compiled for all three targets. Files are read back as YAML 1.1 (what Compose,
 * GitLab and Kubernetes parsers do) and must mean the same as under YAML 1.2.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { compileSources } from '../../src/emit/compile.js';
import { isSpecIndexPath, parseSpecIndex } from '../../src/emit/spec-index.js';
import { TARGETS } from '../../src/targets/target.js';
import { compileCase, compileCases, FIXTURES_ROOT, specInputs } from './support/fixtures.js';
import { type TargetValidators, targetValidators } from './target-schemas.js';

let validators: TargetValidators;

beforeAll(() => {
  validators = targetValidators();
});

const K8S_MODELS: Record<string, (data: never) => { validate(): void }> = {
  Job: (d) => new Job(d),
  CronJob: (d) => new CronJob(d),
  ServiceAccount: (d) => new ServiceAccount(d),
  Role: (d) => new Role(d),
  RoleBinding: (d) => new RoleBinding(d),
  ConfigMap: (d) => new ConfigMap(d),
};

/** The documents of a file as YAML 1.1 readers see them; fails when 1.1 and 1.2 disagree or parsing is unclean. */
function readAsTargets(path: string, text: string): unknown[] {
  const docs11 = parseAllDocuments(text, { version: '1.1' });
  const docs12 = parseAllDocuments(text, { version: '1.2' });
  if (!Array.isArray(docs11) || !Array.isArray(docs12)) throw new Error(`${path}: empty YAML stream`);
  for (const d of [...docs11, ...docs12])
    expect(
      [...d.errors, ...d.warnings].map((e) => e.message),
      path,
    ).toEqual([]);
  const values = docs11.map((d) => d.toJS());
  expect(values, `${path}: YAML 1.1 and 1.2 readings differ`).toEqual(docs12.map((d) => d.toJS()));
  return values;
}

function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Schema errors of one generated file, by the target directory it lives in. */
function validateFile(path: string, text: string): string[] {
  const target = path.split('/')[0];
  // the spec index is no target's file (JSON for diff, src/emit/spec-index.ts): it must read back as one
  if (isSpecIndexPath(path)) return parseSpecIndex(text) ? [] : [`${path}: not a readable spec index file`];
  const docs = readAsTargets(path, text);
  const errors: string[] = [];
  for (const doc of docs) {
    if (target === 'compose') errors.push(...errorsOf(validators.compose, doc));
    else if (target === 'gitlab') errors.push(...errorsOf(validators.gitlab, doc));
    else if (target === 'k8s') {
      const kind = (doc as { kind?: string }).kind ?? '';
      const strict = validators.kinds.get(kind);
      if (strict) errors.push(...errorsOf(strict, doc));
      else errors.push(`no strict schema for kind ${JSON.stringify(kind)} in test/schemas/sources.json`);
      // The run plan: each task's Job template is YAML text that must itself be a strictly valid Job.
      if (kind === 'ConfigMap') {
        for (const [key, value] of Object.entries((doc as { data?: Record<string, string> }).data ?? {})) {
          const inner = readAsTargets(`${path}#${key}`, value);
          if (!key.startsWith('task.')) continue;
          for (const job of inner) {
            errors.push(...errorsOf(validators.kinds.get('Job')!, job).map((e) => `${key}: ${e}`));
            try {
              new Job(job as never).validate();
            } catch (e) {
              errors.push(`${key}: kubernetes-models Job: ${(e as Error).message}`);
            }
          }
        }
      }
      const model = K8S_MODELS[kind];
      if (!model) errors.push(`unexpected kind ${JSON.stringify(kind)}`);
      else {
        try {
          model(doc as never).validate();
        } catch (e) {
          errors.push(`kubernetes-models ${kind}: ${(e as Error).message}`);
        }
      }
    } else errors.push(`unknown target directory ${target}`);
  }
  return errors.map((e) => `${path}: ${e}`);
}

function expectedFiles(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string, base: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path, base);
      else if (/\.ya?ml$/.test(e.name))
        out.push([relative(base, path).split('\\').join('/'), readFileSync(path, 'utf8')]);
    }
  };
  for (const name of compileCases()) {
    const base = join(FIXTURES_ROOT, name, 'expected');
    try {
      walk(base, base);
    } catch {
      // a case without expected outputs (an error case) has nothing to validate
    }
  }
  return out;
}

describe('generated files validate against the target schemas', () => {
  it('every expected file of every compile fixture', () => {
    const files = expectedFiles();
    expect(files.some(([p]) => p.startsWith('k8s/'))).toBe(true);
    expect(files.some(([p]) => p.startsWith('gitlab/'))).toBe(true);
    for (const [path, text] of files) expect(validateFile(path, text)).toEqual([]);
  });

  it('every fixture compiled for all targets', () => {
    let count = 0;
    for (const name of compileCases()) {
      for (const [path, text] of compileCase(name, TARGETS).files) {
        count++;
        expect(validateFile(path, text)).toEqual([]);
      }
    }
    expect(count).toBeGreaterThan(0);
  });

  it("the repository's pipelines compiled for all targets", () => {
    const inputs = specInputs('pipelines');
    const result = compileSources(inputs, { targets: TARGETS, outDir: 'generated' });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (inputs.length > 0) expect(result.files.size).toBeGreaterThanOrEqual(inputs.length * TARGETS.length);
    for (const [path, text] of result.files) expect(validateFile(path, text)).toEqual([]);
  });

  it('rejects what the targets would reject (the validators are live)', () => {
    const badJob =
      'apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  bogus: 1\n  template: {spec: {restartPolicy: Never, containers: [{name: a, image: b}]}}\n';
    expect(validateFile('k8s/x.yaml', badJob).join('\n')).toContain('must NOT have additional properties');
    const badEnum =
      'apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  template: {spec: {restartPolicy: Sometimes, containers: [{name: a, image: b}]}}\n';
    expect(validateFile('k8s/x.yaml', badEnum).join('\n')).toContain('kubernetes-models Job');
    // every emitted kind has a strict schema: an unknown field anywhere is rejected
    const badRole =
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x}\nrules: [{apiGroups: [batch], resources: [jobs], verbs: [get], scope: all}]\n';
    expect(validateFile('k8s/x.yaml', badRole).join('\n')).toContain('must NOT have additional properties');
    const badBinding =
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: x, owner: me}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: x}\n';
    expect(validateFile('k8s/x.yaml', badBinding).join('\n')).toContain('must NOT have additional properties');
    const badAccount = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\nautomount: false\n';
    expect(validateFile('k8s/x.yaml', badAccount).join('\n')).toContain('must NOT have additional properties');
    const badConfigMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\nbinary: {}\n';
    expect(validateFile('k8s/x.yaml', badConfigMap).join('\n')).toContain('must NOT have additional properties');
    const unknownKind = 'apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {a: b}\n';
    expect(validateFile('k8s/x.yaml', unknownKind).join('\n')).toContain('no strict schema for kind "Secret"');
    expect(validateFile('gitlab/x.gitlab-ci.yml', 'job:\n  script: [a]\n  retry: 3\n').length).toBeGreaterThan(0);
    expect(validateFile('compose/x.compose.yaml', 'services:\n  a:\n    restart: 7\n').length).toBeGreaterThan(0);
    expect(() => readAsTargets('x.yaml', 'a: yes\n')).toThrow();
  });
});
