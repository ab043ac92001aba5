// A linear time scale and "nice" ticks for the timeline chart (no chart library).

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface TimeScale {
  readonly t0: number;
  readonly t1: number;
  readonly x0: number;
  readonly x1: number;
  /** Pixel position of a time (not clamped). */
  x(t: number): number;
  /** Time at a pixel position (not clamped). */
  t(x: number): number;
}

/** Maps [t0, t1] (epoch ms) onto [x0, x1] (pixels). */
export function timeScale(t0: number, t1: number, x0: number, x1: number): TimeScale {
  const span = t1 - t0 || 1;
  const width = x1 - x0 || 1;
  return {
    t0,
    t1,
    x0,
    x1,
    x: (t) => x0 + ((t - t0) / span) * width,
    t: (x) => t0 + ((x - x0) / width) * span,
  };
}

/** Candidate distances between ticks, smallest first. */
export const TICK_STEPS: readonly number[] = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/** The smallest step that gives at most maxTicks ticks over span. */
export function tickStep(span: number, maxTicks: number): number {
  const n = Math.max(1, maxTicks);
  for (const s of TICK_STEPS) if (span / s <= n) return s;
  const last = TICK_STEPS[TICK_STEPS.length - 1] ?? DAY;
  return Math.ceil(span / n / last) * last;
}

export interface Tick {
  t: number;
  label: string;
  /** A day boundary (local midnight): drawn stronger, labelled with the date. */
  major: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Local time zone offset in minutes east of UTC at time t (e.g. +60 for CET). */
export function localOffset(t: number): number {
  return -new Date(t).getTimezoneOffset();
}

/** A tick label: HH:MM:SS under a minute, HH:MM under a day (the date at midnight), else "Mon D". */
export function formatTick(t: number, step: number, tzOffsetMin: number): string {
  const d = new Date(t + tzOffsetMin * MINUTE);
  const day = `${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}`;
  const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0;
  if (step >= DAY || (midnight && step >= MINUTE)) return day;
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return step < MINUTE ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
}

/**
 * Ticks within [t0, t1], aligned to round local times (multiples of the step
 * from local midnight), at most about maxTicks of them.
 */
export function timeTicks(t0: number, t1: number, maxTicks: number, tzOffsetMin: number = localOffset(t0)): Tick[] {
  if (!(t1 > t0)) return [];
  const step = tickStep(t1 - t0, maxTicks);
  const off = tzOffsetMin * MINUTE;
  const first = Math.ceil((t0 + off) / step) * step - off;
  const out: Tick[] = [];
  for (let t = first; t <= t1; t += step) {
    const local = (((t + off) % DAY) + DAY) % DAY;
    out.push({ t, label: formatTick(t, step, tzOffsetMin), major: local === 0 });
  }
  return out;
}
