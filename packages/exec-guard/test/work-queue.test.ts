// The applier's scheduler: lanes in priority order, one job per key at a time,
// bounds that spill, backoff that keeps a job's place, and finishing for good.
import { describe, expect, it } from 'vitest';
import { WorkQueue, type Job } from '../src/work-queue.js';

type Lane = 'extend' | 'interact';
interface Item {
  id: string;
  pod: string;
  lane: Lane;
}

const queue = (over: { interact?: number; extend?: number; concurrency?: number } = {}) =>
  new WorkQueue<Lane, Item>(
    {
      lanes: [
        { name: 'extend', bound: over.extend ?? 10 },
        { name: 'interact', bound: over.interact ?? 10 },
      ],
      concurrency: over.concurrency ?? 4,
      backoffMs: 100,
      maxBackoffMs: 1000,
    },
    (i) => ({ id: i.id, key: i.pod, lane: i.lane }),
  );
const item = (id: string, pod: string, lane: Lane = 'interact'): Item => ({ id, pod, lane });
const ids = (jobs: (Job<Lane, Item> | undefined)[]): (string | undefined)[] => jobs.map((j) => j?.id);

describe('work queue', () => {
  it('takes the higher-priority lane first, in arrival order within a lane', () => {
    const q = queue();
    q.offer(item('i1', 'a'));
    q.offer(item('i2', 'b'));
    q.offer(item('x1', 'c', 'extend'));
    expect(ids([q.take(0), q.take(0), q.take(0), q.take(0)])).toEqual(['x1', 'i1', 'i2', undefined]);
  });

  it('never runs two jobs for the same key at once, and lets other keys pass meanwhile', () => {
    const q = queue();
    q.offer(item('i1', 'pod-a'));
    q.offer(item('i2', 'pod-a'));
    q.offer(item('i3', 'pod-b'));
    const first = q.take(0);
    expect(first?.id).toBe('i1');
    expect(q.take(0)?.id).toBe('i3');
    expect(q.take(0)).toBeUndefined();
    if (first) q.finish(first);
    expect(q.take(0)?.id).toBe('i2');
  });

  it('runs at most `concurrency` jobs', () => {
    const q = queue({ concurrency: 2 });
    for (const n of [1, 2, 3]) q.offer(item(`i${n}`, `p${n}`));
    const a = q.take(0);
    q.take(0);
    expect(q.take(0)).toBeUndefined();
    expect(q.inFlight).toBe(2);
    if (a) q.finish(a);
    expect(q.take(0)?.id).toBe('i3');
  });

  it('does not queue an id twice while it is queued or running, but does once it finished', () => {
    const q = queue();
    expect(q.offer(item('i1', 'a'))).toBe('queued');
    expect(q.offer(item('i1', 'a'))).toBe('known');
    const j = q.take(0);
    expect(q.offer(item('i1', 'a'))).toBe('known');
    if (j) q.finish(j);
    expect(q.offer(item('i1', 'a'))).toBe('queued');
  });

  it('refuses a full lane and asks for a reload once everything has drained', () => {
    const q = queue({ interact: 2 });
    expect(q.offer(item('i1', 'a'))).toBe('queued');
    expect(q.offer(item('i2', 'b'))).toBe('queued');
    expect(q.offer(item('i3', 'c'))).toBe('full');
    // The other lane still takes work.
    expect(q.offer(item('x1', 'd', 'extend'))).toBe('queued');
    expect(q.depth('interact')).toBe(2);
    expect(q.idle()).toBe(false);
    const running = [q.take(0), q.take(0), q.take(0)];
    expect(q.needsReload()).toBe(false); // still running
    for (const j of running) if (j) q.finish(j);
    expect(q.needsReload()).toBe(true);
    expect(q.idle()).toBe(false);
    expect(q.beginReload()).toEqual(['interact']);
    expect(q.needsReload()).toBe(false);
    expect(q.idle()).toBe(true);
    // A failed reload marks the lane again.
    q.markSpilled('interact');
    expect(q.needsReload()).toBe(true);
  });

  it('retries with doubling backoff up to the maximum, and the job keeps its place in a full lane', () => {
    const q = queue({ interact: 1 });
    q.offer(item('i1', 'a'));
    let job = q.take(0);
    if (!job) throw new Error('no job');
    expect(q.offer(item('i2', 'b'))).toBe('queued'); // the lane had room while i1 ran
    const delays: number[] = [];
    let now = 0;
    for (let n = 0; n < 6; n++) {
      const delay = q.retry(job, now);
      delays.push(delay);
      expect(q.take(now + delay - 1)?.id).not.toBe('i1'); // not before its time
      now += delay;
      job = q.take(now);
      while (job && job.id !== 'i1') {
        q.finish(job);
        job = q.take(now);
      }
      if (!job) throw new Error('i1 did not come back');
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(job.attempts).toBe(6);
    expect(q.depth('interact')).toBe(0);
  });

  it('says when the next waiting job becomes ready', () => {
    const q = queue();
    q.offer(item('i1', 'a'));
    const j = q.take(1000);
    expect(q.nextReadyAt(1000)).toBeUndefined();
    if (j) q.retry(j, 1000);
    expect(q.nextReadyAt(1000)).toBe(1100);
    expect(q.take(1050)).toBeUndefined();
    expect(q.take(1100)?.id).toBe('i1');
  });
});
