/**
 * Kubernetes expands `$(VAR)` in a container's `command`, `args` and `env[].value` (k8s.io/kubernetes
 * third_party/forked/golang/expansion): `$$` is an escaped `$`, `$(NAME)` is replaced when NAME is defined earlier in
 * the container's env, and every other `$` stays literal. Escaping every literal `$` as `$$` is therefore exact for
 * any text, including a literal `$` directly before a reference (`$` + `$(X)` must not read as `$$(X)`).
 */
import type { Template } from '../../model/ir.js';
import { runtimeEnvVar } from '../shell.js';

export function escapeKubernetesLiteral(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/** A template as Kubernetes text: literals escaped, run-time references as `$(PIPEWRIGHT_…)`. */
export function kubernetesText(template: Template): string {
  return template.map((s) => ('text' in s ? escapeKubernetesLiteral(s.text) : `$(${runtimeEnvVar(s.ref)})`)).join('');
}

/** The run-time variables a template references, e.g. ['PIPEWRIGHT_DS']. */
export function referencedEnvVars(template: Template): string[] {
  return template.flatMap((s) => ('ref' in s ? [runtimeEnvVar(s.ref)] : []));
}
