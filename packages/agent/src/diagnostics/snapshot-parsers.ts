// Parsers for what `ps`, `free` and `df` print inside a container, in the two
// formats images carry: procps / coreutils (Debian, Ubuntu, RHEL) and BusyBox
// (Alpine, distroless debug). Columns are found by their header, not by
// position, because the two differ (BusyBox ps has no %CPU; its RSS is
// "49m"). Commands the diagnostics snapshot runs:
//   ps -eo pid,user,%cpu,%mem,rss,args   (procps; BusyBox rejects it, then:)
//   ps -o pid,user,vsz,rss,args          (BusyBox)
//   free -k
//   df -kP
// Note for readers of `free`: inside a container it shows the node's memory,
// not the container's cgroup limit.

export interface ProcessRow {
  pid: number;
  user: string;
  /** %CPU since the process started (procps); null when the ps lacks it (BusyBox). */
  cpuPercent: number | null;
  /** %MEM of the node's memory; null when the ps lacks it. */
  memPercent: number | null;
  /** Resident memory in bytes; null when unreadable. */
  rssBytes: number | null;
  command: string;
}

export interface MemoryInfo {
  totalBytes: number;
  usedBytes: number;
  freeBytes: number;
  /** "available" (what can be allocated without swapping); estimated as free + buff/cache when not printed. */
  availableBytes: number;
  availableEstimated: boolean;
  availablePercent: number;
  /** Below LOW_MEMORY_PERCENT available. */
  low: boolean;
}

export interface DiskRow {
  filesystem: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  usePercent: number;
  mountedOn: string;
}

/** Less available memory than this share of the total is flagged. */
export const LOW_MEMORY_PERCENT = 20;

const KI = 1024;

/** BusyBox prints sizes in KiB, or scaled with a suffix ("49m", "1.5g"). */
function kibOrScaled(s: string): number | null {
  const m = /^([0-9.]+)([kmgt])?$/i.exec(s);
  if (!m?.[1]) return null;
  const scale = { k: 1, m: KI, g: KI ** 2, t: KI ** 3 }[(m[2] ?? 'k').toLowerCase() as 'k'];
  return Math.round(Number(m[1]) * scale * KI);
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** Splits into the header's count of fields; the last field keeps the rest of the line (a command, a mount point). */
function fields(line: string, count: number): string[] {
  const out: string[] = [];
  let rest = line.trim();
  while (out.length < count - 1 && rest) {
    const m = /^(\S+)\s*/.exec(rest);
    if (!m?.[1]) break;
    out.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  out.push(rest);
  return out;
}

const num = (s: string | undefined): number | null => {
  if (s === undefined || !/^[0-9.]+$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

export function parsePs(text: string): ProcessRow[] {
  const [header, ...rows] = lines(text);
  if (!header) return [];
  const cols = header.trim().split(/\s+/);
  const at = (name: string) => cols.findIndex((c) => c.toUpperCase() === name);
  const pid = at('PID');
  const command = cols.length - 1;
  if (pid < 0 || !['COMMAND', 'ARGS', 'CMD'].includes(cols[command]?.toUpperCase() ?? '')) return [];
  const user = at('USER');
  const cpu = at('%CPU');
  const mem = at('%MEM');
  const rss = at('RSS');
  return rows.flatMap((line) => {
    const f = fields(line, cols.length);
    const p = num(f[pid]);
    if (p === null) return [];
    return [
      {
        pid: p,
        user: user >= 0 ? (f[user] ?? '') : '',
        cpuPercent: cpu >= 0 ? num(f[cpu]) : null,
        memPercent: mem >= 0 ? num(f[mem]) : null,
        rssBytes: rss >= 0 ? kibOrScaled(f[rss] ?? '') : null,
        command: f[command] ?? '',
      },
    ];
  });
}

/** `free -k` (procps or BusyBox): the Mem: line under its header. */
export function parseFree(text: string): MemoryInfo | null {
  const ls = lines(text);
  const header = ls.find((l) => /\btotal\b/.test(l));
  const memLine = ls.find((l) => /^Mem:/.test(l.trim()));
  if (!header || !memLine) return null;
  const cols = header.trim().split(/\s+/);
  const values = memLine.trim().split(/\s+/).slice(1).map(Number);
  const get = (name: string) => {
    const i = cols.indexOf(name);
    const v = i >= 0 ? values[i] : undefined;
    return v !== undefined && Number.isFinite(v) ? v * KI : null;
  };
  const total = get('total');
  const used = get('used');
  const free = get('free');
  if (total === null || used === null || free === null || total === 0) return null;
  const cache = get('buff/cache') ?? (get('buffers') ?? 0) + (get('cached') ?? 0);
  const available = get('available');
  const availableBytes = available ?? free + cache;
  const availablePercent = Math.round((availableBytes * 1000) / total) / 10;
  return {
    totalBytes: total,
    usedBytes: used,
    freeBytes: free,
    availableBytes,
    availableEstimated: available === null,
    availablePercent,
    low: availablePercent < LOW_MEMORY_PERCENT,
  };
}

/** `df -kP` (POSIX format: one line per filesystem), fullest first. */
export function parseDf(text: string): DiskRow[] {
  const [header, ...rows] = lines(text);
  if (!header || !/^Filesystem/.test(header)) return [];
  return rows
    .flatMap((line) => {
      const f = fields(line, 6);
      const [filesystem, size, used, avail, capacity, mountedOn] = f;
      const s = num(size);
      const u = num(used);
      const a = num(avail);
      const pct = num(capacity?.replace(/%$/, ''));
      if (!filesystem || s === null || u === null || a === null || pct === null || !mountedOn) return [];
      return [{ filesystem, sizeBytes: s * KI, usedBytes: u * KI, availableBytes: a * KI, usePercent: pct, mountedOn }];
    })
    .sort((x, y) => y.usePercent - x.usePercent || y.usedBytes - x.usedBytes);
}

/** The top processes by resident memory and, when the ps shows it, by CPU. */
export function topProcesses(
  rows: readonly ProcessRow[],
  n = 10,
): { byMemory: ProcessRow[]; byCpu: ProcessRow[] | null } {
  const byMemory = [...rows].sort((a, b) => (b.rssBytes ?? -1) - (a.rssBytes ?? -1)).slice(0, n);
  const hasCpu = rows.some((r) => r.cpuPercent !== null);
  const byCpu = hasCpu ? [...rows].sort((a, b) => (b.cpuPercent ?? -1) - (a.cpuPercent ?? -1)).slice(0, n) : null;
  return { byMemory, byCpu };
}
