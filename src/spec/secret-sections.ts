import { CST, Parser } from 'yaml';

/**
 * Offsets [start, end) of every scalar under a `secrets:` key that is not a `ref`: what a spec author wrote where only
 * a reference belongs (`secrets: { TOKEN: { value: "s3cr…" } }`, `secrets: { TOKEN: s3cr… }`) is a secret value, even
 * when no detector recognises it and the schema rejects the file. Code frames mask these.
 *
 * Reads yaml's concrete syntax tree (no composition, no alias resolution) with an explicit stack, so any file the
 * loader may still be reporting on — malformed, deeply nested, huge — is walked in linear time without recursion.
 */
export function secretValueRanges(source: string): [number, number][] {
  if (!source.includes('secrets')) return [];
  const out: [number, number][] = [];
  const stack: { token: CST.Token | undefined; inSecrets: boolean; key?: string }[] = [];
  for (const token of new Parser().parse(source)) stack.push({ token, inSecrets: false });
  while (stack.length > 0) {
    const { token, inSecrets, key } = stack.pop()!;
    if (!token) continue;
    switch (token.type) {
      case 'document':
        stack.push({ token: token.value, inSecrets });
        break;
      case 'block-map':
      case 'flow-collection':
        for (const item of token.items) {
          const name = item.key && CST.isScalar(item.key) ? scalarText(item.key) : undefined;
          if (item.key && !CST.isScalar(item.key)) stack.push({ token: item.key, inSecrets });
          stack.push({ token: item.value, inSecrets: inSecrets || name === 'secrets', ...keyOf(name, item, key) });
        }
        break;
      case 'block-seq':
        for (const item of token.items) stack.push({ token: item.value, inSecrets, ...(key ? { key } : {}) });
        break;
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'block-scalar':
        if (inSecrets && key !== 'ref') {
          const range = CST.resolveAsScalar(token, false, () => {})?.range;
          if (range && range[1] > range[0]) out.push([range[0], range[1]]);
        }
        break;
      default:
        break;
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The key a value is given: its own for a pair, the enclosing one for a flow-sequence item. */
function keyOf(name: string | undefined, item: CST.CollectionItem, outer: string | undefined): { key?: string } {
  if (item.key) return name === undefined ? {} : { key: name };
  return outer === undefined ? {} : { key: outer };
}

function scalarText(token: CST.FlowScalar | CST.BlockScalar): string | undefined {
  return CST.resolveAsScalar(token, false, () => {})?.value;
}
