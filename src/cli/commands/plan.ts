import { join, resolve } from 'node:path';
import { UserError } from '../../diagnostics/diagnostic.js';
import { ProjectError } from '../../emit/project.js';
import { KubeApiError, KubeUnreachableError } from '../../kube/client.js';
import { KubeConfigError } from '../../kube/kubeconfig.js';
import { UnknownKindError } from '../../kube/resources.js';
import { ApplyFailedError, ApplyRefusedError } from '../../reconcile/apply.js';
import { DesiredError } from '../../reconcile/desired.js';
import { applyMade, type Made, makePlan as makeFlowPlan, objectLedger } from '../../reconcile/flow.js';
import { INVENTORY_NAME, InventoryError } from '../../reconcile/inventory.js';
import { ClusterError } from '../../reconcile/live.js';
import { StaleDesiredError } from '../../reconcile/load-desired.js';
import { blockers, hasChanges, summarize } from '../../reconcile/plan.js';
import { planJson, renderPlanMarkdown, renderPlanText } from '../../reconcile/render.js';
import { gitCommit, LedgerError } from '../../runtime/ledger.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { ENV_OPTION, projectOptions, selectEnvironment } from '../environment.js';
import type { CliIO, Command } from '../io.js';

/** Ledger records written at once during an apply. */

const COMMON_OPTIONS = `  --target <t>           kubernetes (alias k8s; the only target plan/apply reconcile)
  --context <c>          kubeconfig context (default: its current-context)
  --namespace <n>        namespace to reconcile (default: the context's namespace, else default)
  --inventory <name>     inventory ConfigMap in that namespace (default ${INVENTORY_NAME})
  --out <dir>            output directory holding generated/k8s (default generated)
  --env <name>           environment of pipewright.yaml: reconciles generated/<env>/k8s into its namespace (its
                         objects name it: another --namespace is refused; required when it declares environments;
                         docs/environments.md)
  --force-conflicts      take over fields another field manager owns instead of reporting a conflict
  --allow-empty          allow pruning every object pipewright owns in the namespace (a spec directory without
                         specs, and no generated/k8s, then means nothing is desired; without it that is refused)
  --no-cache             check generated/k8s against a full compile instead of reusing compile's per-spec cache
                         (.pipewright/cache, as \`pipewright compile\` does; a spec or output changed since is
                         recompiled; a generated file whose recorded inode, size, mtime and ctime match is not read),
                         read and parse every generated file, and compare every live object in full instead of reading
                         only the metadata of objects verified since their last write (docs/kubernetes.md)`;

const PLAN_HELP = `Usage: pipewright plan --target kubernetes [paths…] [--context C] [--namespace N] [--env NAME] [--format text|json|markdown]
                      [--detailed-exitcode] [--inventory NAME] [--out generated] [--force-conflicts] [--allow-empty]
                      [--no-cache]

What \`pipewright apply\` would do to the cluster, without changing it. Desired state: the committed generated/k8s
files (refused when they are not what \`pipewright compile\` writes for the specs now). Live state: the namespace's
objects and its inventory (a ConfigMap listing what pipewright owns there). Every object gets one action:
  +   create      not in the cluster
  ~   update      in place; the field-level diff is what server-side apply would change (a server-side dry-run,
                  normalised: server defaults, managedFields, status… are not shown)
  -/+ replace     a field that cannot change in place changed: deleted, then created
  -   prune       in the inventory, labelled as ours, no longer generated (deleted last)
  =   unchanged   (listed with --format json)
  !   conflict    a field is owned by another field manager (apply fails unless --force-conflicts)
  !   foreign     the name is taken by an object that is not ours: refused, never touched
Objects applied before and unchanged since are recognised by their applied hash without asking the server, so a
no-op plan costs one LIST per kind and no dry-run.

Options:
${COMMON_OPTIONS}
  --format <fmt>         text (default), json, or markdown (a merge-request comment)
  --detailed-exitcode    exit 0 when there is nothing to change, 2 when there are changes, 1 on any error or a
                         plan apply would refuse (like terraform plan -detailed-exitcode)

Exit codes: 0 plan made (changes or not), 1 apply would refuse it (conflict, foreign, --allow-empty needed) or the
cluster could not be read (no kubeconfig, unreachable, RBAC forbidden, missing namespace, stale generated/k8s),
2 usage error. With --detailed-exitcode: 0 no changes, 2 changes, 1 everything else (usage errors included).
`;

const APPLY_HELP = `Usage: pipewright apply --target kubernetes [paths…] [--context C] [--namespace N] [--env NAME] [--dry-run] [--format text|json]
                       [--inventory NAME] [--out generated] [--force-conflicts] [--allow-empty] [--ledger FILE]
                       [--no-cache]

Make the namespace match the committed generated/k8s (see \`pipewright plan --help\` for how the plan is made).
Server-side apply with the field manager "pipewright", in stages: ServiceAccounts, Roles, RoleBindings, ConfigMaps,
then CronJobs; replaces delete and re-create; prune last, only objects the inventory lists AND that are labelled
app.kubernetes.io/managed-by=pipewright. The whole plan is refused while any object is in conflict or foreign, or when
it would prune everything without --allow-empty. Objects about to be created are added to the inventory before they
are created; pruned ones leave it only after their delete succeeded, so an apply interrupted at any point is
completed by the next one. Nothing changed: zero write calls. Updates and replaces are dry-run before anything is
written; creates are not (as with kubectl, the create is the server's check: a refused create stops the apply there,
and the next apply continues — \`pipewright plan\` and --dry-run do dry-run them). Every create, update, replace and
prune is appended to the ledger with the git commit and the pipeline's spec hash (written in batches of 100).

Options:
${COMMON_OPTIONS}
  --dry-run              make the plan with server-side dry-runs and print it; write nothing
  --format <fmt>         text (default) or json (plan, results and request counts)
  --ledger <file>        ledger file (default .pipewright/ledger.jsonl)

Exit codes: 0 applied (or nothing to do), 1 refused or failed (see the message; what was applied before a failure is
recorded and the next apply continues), 2 usage error.
`;

/** The cluster's and the reconciler's own errors are the user's to fix: exit 1, no stack. */
function asUserError(error: unknown): never {
  if (
    error instanceof KubeConfigError ||
    error instanceof KubeUnreachableError ||
    error instanceof ClusterError ||
    error instanceof StaleDesiredError ||
    error instanceof DesiredError ||
    error instanceof InventoryError ||
    error instanceof UnknownKindError ||
    error instanceof ApplyRefusedError ||
    error instanceof ApplyFailedError ||
    error instanceof LedgerError ||
    error instanceof ProjectError
  ) {
    throw new UserError(error.message);
  }
  if (error instanceof KubeApiError)
    throw new UserError(`the API server refused: ${error.status} ${error.reason}: ${error.message}`);
  throw error;
}

function makePlan(
  values: Record<string, string | boolean | undefined>,
  positionals: string[],
  io: CliIO,
  command: 'plan' | 'apply',
): Promise<Made> {
  const environment = selectEnvironment(io, values.env as string | undefined, command);
  const { configSource, environment: env } = projectOptions(io, environment);
  return makeFlowPlan({
    cwd: io.cwd,
    out: (values.out as string | undefined) ?? 'generated',
    specPaths: positionals.length > 0 ? positionals : ['pipelines'],
    ...(io.project?.config ? { config: io.project.config } : {}),
    project: { ...(configSource ? { configSource } : {}), ...(env ? { environment: env } : {}) },
    env: io.env,
    ...(values.context ? { context: values.context as string } : {}),
    ...(values.namespace ? { namespace: values.namespace as string } : {}),
    ...(environment?.namespace ? { defaultNamespace: environment.namespace } : {}),
    ...(values.inventory ? { inventory: values.inventory as string } : {}),
    forceConflicts: values['force-conflicts'] === true,
    allowEmpty: values['allow-empty'] === true,
    useCache: values['no-cache'] !== true,
    // apply sends creates without a dry-run first (the create is the server's check); plan and --dry-run show them
    dryRunCreates: command === 'plan' || values['dry-run'] === true,
  });
}

const OPTIONS = {
  target: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string' },
  inventory: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  'force-conflicts': { type: 'boolean' },
  'allow-empty': { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  ...ENV_OPTION,
} as const;

function checkTarget(value: string | undefined, command: string): void {
  if (value === undefined || value === 'kubernetes' || value === 'k8s') return;
  throw new UserError(
    `${command} reconciles --target kubernetes only (got '${value}'): Compose pipelines run with \`pipewright run\`, GitLab CI runs the generated pipelines itself`,
    2,
  );
}

export const command: Command = {
  summary: 'show what apply would change in a Kubernetes namespace (create, update, replace, prune…)',
  help: PLAN_HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const detailed = argv.includes('--detailed-exitcode');
    try {
      const { values, positionals } = parseCommandArgs(
        argv,
        { ...OPTIONS, 'detailed-exitcode': { type: 'boolean' } },
        'plan',
      );
      checkTarget(values.target, 'plan');
      const format = oneOf(values.format, ['text', 'json', 'markdown'] as const, '--format', 'text');
      const { plan, client } = await makePlan(values, positionals, io, 'plan').catch(asUserError);
      client.close();
      if (format === 'json') io.stdout(`${JSON.stringify({ ...planJson(plan), requests: client.counts }, null, 2)}\n`);
      else if (format === 'markdown') io.stdout(renderPlanMarkdown(plan));
      else io.stdout(renderPlanText(plan));
      if (plan.refusal || blockers(plan).length > 0) return 1;
      return detailed && hasChanges(plan) ? 2 : 0;
    } catch (e) {
      // Under --detailed-exitcode, 2 means "changes": a usage error must not look like one.
      if (detailed && e instanceof UserError && e.exitCode === 2) throw new UserError(e.message, 1);
      throw e;
    }
  },
};

export const applyCommand: Command = {
  summary: 'make a Kubernetes namespace match generated/k8s (server-side apply, prune by inventory)',
  help: APPLY_HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...OPTIONS, 'dry-run': { type: 'boolean' }, ledger: { type: 'string' } },
      'apply',
    );
    checkTarget(values.target, 'apply');
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const ledgerFile = resolve(io.cwd, values.ledger ?? join('.pipewright', 'ledger.jsonl'));
    const made = await makePlan(values, positionals, io, 'apply').catch(asUserError);
    const { plan, client } = made;
    try {
      const s = summarize(plan);
      if (values['dry-run'] || plan.refusal || blockers(plan).length > 0 || !hasChanges(plan)) {
        if (format === 'json')
          io.stdout(`${JSON.stringify({ ...planJson(plan), applied: false, requests: client.counts }, null, 2)}\n`);
        else io.stdout(renderPlanText(plan));
        const blocked = blockers(plan);
        if (plan.refusal) throw new UserError(`nothing applied: ${plan.refusal}`);
        if (blocked.length > 0) {
          throw new UserError(
            `nothing applied: ${blocked.length} object${blocked.length === 1 ? '' : 's'} blocked the plan (${blocked.map((a) => a.type).join(', ')}; see above)`,
          );
        }
        if (format === 'text')
          io.stdout(values['dry-run'] ? 'Dry run: nothing was applied.\n' : 'Nothing to apply: 0 write calls.\n');
        return 0;
      }
      if (format === 'text') io.stdout(renderPlanText(plan));
      // Ledger records in batches (one lock, write and fsync per batch instead of per object; the commit read once),
      // the rest written when apply ends, however it ends.
      const ledger = objectLedger(ledgerFile, gitCommit(io.cwd), { cwd: io.cwd, env: io.env });
      try {
        await applyMade(made, {
          ...(values.inventory ? { inventory: values.inventory } : {}),
          forceConflicts: values['force-conflicts'] === true,
          record: ledger.record,
        }).catch(asUserError);
      } finally {
        ledger.flush();
      }
      if (format === 'json')
        io.stdout(`${JSON.stringify({ ...planJson(plan), applied: true, requests: client.counts }, null, 2)}\n`);
      else
        io.stdout(
          `Apply complete: ${s.create} created, ${s.update} updated, ${s.replace} replaced, ${s.prune} pruned in namespace ${plan.namespace}.\n`,
        );
      return 0;
    } finally {
      client.close();
    }
  },
};
