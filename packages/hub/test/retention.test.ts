// Retention on both stores: timeline events by age and by total size, shell
// recordings by age and by total size — oldest first, the newest kept, open
// sessions never touched — in batches that let other queries through.
import type { TimelineEventInput } from '@wheelhouse/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../src/clusters/cluster-store.js';
import { Retention } from '../src/retention/retention.js';
import { parseByteSize } from '../src/retention/byte-size.js';
import { ShellStore } from '../src/shell/shell-store.js';
import type { HubDb } from '../src/store/db.js';
import { TimelineStore } from '../src/timeline/timeline-store.js';
import { storeFactories } from './support/store-factories.js';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

const events = (from: number, count: number, time: (i: number) => number, message = 'x'.repeat(100)) =>
  Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      id: `e${i}`,
      time: time(i),
      type: 'k8s.event',
      severity: 'info',
      kind: 'Pod',
      namespace: 'ns',
      name: `p${i}`,
      summary: 's',
      data: { reason: 'r', message, count: 1 },
    };
  }) as unknown as TimelineEventInput[];

async function addSession(db: HubDb, id: string, startedAt: number, endedAt: number | null, bytes: number) {
  const shells = new ShellStore(db);
  await db.transaction().execute((trx) =>
    shells.insertStarted(trx, {
      id,
      cluster: 'prod',
      namespace: 'ns',
      pod: 'web',
      container: 'app',
      command: ['sh'],
      user: 'alice',
      clientAddress: '127.0.0.1',
      startedAt,
      recorded: true,
      inputCaptured: false,
    }),
  );
  await shells.appendRecording(id, 0, 'a'.repeat(bytes), bytes, false);
  if (endedAt !== null) await shells.setEnded(id, endedAt, 'closed', 0);
}

describe('byte sizes', () => {
  it.each([
    ['0', 0],
    ['1500', 1500],
    ['10KB', 10_000],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['512 MiB', 512 * 2 ** 20],
  ])('%s = %d bytes', (input, bytes) => expect(parseByteSize(input)).toBe(bytes));
  it.each(['', '-1', '10 parsecs', 'GB'])('refuses "%s"', (input) =>
    expect(() => parseByteSize(input)).toThrow(/invalid size/),
  );
});

describe.each(storeFactories)('retention ($name)', (store) => {
  let db: HubDb;
  let timeline: TimelineStore;
  beforeEach(async () => {
    db = await store.open();
    timeline = new TimelineStore(db);
    await new ClusterStore(db).create('prod', 'alice');
  });
  afterEach(() => db.destroy());

  const ids = async (): Promise<string[]> =>
    (await db.selectFrom('timeline_events').select('id').orderBy('seq').execute()).map((r) => r.id);

  it('deletes timeline events older than the max age, in batches, and keeps the rest', async () => {
    // 1200 events 40..1 days old, interleaved with 300 from the last hour.
    await timeline.insert(
      'prod',
      events(0, 1200, (i) => NOW - (40 - (i % 40)) * DAY),
    );
    await timeline.insert(
      'prod',
      events(1200, 300, (i) => NOW - (i % 60) * 60_000),
    );
    const batches: number[] = [];
    const report = await new Retention(db, {
      timelineMaxAgeMs: 30 * DAY,
      batchSize: 100,
      now: () => NOW,
      onBatch: (_w, _ms, rows) => batches.push(rows),
    }).run();
    // Days 40..31 old are past 30 days: 10 of every 40 → 300 events.
    expect(report.timelineDeleted).toBe(300);
    expect(batches.slice(0, 4)).toEqual([100, 100, 100, 0]);
    expect(report.longestBatchMs).toBeGreaterThan(0);
    const left = await db.selectFrom('timeline_events').select(['time']).execute();
    expect(left).toHaveLength(1200);
    expect(left.every((r) => r.time >= NOW - 30 * DAY)).toBe(true);
  });

  it('deletes the old timeline events of every cluster', async () => {
    await new ClusterStore(db).create('staging', 'alice');
    for (const cluster of ['prod', 'staging']) {
      await timeline.insert(
        cluster,
        events(0, 250, (i) => NOW - (i % 2 ? 40 : 1) * DAY),
      );
    }
    const report = await new Retention(db, { timelineMaxAgeMs: 30 * DAY, batchSize: 50, now: () => NOW }).run();
    expect(report.timelineDeleted).toBe(2 * 125);
    const left = await db
      .selectFrom('timeline_events')
      .select(['cluster_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('time', '>=', NOW - 30 * DAY)
      .groupBy('cluster_id')
      .orderBy('cluster_id')
      .execute();
    expect(left.map((r) => [r.cluster_id, Number(r.n)])).toEqual([
      ['prod', 125],
      ['staging', 125],
    ]);
    expect(await ids()).toHaveLength(250);
  });

  it('keeps the newest timeline events within the max total size, deleting the oldest', async () => {
    await timeline.insert(
      'prod',
      events(0, 2000, () => NOW),
    );
    const [one] = await db
      .selectFrom('timeline_events')
      .select(['data', 'summary', 'name', 'namespace', 'kind', 'id'])
      .where('id', '=', 'e1000')
      .execute();
    // Each row weighs its text plus 64; names e1000..e1999 are all the same length.
    const weight = one ? Object.values(one).join('').length + 64 : 0;
    const report = await new Retention(db, { timelineMaxBytes: weight * 700, batchSize: 250, scanSize: 300 }).run();
    expect(report.timelineDeleted).toBe(1300);
    expect(await ids()).toEqual(Array.from({ length: 700 }, (_, i) => `e${1300 + i}`));
    // Within the cap now: a second pass removes nothing.
    expect((await new Retention(db, { timelineMaxBytes: weight * 700 }).run()).timelineDeleted).toBe(0);
  });

  it('removes old recordings of ended sessions, keeping their records; open sessions are never touched', async () => {
    await addSession(db, 'old', NOW - 20 * DAY, NOW - 20 * DAY + 1000, 100);
    await addSession(db, 'old-but-open', NOW - 20 * DAY, null, 100);
    await addSession(db, 'recent', NOW - DAY, NOW - DAY + 1000, 100);
    const report = await new Retention(db, { recordingsMaxAgeMs: 7 * DAY, now: () => NOW }).run();
    expect(report.recordingsDeleted).toBe(1);
    const shells = new ShellStore(db);
    expect(await shells.get('old')).toMatchObject({ id: 'old', recording: { available: false, bytes: 100 } });
    expect(await shells.recording('old')).toBe('');
    expect((await shells.get('old-but-open'))?.recording.available).toBe(true);
    expect(await shells.recording('recent')).toHaveLength(100);
  });

  it('keeps the newest recordings within the max total size', async () => {
    for (let i = 0; i < 10; i++) await addSession(db, `s${i}`, NOW + i * 1000, NOW + i * 1000 + 500, 1000);
    const report = await new Retention(db, { recordingsMaxBytes: 3500, batchSize: 3, scanSize: 4 }).run();
    expect(report.recordingsDeleted).toBe(7);
    const shells = new ShellStore(db);
    const available = [];
    for (let i = 0; i < 10; i++) if ((await shells.get(`s${i}`))?.recording.available) available.push(`s${i}`);
    expect(available).toEqual(['s7', 's8', 's9']);
    const chunks = await db.selectFrom('shell_recordings').select('session_id').orderBy('session_id').execute();
    expect(chunks.map((c) => c.session_id)).toEqual(['s7', 's8', 's9']);
  });

  it('lets other queries through between batches', async () => {
    await timeline.insert(
      'prod',
      events(0, 3000, () => NOW - 100 * DAY),
    );
    let firstBatch!: () => void;
    const started = new Promise<void>((r) => (firstBatch = r));
    let passDone = false;
    const pass = new Retention(db, {
      timelineMaxAgeMs: DAY,
      batchSize: 100,
      now: () => NOW,
      onBatch: () => firstBatch(),
    })
      .run()
      .then((r) => {
        passDone = true;
        return r;
      });
    await started;
    // A reader asking while the purge is under way is answered before it ends.
    const page = await timeline.query('prod', { limit: 5 });
    expect(page.items).toHaveLength(5);
    expect(passDone).toBe(false);
    const report = await pass;
    expect(report.timelineDeleted).toBe(3000);
    expect(report.batches).toBeGreaterThanOrEqual(30);
  });
});
