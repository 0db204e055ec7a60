/**
 * A faithful port of Kubernetes' variable expansion (k8s.io/kubernetes third_party/forked/golang/expansion/expand.go)
 * and of how the kubelet applies it to a container (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): each env
 * value is expanded against the variables defined before it; command and args against all of them. Undefined
 * references stay as written (`$(NOPE)`).
 */
const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

function tryReadVariableName(input: string): [read: string, isVar: boolean, advance: number] {
  switch (input[0]) {
    case OPERATOR:
      return [input.slice(0, 1), false, 1];
    case OPENER:
      for (let i = 1; i < input.length; i++) if (input[i] === CLOSER) return [input.slice(1, i), true, i + 1];
      return [OPERATOR + OPENER, false, 1];
    default:
      return [OPERATOR + input[0], false, 1];
  }
}

export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === OPERATOR && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const [read, isVar, advance] = tryReadVariableName(input.slice(cursor + 1));
      out += isVar ? mapping(read) : read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}

/** MappingFuncFor: the first context that defines the name wins; otherwise the reference is kept verbatim. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): (name: string) => string {
  return (name) => {
    for (const context of contexts) {
      const value = context.get(name);
      if (value !== undefined) return value;
    }
    return `$(${name})`;
  };
}

export interface ContainerLike {
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
}

/** What the process in the container sees: argv and environment (valueFrom entries resolved by `resolveFrom`). */
export function runContainer(
  container: ContainerLike,
  resolveFrom: (name: string, valueFrom: unknown) => string = () => '',
): { argv: string[]; env: Map<string, string> } {
  const env = new Map<string, string>();
  for (const entry of container.env ?? []) {
    const value =
      entry.valueFrom !== undefined
        ? resolveFrom(entry.name, entry.valueFrom)
        : expand(entry.value ?? '', mappingFor(env));
    env.set(entry.name, value);
  }
  const mapping = mappingFor(env);
  return { argv: [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, mapping)), env };
}
