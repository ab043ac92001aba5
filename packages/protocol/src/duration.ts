// Go-style durations ("45s", "5m", "1h30m", "2m0s"): the format Kubernetes
// tooling and exec guard's labels and annotations use, so it is parsed and
// printed exactly as Go's time.ParseDuration / Duration.String do for the
// non-negative, whole-millisecond values Wheelhouse deals in.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export class DurationError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid duration "${input}": ${reason} (expected e.g. 45s, 5m, 1h30m)`);
    this.name = 'DurationError';
  }
}

/** Parses a Go duration into milliseconds. Rejects negatives, unknown units and sub-millisecond parts. */
export function parseDuration(input: string): number {
  const s = input.trim();
  if (s === '') throw new DurationError(input, 'empty');
  if (s === '0') return 0;
  if (s.startsWith('-')) throw new DurationError(input, 'must not be negative');
  const body = s.startsWith('+') ? s.slice(1) : s;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < body.length) {
    part.lastIndex = pos;
    const m = part.exec(body);
    if (!m || m[1] === undefined || m[2] === undefined) {
      throw new DurationError(input, `unexpected "${body.slice(pos)}"`);
    }
    const unit = UNIT_MS[m[2]];
    if (unit === undefined) throw new DurationError(input, `unknown unit "${m[2]}"`);
    total += Number(m[1]) * unit;
    pos = part.lastIndex;
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) throw new DurationError(input, 'too large');
  if (!Number.isInteger(Math.round(total * 1000) / 1000) || Math.abs(total - Math.round(total)) > 1e-6) {
    throw new DurationError(input, 'finer than a millisecond');
  }
  return Math.round(total);
}

/** Formats milliseconds like Go's Duration.String(): 0s, 1.5s, 2m0s, 1h30m0s, 250ms. */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`duration must be a non-negative integer of ms, got ${ms}`);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const secMs = ms % 60_000;
  const sec = secMs % 1000 === 0 ? String(secMs / 1000) : (secMs / 1000).toFixed(3).replace(/0+$/, '');
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}
