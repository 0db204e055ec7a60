/**
 * recognizeForeign: says what a YAML file is when it is clearly not a pipewright spec (a Kubernetes manifest, a GitLab
 * CI file, a Compose file, a GitHub Actions workflow…), so that validate reports one "not a pipewright spec" line
 * instead of a dozen schema errors about a file that was never meant to be a pipeline.
 * Only documents that share neither `apiVersion: pipewright.dev/…` nor `kind: Pipeline` are judged: a pipeline with a
 * typo in its header still gets the schema's precise messages.
 */

export interface Foreign {
  /** What the file looks like, e.g. "a Kubernetes Deployment manifest (apiVersion apps/v1)". */
  what: string;
  /** The top-level key to point at. */
  key: string | undefined;
}

const GITLAB_KEYWORDS = ['stages', 'include', 'workflow', 'variables', 'default', 'before_script', 'after_script'];
const JOB_KEYS = ['script', 'stage', 'trigger', 'extends'];

export function recognizeForeign(value: unknown): Foreign | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const doc = value as Record<string, unknown>;
  const apiVersion = doc.apiVersion;
  const kind = doc.kind;
  const ours =
    (typeof apiVersion === 'string' && apiVersion.startsWith('pipewright.dev/')) ||
    kind === 'Pipeline' ||
    ('metadata' in doc && 'spec' in doc && isRecord(doc.spec) && 'tasks' in doc.spec);
  if (ours) return undefined;
  if (typeof apiVersion === 'string' && typeof kind === 'string') {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    const platform = group === '' || group.endsWith('.k8s.io') || KUBERNETES_GROUPS.has(group) ? 'Kubernetes ' : '';
    return {
      what: `a ${platform}${printableShort(kind)} manifest (apiVersion ${printableShort(apiVersion)})`,
      key: 'kind',
    };
  }
  if (isRecord(doc.services) && !('spec' in doc))
    return { what: 'a Compose file (top-level services)', key: 'services' };
  if ('on' in doc && isRecord(doc.jobs)) return { what: 'a GitHub Actions workflow (on, jobs)', key: 'jobs' };
  const gitlabKey = GITLAB_KEYWORDS.find((k) => k in doc);
  const job = Object.entries(doc).find(([, v]) => isRecord(v) && JOB_KEYS.some((k) => k in v));
  if (job || (gitlabKey && !('metadata' in doc) && !('spec' in doc))) {
    const why = job
      ? `job '${printableShort(job[0])}' with ${JOB_KEYS.find((k) => k in (job[1] as object))}`
      : gitlabKey;
    return { what: `a GitLab CI file (${why})`, key: job ? job[0] : gitlabKey };
  }
  return undefined;
}

const KUBERNETES_GROUPS = new Set(['apps', 'batch', 'policy', 'autoscaling']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function printableShort(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return short.replace(/[^\x20-\x7e]/g, '?');
}
