/** Kubernetes-style resource quantities, the subset specs allow. */
const CPU = /^(?:([0-9]+(?:\.[0-9]+)?)|([0-9]+)m)$/;
const MEMORY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const MEMORY_FACTOR: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Millicores, or undefined when invalid, zero, or more than 1024 cores. */
export function parseCpu(text: string): number | undefined {
  const m = CPU.exec(text);
  if (!m) return undefined;
  const millis = m[1] !== undefined ? Math.round(Number(m[1]) * 1000) : Number(m[2]);
  if (!Number.isSafeInteger(millis) || millis <= 0 || millis > 1024 * 1000) return undefined;
  return millis;
}

/** Bytes, or undefined when invalid, zero, fractional bytes, or more than 16 TiB. */
export function parseMemory(text: string): number | undefined {
  const m = MEMORY.exec(text);
  if (!m) return undefined;
  const bytes = Number(m[1]) * MEMORY_FACTOR[m[2] ?? '']!;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > 16 * 1024 ** 4) return undefined;
  return bytes;
}
