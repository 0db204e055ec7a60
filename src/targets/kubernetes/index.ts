/**
 * Kubernetes target: `k8s/<pipeline>.yaml`, one multi-document file per pipeline, in this order:
 * ServiceAccount, Role, RoleBinding (the runner's least-privilege identity), the run plan ConfigMap, and a CronJob
 * (only with a schedule) that starts `pipewright release`. The run plan holds the pipeline-wide facts once
 * (`pipeline.yaml`) and one Job template per task instance (`task.<id>.yaml`, topological order); the runner creates
 * a run's Jobs from it. No idle Job is parked in the cluster (docs/kubernetes.md has the numbers behind this choice).
 *
 * A one-line change is a one-object change: no object carries spec-wide labels (spec hash, version); those live in
 * the plan's `pipeline.yaml` only, and each task template carries its own content hash.
 */
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IJobSpec } from 'kubernetes-models/batch/v1/JobSpec';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { generatedHeader } from '../../emit/header.js';
import { serializeDocument } from '../../emit/serialize.js';
import type { PipelineIR, TaskIR } from '../../model/ir.js';
import { renderTemplate } from '../../model/template.js';
import type { Emitter, TargetWarning } from '../target.js';
import { escapeKubernetesLiteral, kubernetesText, referencedEnvVars } from './expansion.js';
import { dnsLabel, isLabelKey, labelValue, MAX_CRONJOB_NAME } from './names.js';
import { PIPELINE_KEY, type RunPlanPipeline, runPlanName, taskKey } from './run-plan.js';

/**
 * The default image the CronJob's runner uses: what `docker build -t pipewright:<version> .` (the Dockerfile over the
 * npm package) tags locally — no registry we do not own. Kept equal to package.json's version by a test; a project
 * pushing the image elsewhere sets its own reference (see docs/kubernetes.md).
 */
export const RUNNER_IMAGE = 'localhost/pipewright:0.1.0';
/** A scheduled run that could not start within this many seconds (controller down, previous run still going) is skipped. */
export const STARTING_DEADLINE_SECONDS = 300;
export const SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const FAILED_JOBS_HISTORY_LIMIT = 3;

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const LABEL = {
  pipeline: 'pipewright.dev/pipeline',
  task: 'pipewright.dev/task',
  component: 'app.kubernetes.io/component',
} as const;
const ANNOTATION = {
  needs: 'pipewright.dev/needs',
  task: 'pipewright.dev/task',
  type: 'pipewright.dev/type',
  specId: 'pipewright.dev/spec-task',
  taskHash: 'pipewright.dev/task-hash',
  source: 'pipewright.dev/source',
  retries: 'pipewright.dev/retries',
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
  plan: string;
}

export function kubernetesNames(pipeline: string): Names {
  return {
    runner: dnsLabel(`${pipeline}-runner`),
    cronJob: dnsLabel(pipeline, MAX_CRONJOB_NAME),
    plan: runPlanName(pipeline),
  };
}

/**
 * Labels on every resource: the user's metadata.labels (valid Kubernetes keys only) under pipewright's own, which
 * say what owns the object and which pipeline it belongs to — never the spec hash or version, which change with
 * every edit (they are in the run plan's `pipeline.yaml`).
 */
function commonLabels(ir: PipelineIR, warnings: TargetWarning[]): Record<string, string> {
  const ours: Record<string, string> = {
    [MANAGED_BY]: 'pipewright',
    [LABEL.pipeline]: ir.name,
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

/**
 * Only what releasing a run needs, in the namespace the file is applied to: read this pipeline's run plan, create,
 * follow and clean up Jobs, read pod logs.
 */
function role(names: Names, labels: Record<string, string>): IRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: names.runner, labels },
    rules: [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [names.plan], verbs: ['get'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get', 'list', 'watch'] },
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

/**
 * The runner's argv. Everything else it needs (schedule, timezone, catchup, dates, SLA, tasks) it reads from the run
 * plan, so editing those changes the plan alone, not the CronJob too.
 */
export function runnerArgs(pipeline: string): string[] {
  return [
    'release',
    escapeKubernetesLiteral(pipeline),
    '--target',
    'kubernetes',
    '--namespace',
    '$(PIPEWRIGHT_NAMESPACE)',
    '--scheduled',
  ];
}

function cronJob(
  ir: PipelineIR,
  schedule: string,
  names: Names,
  labels: Record<string, string>,
  image: string,
): ICronJob {
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
                  image,
                  args: runnerArgs(ir.name),
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

/**
 * A task's Job template in the run plan. The runner names each attempt's Job and fills the PIPEWRIGHT_* values; it
 * retries itself (honouring retryDelay), so the Job's own back-off is off.
 */
function jobTemplate(ir: PipelineIR, task: TaskIR, labels: Record<string, string>): IJob {
  const podLabels = { [MANAGED_BY]: 'pipewright', [LABEL.pipeline]: ir.name, [LABEL.task]: labelValue(task.id) };
  const env = containerEnv(ir, task);
  const resourceLimits = resources(task);
  const spec: IJobSpec = {
    backoffLimit: 0,
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
  const annotations: Record<string, string> = {
    ...(task.description === undefined ? {} : { [ANNOTATION.description]: task.description }),
    // Lineage as written in the spec (`{{ ds }}` kept), for catalog tools reading the cluster.
    ...(task.inputs.length === 0 ? {} : { [ANNOTATION.inputs]: JSON.stringify(task.inputs.map(renderTemplate)) }),
    ...(task.outputs.length === 0 ? {} : { [ANNOTATION.outputs]: JSON.stringify(task.outputs.map(renderTemplate)) }),
    [ANNOTATION.needs]: task.needs.join(','),
    [ANNOTATION.retries]: String(task.retries),
    [ANNOTATION.retryDelay]: String(task.retryDelaySeconds),
    [ANNOTATION.specId]: task.specId,
    [ANNOTATION.task]: task.id,
    // This task's own content hash: it changes when this task changes, and only then.
    [ANNOTATION.taskHash]: task.hash,
    [ANNOTATION.type]: task.type,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { labels: sortRecord({ ...labels, [LABEL.task]: labelValue(task.id) }), annotations },
    spec,
  };
}

/** The pipeline-wide facts, in one place: what the runner needs besides the task templates. */
function pipelineFacts(ir: PipelineIR): RunPlanPipeline {
  return {
    pipeline: ir.name,
    version: ir.version,
    specHash: ir.specHash,
    source: ir.file,
    ...(ir.schedule === undefined ? {} : { schedule: ir.schedule }),
    timezone: ir.timezone,
    enabled: ir.enabled,
    catchup: ir.catchup,
    ...(ir.startDate === undefined ? {} : { startDate: ir.startDate }),
    ...(ir.endDate === undefined ? {} : { endDate: ir.endDate }),
    concurrency: ir.concurrency,
    ...(ir.slaSeconds === undefined ? {} : { slaSeconds: ir.slaSeconds }),
    params: ir.params.map((p) => ({
      name: p.name,
      env: p.envVar,
      ...(p.default === undefined ? {} : { default: p.default }),
      ...(p.enum === undefined ? {} : { enum: p.enum }),
    })),
    tasks: ir.tasks.map((t) => t.id),
  };
}

function runPlan(ir: PipelineIR, names: Names, labels: Record<string, string>): IConfigMap {
  const data: Record<string, string> = { [PIPELINE_KEY]: serializeDocument(pipelineFacts(ir)) };
  for (const task of ir.tasks) data[taskKey(task.id)] = serializeDocument(jobTemplate(ir, task, labels));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: names.plan, labels: sortRecord({ ...labels, [LABEL.component]: 'run-plan' }) },
    data,
  };
}

/** What Kubernetes cannot express exactly: said once per pipeline, at the first task it concerns. */
function capabilityWarnings(ir: PipelineIR): TargetWarning[] {
  const warnings: TargetWarning[] = [];
  if (ir.schedule !== undefined && ir.concurrency > 1) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'concurrency'],
      message: `the Kubernetes CronJob uses concurrencyPolicy Forbid: scheduled runs never overlap, so concurrency ${ir.concurrency} acts as 1`,
    });
  }
  return warnings;
}

/** What the API server accepts in a ConfigMap's data (keys and values together). */
export const MAX_CONFIGMAP_BYTES = 1024 * 1024;

function planSize(plan: IConfigMap): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(plan.data ?? {}))
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  return bytes;
}

export const emitKubernetes: Emitter = (ir, options) => {
  const warnings: TargetWarning[] = [];
  const labels = commonLabels(ir, warnings);
  warnings.push(...capabilityWarnings(ir));
  const names = kubernetesNames(ir.name);
  const plan = runPlan(ir, names, labels);
  const size = planSize(plan);
  if (size > MAX_CONFIGMAP_BYTES) {
    warnings.push({
      code: 'PW305',
      path: ['spec', 'tasks'],
      message: `the Kubernetes run plan of '${ir.name}' is ${size} bytes for ${ir.tasks.length} task instances, more than the ${MAX_CONFIGMAP_BYTES} a ConfigMap holds: the API server will refuse it at apply; split the pipeline`,
    });
  }
  const documents: { metadata: { name?: string } }[] = [
    serviceAccount(names, labels),
    role(names, labels),
    roleBinding(names, labels),
    plan,
  ] as { metadata: { name?: string } }[];
  const runnerImage = ir.environment?.runnerImage ?? options?.runnerImage ?? RUNNER_IMAGE;
  if (ir.schedule !== undefined) documents.push(cronJob(ir, ir.schedule, names, labels, runnerImage) as never);
  const namespace = ir.environment?.namespace;
  if (namespace !== undefined) {
    // An environment's namespace goes on every object (right after its name), so `kubectl apply -f` needs no -n.
    for (const doc of documents) {
      const { name, ...rest } = doc.metadata;
      doc.metadata = { ...(name !== undefined ? { name } : {}), namespace, ...rest } as typeof doc.metadata;
    }
  }
  return {
    files: [{ path: `k8s/${ir.name}.yaml`, header: generatedHeader(ir), documents }],
    warnings,
  };
};
