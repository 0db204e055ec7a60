/**
 * Field-level differences between two JSON values: what a plan prints for an update. Lists of objects that carry a
 * `name` (containers, env, ports) are matched by name, as server-side apply merges them; other lists by position.
 */

export interface FieldChange {
  /** JSONPath-like: `spec.template.spec.containers[name=task].image`, `data["task.extract.yaml"]`. */
  path: string;
  /** Absent when the field is added. */
  before?: unknown;
  /** Absent when the field is removed. */
  after?: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function child(path: string, key: string): string {
  if (SIMPLE_KEY.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function namedList(v: unknown[]): Map<string, unknown> | undefined {
  const out = new Map<string, unknown>();
  for (const item of v) {
    if (!isRecord(item) || typeof item.name !== 'string' || out.has(item.name)) return undefined;
    out.set(item.name, item);
  }
  return out;
}

function walk(path: string, a: unknown, b: unknown, out: FieldChange[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path, after: b });
    return;
  }
  if (b === undefined) {
    out.push({ path, before: a });
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) walk(child(path, key), a[key], b[key], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const na = namedList(a);
    const nb = namedList(b);
    if (na && nb && a.length > 0 && b.length > 0) {
      const names = [...new Set([...na.keys(), ...nb.keys()])];
      const orderA = [...na.keys()];
      const orderB = [...nb.keys()];
      for (const name of names) walk(`${path}[name=${name}]`, na.get(name), nb.get(name), out);
      if (orderA.filter((n) => nb.has(n)).join('\0') !== orderB.filter((n) => na.has(n)).join('\0'))
        out.push({ path: `${path}(order)`, before: orderA, after: orderB });
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(`${path}[${i}]`, a[i], b[i], out);
    return;
  }
  if (!Object.is(a, b)) out.push({ path, before: a, after: b });
}

/** Every field that differs from `before` to `after`, in path order. `diffValues(x, x)` is empty. */
export function diffValues(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk('', before, after, out);
  return out;
}

/**
 * True when every field of `desired` has the same value in `live` (extra live fields are someone else's or the
 * server's defaults): no drift on what we set. Named lists compare by name; other lists must be equal in length.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (isRecord(desired)) {
    if (!isRecord(live)) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || isSubset(v, live[k]));
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    const nd = namedList(desired);
    const nl = namedList(live);
    // Same names in the same order (env order matters: a $(VAR) reference only sees earlier entries).
    if (nd && nl)
      return (
        [...nd.keys()].join('\0') === [...nl.keys()].join('\0') && [...nd].every(([n, v]) => isSubset(v, nl.get(n)))
      );
    return desired.every((v, i) => isSubset(v, live[i]));
  }
  return Object.is(desired, live);
}
