// Kubernetes quantities as numbers (zod-free: the console reads them too).
/** CPU to millicores, memory to bytes. */
export function parseCpu(q: string): number | null {
  const m = /^([0-9.]+)(n|u|m)?$/.exec(q.trim());
  if (!m?.[1]) return null;
  const v = Number(m[1]);
  const unit = m[2];
  return unit === 'n' ? v / 1e6 : unit === 'u' ? v / 1e3 : unit === 'm' ? v : v * 1000;
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function parseMemory(q: string): number | null {
  const m = /^([0-9.]+)(e[0-9]+|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m?.[1]) return null;
  const unit = m[2] ?? '';
  if (unit.startsWith('e')) return Number(m[1]) * 10 ** Number(unit.slice(1));
  const f = MEMORY_UNITS[unit];
  return f === undefined ? null : Number(m[1]) * f;
}

/** Bytes as Kubernetes writes memory, rounded to MiB ("60Mi"), as the console's tables show it. */
export function formatMemory(bytes: number): string {
  return `${Math.round(bytes / 1024 ** 2)}Mi`;
}
