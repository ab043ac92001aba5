// Sizes on the command line and in the chart: 500MiB, 10GB, 1.5GiB, 0 (off).
const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

export function parseByteSize(input: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(input.trim());
  const unit = m?.[2]?.toUpperCase() ?? '';
  const factor = UNITS[unit];
  if (!m?.[1] || factor === undefined) {
    throw new Error(`invalid size "${input}": use a number of bytes or one with B, KB, MB, GB, TB, KiB, MiB, GiB, TiB`);
  }
  const bytes = Math.floor(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) throw new Error(`invalid size "${input}": too large`);
  return bytes;
}
