// The runs a CronJob's schedule called for in a time window, computed like the
// CronJob controller does (5-field cron or @hourly/@daily…, in spec.timeZone,
// else the controller-manager's zone, which we take to be UTC). A missed run
// is one the schedule called for that never became status.lastScheduleTime.
import { CronExpressionParser } from 'cron-parser';

/** Like the controller's own limit: past 100 missed runs it stops counting ("TooManyMissedTimes"). */
export const MAX_COUNTED_RUNS = 100;

export interface ScheduledRuns {
  /** The first run due after `after` (ms). */
  first: number;
  /** The last run due at or before `until` (ms). */
  last: number;
  /** How many runs were due in (after, until], at most MAX_COUNTED_RUNS. */
  count: number;
}

/**
 * The runs due in (after, until], or null when none was due or the schedule
 * does not parse (the API server validates it, so that is an exotic syntax
 * we do not judge rather than a broken CronJob).
 */
export function runsDue(schedule: string, timeZone: string | null, after: number, until: number): ScheduledRuns | null {
  if (!(until > after)) return null;
  let it;
  try {
    it = CronExpressionParser.parse(schedule.trim(), { currentDate: new Date(after), tz: timeZone ?? 'UTC' });
  } catch {
    return null;
  }
  let first: number | null = null;
  let last: number | null = null;
  let count = 0;
  while (count < MAX_COUNTED_RUNS && it.hasNext()) {
    const t = it.next().getTime();
    if (t > until) break;
    first ??= t;
    last = t;
    count += 1;
  }
  if (first === null || last === null) return null;
  // Counting stopped at the cap: the last due run is the latest before `until`.
  if (count === MAX_COUNTED_RUNS) {
    const latest = runBefore(schedule, timeZone, until);
    if (latest !== null) last = latest;
  }
  return { first, last, count };
}

/** The latest run due at or before `at` (ms), or null. */
function runBefore(schedule: string, timeZone: string | null, at: number): number | null {
  try {
    const it = CronExpressionParser.parse(schedule.trim(), { currentDate: new Date(at + 1), tz: timeZone ?? 'UTC' });
    return it.hasPrev() ? it.prev().getTime() : null;
  } catch {
    return null;
  }
}
