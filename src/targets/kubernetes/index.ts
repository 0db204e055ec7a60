/**
 * Kubernetes target: `k8s/<pipeline>.yaml`, one multi-document file per pipeline, in this order:
 * ServiceAccount, Role, RoleBinding (the runner's least-privilege identity), CronJob (only with a schedule), then one
 * suspended `batch/v1` Job per task instance in topological order. The applied Jobs are templates: they never start by
 * themselves; the runner releases a run by creating copies in `pipewright.dev/needs` order (see docs/targets.md).
 */
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IJobSpec } from 'kubernetes-models/batch/v1/JobSpec';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { generatedHeader } from '../../emit/header.js';
import { hashValue } from '../../model/hash.js';
import type { PipelineIR, TaskIR } from '../../model/ir.js';
import { renderTemplate } from '../../model/template.js';
import type { Emitter, TargetWarning } from '../target.js';
import { escapeKubernetesLiteral, kubernetesText, referencedEnvVars } from './expansion.js';
import { dnsLabel, isLabelKey, labelValue, MAX_CRONJOB_NAME, nameWithHash } from './names.js';

/** The pipewright image the CronJob runs; kept equal to package.json's version by a test. */
export const RUNNER_IMAGE = 'ghcr.io/pipewright/pipewright:0.1.0';
/** A scheduled run that could not start within this many seconds (controller down, previous run still going) is skipped. */
export const STARTING_DEADLINE_SECONDS = 300;
export const SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const FAILED_JOBS_HISTORY_LIMIT = 3;
/** Kubernetes' Job back-off between pod retries: 10s, doubled each time, capped at 6 minutes. */
const KUBERNETES_BACKOFF = '10s, 20s, 40s … capped at 6m';

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const LABEL = {
  pipeline: 'pipewright.dev/pipeline',
  task: 'pipewright.dev/task',
  version: 'pipewright.dev/version',
  specHash: 'pipewright.dev/spec-hash',
  component: 'app.kubernetes.io/component',
} as const;
const ANNOTATION = {
  needs: 'pipewright.dev/needs',
  task: 'pipewright.dev/task',
  specId: 'pipewright.dev/spec-task',
  specHash: 'pipewright.dev/spec-hash',
  version: 'pipewright.dev/version',
  source: 'pipewright.dev/source',
  retryDelay: 'pipewright.dev/retry-delay-seconds',
  description: 'pipewright.dev/description',
  inputs: 'pipewright.dev/inputs',
  outputs: 'pipewright.dev/outputs',
} as const;
/** The label key a node pool is selected by: `pool: highmem` → `nodeSelector: {pipewright.dev/pool: highmem}`. */
export const POOL_LABEL = 'pipewright.dev/pool';

interface Names {
  runner: string;
  cronJob: string;
}

export function kubernetesNames(ir: PipelineIR): Names {
  return { runner: dnsLabel(`${ir.name}-runner`), cronJob: dnsLabel(ir.name, MAX_CRONJOB_NAME) };
}

/**
 * Labels on every resource: the user's metadata.labels (valid Kubernetes keys only) under pipewright's own.
 * The spec hash is 64 hex characters, one more than a label value allows: labels carry its first 16, annotations all.
 */
function commonLabels(ir: PipelineIR, warnings: TargetWarning[]): Record<string, string> {
  const ours: Record<string, string> = {
    [MANAGED_BY]: 'pipewright',
    [LABEL.pipeline]: ir.name,
    [LABEL.specHash]: ir.specHash.slice(0, 16),
    [LABEL.version]: labelValue(ir.version),
  };
  const out: Record<string, string> = {};
  for (const key of Object.keys(ir.labels).sort()) {
    if (!isLabelKey(key)) {
      warnings.push({
        code: 'PW305',
        path: ['metadata', 'labels', key],
        message: `label key '${key}' is not a valid Kubernetes label key; the Kubernetes target leaves it out`,
      });
    } else if (Object.hasOwn(ours, key)) {
      warnings.push({
        code: 'PW305',
        path: ['metadata', 'labels', key],
        message: `label '${key}' is set by pipewright; the Kubernetes target keeps pipewright's value`,
      });
    } else out[key] = labelValue(ir.labels[key]!);
  }
  return sortRecord({ ...out, ...ours });
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

function serviceAccount(names: Names, labels: Record<string, string>): IServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: names.runner, labels } };
}

/** Only what releasing a run needs, in the namespace the file is applied to: Jobs (copy, unsuspend, clean up) and pod logs. */
function role(names: Names, labels: Record<string, string>): IRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: names.runner, labels },
    rules: [
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ],
  };
}

/** The subject has no namespace: in a RoleBinding that means the binding's own namespace, wherever the file is applied. */
function roleBinding(names: Names, labels: Record<string, string>): IRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: names.runner, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.runner },
    subjects: [{ kind: 'ServiceAccount', name: names.runner }],
  };
}

/** The runner's argv: everything it needs to release this pipeline's Jobs for the scheduled logical date. */
export function runnerArgs(ir: PipelineIR): string[] {
  const args = ['release', ir.name, '--target', 'k8s', '--namespace', '$(PIPEWRIGHT_NAMESPACE)'];
  args.push('--spec-hash', ir.specHash, '--timezone', escapeKubernetesLiteral(ir.timezone));
  if (ir.catchup) args.push('--catchup');
  if (ir.startDate !== undefined) args.push('--start-date', ir.startDate);
  if (ir.endDate !== undefined) args.push('--end-date', ir.endDate);
  if (ir.slaSeconds !== undefined) args.push('--sla-seconds', String(ir.slaSeconds));
  return args;
}

function cronJob(ir: PipelineIR, schedule: string, names: Names, labels: Record<string, string>): ICronJob {
  const podLabels = sortRecord({ ...labels, [LABEL.component]: 'runner' });
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: names.cronJob, labels, annotations: { [ANNOTATION.source]: ir.file } },
    spec: {
      schedule,
      timeZone: ir.timezone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
      suspend: !ir.enabled,
      successfulJobsHistoryLimit: SUCCESSFUL_JOBS_HISTORY_LIMIT,
      failedJobsHistoryLimit: FAILED_JOBS_HISTORY_LIMIT,
      jobTemplate: {
        metadata: { labels: podLabels },
        spec: {
          // A failed release is reported, not blindly repeated: the task Jobs carry their own retries.
          backoffLimit: 0,
          template: {
            metadata: { labels: podLabels },
            spec: {
              serviceAccountName: names.runner,
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'runner',
                  image: RUNNER_IMAGE,
                  args: runnerArgs(ir),
                  env: [{ name: 'PIPEWRIGHT_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
                },
              ],
            },
          },
        },
      },
    },
  };
}

/**
 * The task's container env, in the order Kubernetes needs: a `$(VAR)` reference only expands to variables defined
 * EARLIER in the list, so the run-time variables come first (param defaults as values, built-ins empty: the runner
 * fills them when it releases a run), then the task's env, then secrets as secretKeyRef (never values).
 */
function containerEnv(ir: PipelineIR, task: TaskIR) {
  const referenced = new Set<string>();
  for (const word of task.command) for (const v of referencedEnvVars(word)) referenced.add(v);
  for (const { value } of task.env) for (const v of referencedEnvVars(value)) referenced.add(v);
  const runtime = [...referenced].sort().map((name) => {
    const param = ir.params.find((p) => p.envVar === name);
    return { name, value: param?.default === undefined ? '' : escapeKubernetesLiteral(param.default) };
  });
  const plain = task.env.map(({ name, value }) => ({ name, value: kubernetesText(value) }));
  const secrets = task.secrets.map((s) => ({
    name: s.env,
    valueFrom: { secretKeyRef: { name: s.secretName, key: s.key } },
  }));
  return [...runtime, ...plain, ...secrets];
}

function resources(task: TaskIR) {
  const amounts: Record<string, string> = {};
  if (task.resources.cpu !== undefined) amounts.cpu = task.resources.cpu;
  if (task.resources.memory !== undefined) amounts.memory = task.resources.memory;
  return Object.keys(amounts).length === 0 ? undefined : { requests: { ...amounts }, limits: { ...amounts } };
}

function job(ir: PipelineIR, task: TaskIR, labels: Record<string, string>): IJob {
  const podLabels = { [MANAGED_BY]: 'pipewright', [LABEL.pipeline]: ir.name, [LABEL.task]: labelValue(task.id) };
  const env = containerEnv(ir, task);
  const resourceLimits = resources(task);
  const spec: IJobSpec = {
    backoffLimit: task.retries,
    ...(task.timeoutSeconds === undefined ? {} : { activeDeadlineSeconds: task.timeoutSeconds }),
    template: {
      metadata: { labels: podLabels },
      spec: {
        restartPolicy: 'Never',
        // Tasks do not talk to the API server, and service env vars would only pollute their environment.
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        ...(task.pool === undefined ? {} : { nodeSelector: { [POOL_LABEL]: task.pool } }),
        containers: [
          {
            name: 'task',
            image: task.image,
            // `args`, like Compose's `command`: the image's ENTRYPOINT (tini, a venv wrapper…) applies on both targets.
            args: task.command.map(kubernetesText),
            ...(task.workingDir === undefined ? {} : { workingDir: task.workingDir }),
            ...(env.length === 0 ? {} : { env }),
            ...(resourceLimits === undefined ? {} : { resources: resourceLimits }),
          },
        ],
      },
    },
  };
  // The whole spec is immutable once created; its hash in the name turns any change into a new Job, not a failed apply.
  const name = nameWithHash(`${ir.name}-${task.id}`, hashValue(spec).slice(0, 8));
  const annotations: Record<string, string> = {
    ...(task.description === undefined ? {} : { [ANNOTATION.description]: task.description }),
    // Lineage as written in the spec (`{{ ds }}` kept), for catalog tools reading the cluster.
    ...(task.inputs.length === 0 ? {} : { [ANNOTATION.inputs]: JSON.stringify(task.inputs.map(renderTemplate)) }),
    ...(task.outputs.length === 0 ? {} : { [ANNOTATION.outputs]: JSON.stringify(task.outputs.map(renderTemplate)) }),
    [ANNOTATION.needs]: task.needs.join(','),
    [ANNOTATION.retryDelay]: String(task.retryDelaySeconds),
    [ANNOTATION.source]: ir.file,
    [ANNOTATION.specHash]: ir.specHash,
    [ANNOTATION.specId]: task.specId,
    [ANNOTATION.task]: task.id,
    [ANNOTATION.version]: ir.version,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: sortRecord({ ...labels, [LABEL.task]: labelValue(task.id) }), annotations },
    spec: { suspend: true, ...spec },
  };
}

/** What Kubernetes cannot express exactly: said once per pipeline, at the first task it concerns. */
function capabilityWarnings(ir: PipelineIR): TargetWarning[] {
  const warnings: TargetWarning[] = [];
  const delayed = ir.tasks.find((t) => t.retries > 0 && t.retryDelaySeconds > 0);
  if (delayed) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'tasks', delayed.specId, 'retryDelay'],
      message: `Kubernetes retries a Job's pod with its own back-off (${KUBERNETES_BACKOFF}); retryDelay (${delayed.retryDelaySeconds}s for '${delayed.specId}') is recorded in the annotation ${ANNOTATION.retryDelay} but not applied`,
    });
  }
  const enumParam = ir.params.find((p) => p.enum !== undefined);
  if (enumParam) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'params', enumParam.name, 'enum'],
      message: `Kubernetes Jobs cannot check a parameter's allowed values: the Kubernetes target does not enforce the enum of '${enumParam.name}'`,
    });
  }
  if (ir.schedule !== undefined && ir.concurrency > 1) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'concurrency'],
      message: `the Kubernetes CronJob uses concurrencyPolicy Forbid: scheduled runs never overlap, so concurrency ${ir.concurrency} acts as 1`,
    });
  }
  return warnings;
}

export const emitKubernetes: Emitter = (ir) => {
  const warnings: TargetWarning[] = [];
  const labels = commonLabels(ir, warnings);
  warnings.push(...capabilityWarnings(ir));
  const names = kubernetesNames(ir);
  const documents: unknown[] = [serviceAccount(names, labels), role(names, labels), roleBinding(names, labels)];
  if (ir.schedule !== undefined) documents.push(cronJob(ir, ir.schedule, names, labels));
  for (const task of ir.tasks) documents.push(job(ir, task, labels));
  return {
    files: [{ path: `k8s/${ir.name}.yaml`, header: generatedHeader(ir), documents }],
    warnings,
  };
};
