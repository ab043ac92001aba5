// Log lines as people read them: the kubelet's RFC 3339 timestamp (nanoseconds,
// UTC) as "2026-11-29 04:00:00.123 UTC", and search matches counted.

const STAMP = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d) /;

/** A line's leading timestamp (as `timestamps=true` adds it) in readable form, and the rest of the line. */
export function splitTimestamp(line: string): { stamp: string; iso: string; text: string } | undefined {
  const m = STAMP.exec(line);
  if (!m) return undefined;
  const [all, day, time, frac, zone] = m;
  const ms = (frac ?? '').padEnd(3, '0').slice(0, 3);
  return {
    stamp: `${day} ${time}.${ms} ${zone === 'Z' ? 'UTC' : zone}`,
    iso: all.trimEnd(),
    text: line.slice(all.length),
  };
}

/** Occurrences of `term` (case-insensitive) over the lines, and how many lines have one. */
export function countMatches(lines: readonly string[], term: string): { matches: number; lines: number } {
  const t = term.toLowerCase();
  let matches = 0;
  let withMatch = 0;
  if (!t) return { matches, lines: withMatch };
  for (const l of lines) {
    const lower = l.toLowerCase();
    let n = 0;
    for (let i = lower.indexOf(t); i >= 0; i = lower.indexOf(t, i + t.length)) n++;
    matches += n;
    if (n > 0) withMatch++;
  }
  return { matches, lines: withMatch };
}

/** The file name a download gets: pod, container, previous, time. */
export function logFileName(pod: string, container: string, previous: boolean, at: Date): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  return `${pod}_${container}${previous ? '_previous' : ''}_${stamp}.log`;
}
