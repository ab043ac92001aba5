// The schedule math behind `cronjob-missed-schedule` and the check's choices:
// runs due in a window (time zones, the cap), the grace before a run counts as
// missed, Forbid with a hung Job versus a run that simply never started.
import { describe, expect, it } from 'vitest';
import type { InsightInput } from '@wheelhouse/protocol';
import { MAX_COUNTED_RUNS, runsDue } from '../src/insights/cron-schedule.js';
import { InsightEngine } from '../src/insights/insight-engine.js';

const at = (iso: string) => Date.parse(iso);

describe('runsDue', () => {
  it('counts the runs due after the last one and up to now, in the CronJob time zone', () => {
    expect(runsDue('*/15 * * * *', null, at('2026-11-29T10:00:00Z'), at('2026-11-29T10:50:00Z'))).toEqual({
      first: at('2026-11-29T10:15:00Z'),
      last: at('2026-11-29T10:45:00Z'),
      count: 3,
    });
    // The last run itself is not due again, and nothing is due before the next.
    expect(runsDue('0 3 * * *', null, at('2026-11-29T03:00:00Z'), at('2026-11-30T02:59:59Z'))).toBeNull();
    // 03:00 in Berlin (UTC+1 in November) is 02:00 UTC.
    expect(runsDue('0 3 * * *', 'Europe/Berlin', at('2026-11-28T12:00:00Z'), at('2026-11-29T02:30:00Z'))).toEqual({
      first: at('2026-11-29T02:00:00Z'),
      last: at('2026-11-29T02:00:00Z'),
      count: 1,
    });
    expect(runsDue('@hourly', null, at('2026-11-29T10:00:00Z'), at('2026-11-29T12:10:00Z'))?.count).toBe(2);
  });

  it('stops counting at the controller’s limit but still knows the latest run due; junk is not judged', () => {
    const d = runsDue('* * * * *', null, at('2026-11-28T00:00:00Z'), at('2026-11-29T00:00:30Z'));
    expect(d).toEqual({ first: at('2026-11-28T00:01:00Z'), last: at('2026-11-29T00:00:00Z'), count: MAX_COUNTED_RUNS });
    expect(runsDue('not a schedule', null, 0, at('2026-11-29T00:00:00Z'))).toBeNull();
  });
});

const NOW = at('2026-11-29T10:05:45Z');

function cronJob(status: object, spec: object = {}) {
  return {
    metadata: { name: 'backup', namespace: 'ns', uid: 'cj1', creationTimestamp: '2026-11-29T09:00:00Z' },
    spec: { schedule: '* * * * *', concurrencyPolicy: 'Forbid', jobTemplate: { spec: {} }, ...spec },
    status,
  };
}
const job = (name: string, startTime: string) => ({
  metadata: { name, namespace: 'ns', uid: `job-${name}` },
  spec: {},
  status: { active: 1, startTime },
});

function run(cronJobs: object[], jobs: object[] = [], now = NOW): InsightInput[] {
  const out: InsightInput[] = [];
  const e = new InsightEngine({
    kinds: ['CronJob', 'Job'],
    owner: () => undefined,
    now: () => now,
    sink: { snapshot: (s) => out.push(...s), changes: () => undefined },
  });
  e.onList('CronJob', cronJobs as never);
  e.onList('Job', jobs as never);
  e.evaluate();
  return out.filter((i) => i.check === 'cronjob-missed-schedule');
}

describe('cronjob-missed-schedule', () => {
  it('Forbid with a Job that hangs: the runs it blocked, the Job, and deleting it as the fix', () => {
    const [i, ...rest] = run(
      [cronJob({ lastScheduleTime: '2026-11-29T10:02:00Z', active: [{ name: 'backup-1' }] })],
      [job('backup-1', '2026-11-29T10:02:01Z')],
    );
    expect(rest).toEqual([]);
    expect(i?.title).toBe('CronJob backup missed 3 runs: Job backup-1 still runs and concurrencyPolicy is Forbid');
    expect(i?.since).toBe(at('2026-11-29T10:03:00Z'));
    expect(i?.evidence).toContainEqual({
      source: 'status',
      label: 'status.active',
      value: 'backup-1 (started 2026-11-29T10:02:01Z)',
    });
    expect(i?.action).toEqual({
      action: 'delete',
      target: { kind: 'Job', namespace: 'ns', name: 'backup-1' },
      params: { propagationPolicy: 'Background' },
      label: 'Delete the stuck Job backup-1',
    });
  });

  it('a run that never started (no Job active): run it now', () => {
    const [i] = run([cronJob({ lastScheduleTime: '2026-11-29T10:00:00Z' }, { startingDeadlineSeconds: 10 })]);
    expect(i?.title).toBe('CronJob backup missed 5 runs of schedule "* * * * *"');
    expect(i?.evidence).toContainEqual({ source: 'spec', label: 'spec.startingDeadlineSeconds', value: '10' });
    expect(i?.action).toMatchObject({ action: 'trigger-job', target: { kind: 'CronJob', name: 'backup' } });
  });

  it('nothing while the last run is on time, within the grace, suspended, or before the first run is due', () => {
    expect(run([cronJob({ lastScheduleTime: '2026-11-29T10:05:00Z' })])).toEqual([]);
    // 10:05 is due and 10:04 ran: 10:05 is late by less than the grace.
    expect(run([cronJob({ lastScheduleTime: '2026-11-29T10:04:00Z' })], [], at('2026-11-29T10:05:20Z'))).toEqual([]);
    expect(run([cronJob({ lastScheduleTime: '2026-11-29T10:04:00Z' })], [], at('2026-11-29T10:05:40Z'))).toHaveLength(
      1,
    );
    expect(run([cronJob({ lastScheduleTime: '2026-11-29T09:00:00Z' }, { suspend: true })])).toEqual([]);
    expect(run([cronJob({}, { schedule: '0 3 * * *' })])).toEqual([]);
  });
});
