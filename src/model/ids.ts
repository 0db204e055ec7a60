/**
 * Name normalisation shared by validation (collision rule) and normalize: every target needs DNS-1123-ish names,
 * so `load_orders` and `load-orders` are the same task after normalisation and must collide loudly.
 */
export function normalizeName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Instance id of a task: normalized spec id plus matrix values in key order (`transform` + {region: eu} → `transform-eu`). */
export function instanceId(specId: string, matrix: Record<string, string>): string {
  const parts = [
    specId,
    ...Object.keys(matrix)
      .sort()
      .map((k) => matrix[k]!),
  ];
  return normalizeName(parts.join('-'));
}

/** Run-time environment variable of a param: `region` → `PIPEWRIGHT_PARAM_REGION`. */
export function paramEnvVar(name: string): string {
  return `PIPEWRIGHT_PARAM_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
