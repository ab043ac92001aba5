// Leadership of background work among hub processes sharing a store: on
// PostgreSQL exactly one holds the advisory lock, and it moves when the
// holder's session dies (terminated from the database's side) or it stops;
// on SQLite the one process is always the leader.
import { createDatabase, postgresUrl, queryAs } from '@wheelhouse/test-postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type HubDb } from '../src/store/db.js';
import { LeaderElection } from '../src/store/leader-election.js';
import { storeFactories } from './support/store-factories.js';

describe('leader election', () => {
  const dbs: HubDb[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.destroy();
  });

  it('on SQLite the only process leads', async () => {
    const sqlite = storeFactories.find((f) => f.name === 'sqlite');
    const db = await sqlite?.open();
    if (!db) throw new Error('no sqlite factory');
    dbs.push(db);
    const e = new LeaderElection(db);
    e.start();
    expect(e.isLeader()).toBe(true);
    await e.stop();
  });

  it('on PostgreSQL one of two leads; leadership moves when its session is killed, and when it stops', async () => {
    const pg = inject('postgres');
    const database = await createDatabase(pg);
    const open = async () => {
      const db = await openDatabase({ store: postgresUrl(pg, database), storePassword: pg.password });
      dbs.push(db);
      return db;
    };
    const changes: string[] = [];
    const a = new LeaderElection(await open(), { checkMs: 100, onChange: (l) => changes.push(`a:${l}`) });
    const b = new LeaderElection(await open(), { checkMs: 100, onChange: (l) => changes.push(`b:${l}`) });
    a.start();
    b.start();
    const leaders = () => [a, b].filter((e) => e.isLeader()).length;
    await expect.poll(leaders).toBe(1);
    // Stays one over several check intervals.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect(leaders()).toBe(1);
    }
    const [first, second] = a.isLeader() ? [a, b] : [b, a];

    // The database ends the leader's session (as when its process dies): the lock goes with it.
    const killed = await queryAs<{ ok: boolean }>(
      pg,
      database,
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(killed).toEqual([{ ok: true }]);
    await expect.poll(() => second.isLeader()).toBe(true);
    await expect.poll(() => first.isLeader()).toBe(false);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect(leaders()).toBe(1);
    }

    // A leader that stops hands over.
    await second.stop();
    await expect.poll(() => first.isLeader()).toBe(true);
    await first.stop();
    expect(changes.filter((c) => c.endsWith('true'))).toHaveLength(3);
  });
});
