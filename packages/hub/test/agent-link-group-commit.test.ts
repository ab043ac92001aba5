// Group commit over the agent links (link/ingest-batcher.ts): what many links
// send at once is stored in one transaction, yet each message is stored whole
// or not at all, a bad message fails only its own link, and live events follow
// the commit. A real hub on loopback, raw agents with real cluster tokens, a
// real store: an SQLite file (synchronous=FULL) and a PostgreSQL database.
// Commits are counted by the database's side: the SQLite connection's COMMIT
// statements, PostgreSQL's pg_stat_database.xact_commit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createDatabase, postgresUrl } from '@wheelhouse/test-postgres';
import { CLOSE_CODES } from '@wheelhouse/protocol';
import type { LiveMessage } from '../src/live/live-bus.js';
import { ClusterStore } from '../src/clusters/cluster-store.js';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import { createHub, type Hub } from '../src/server.js';
import { openDatabase, sqliteConnection, timelineWriter, type HubDb, type OpenStoreOptions } from '../src/store/db.js';
import type { IngestBatchLimits } from '../src/link/ingest-batcher.js';
import { podItem } from './support/inventory-items.js';
import { configMapItem, rawAgent, type RawAgent } from './support/raw-agent.js';

/** A timeline event as an agent sends it. */
const timelineEvent = (id: string) => ({
  id,
  time: Date.now(),
  type: 'created',
  severity: 'info',
  kind: 'ConfigMap',
  namespace: 'ns',
  name: id,
  summary: `ConfigMap ${id} created`,
  data: { images: null },
});

const LINKS = 20;
const MESSAGES = 30;

interface Store {
  options: OpenStoreOptions;
  /** Transactions committed in the store so far, as the database counts them (PostgreSQL: once nothing is connected). */
  commits(): Promise<number>;
  dispose(): void;
}

/** An SQLite file; its connection's COMMIT statements counted (Kysely runs each through prepare). */
function sqliteStore(): Store & { watch(db: HubDb): void; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wh-group-commit-'));
  let commits = 0;
  return {
    options: { dataDir: dir },
    file: join(dir, 'hub.db'),
    watch(db) {
      const sqlite = sqliteConnection(db);
      if (!sqlite) throw new Error('not an SQLite store');
      const prepare = sqlite.prepare.bind(sqlite);
      sqlite.prepare = (source: string) => {
        if (/^\s*commit\b/i.test(source)) commits++;
        return prepare(source);
      };
    },
    commits: () => Promise.resolve(commits),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresStore(): Promise<Store> {
  const conn = inject('postgres');
  const database = await createDatabase(conn);
  const query = async (): Promise<number> => {
    const client = new pg.Client({ ...conn, database });
    await client.connect();
    try {
      const r = await client.query<{ n: string }>(
        'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
      );
      return Number(r.rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
  };
  return {
    options: { store: postgresUrl(conn, database), storePassword: conn.password },
    // A backend reports its counts when it exits: read until two reads agree (each read adds its own two).
    async commits() {
      let last = await query();
      for (;;) {
        await new Promise((r) => setTimeout(r, 300));
        const now = await query();
        if (now <= last + 2) return now;
        last = now;
      }
    },
    dispose: () => undefined,
  };
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rowCount = async (db: HubDb, cluster?: string): Promise<number> => {
  let q = db.selectFrom('resources').select((eb) => eb.fn.countAll<number | string>().as('n'));
  if (cluster !== undefined) q = q.where('cluster_id', '=', cluster);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

interface Linked {
  hub: Hub;
  db: HubDb;
  agents: RawAgent[];
  names: string[];
}

async function linkedHub(store: OpenStoreOptions, limits?: Partial<IngestBatchLimits>, links = LINKS): Promise<Linked> {
  const db = await openDatabase(store);
  const hub = await createHub({ logger: false, webRoot: false, db, ...(limits ? { ingestBatch: limits } : {}) });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const names = Array.from({ length: links }, (_, i) => `c${i}`);
  const agents: RawAgent[] = [];
  for (const name of names) agents.push(await rawAgent(hub, (await hub.clusters.create(name, 'test'))?.token ?? ''));
  await until('every link said hello', () => names.every((n) => hub.link.isConnected(n)));
  return { hub, db, agents, names };
}

async function closeLinked(l: Linked): Promise<void> {
  for (const a of l.agents) a.ws.terminate();
  await l.hub.close();
  await l.db.destroy();
}

/** Every agent sends `MESSAGES` inventory.changes of one ConfigMap each, all at once. */
function flood(l: Linked): void {
  for (let m = 0; m < MESSAGES; m++)
    l.agents.forEach((a) =>
      a.send({ type: 'inventory.changes', upserts: [configMapItem('ns', `cm-${m}`)], deletes: [] }),
    );
}

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('agent link group commit (sqlite file, synchronous=FULL)', () => {
  /** Commits while 20 links send 30 messages each; limits {maxRows: 1} is one transaction per message (the old way). */
  async function commitsForFlood(limits?: Partial<IngestBatchLimits>): Promise<number> {
    const store = sqliteStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options, limits);
    cleanup.push(() => closeLinked(l));
    store.watch(l.db);
    expect(
      await l.db
        .selectFrom('pragma_synchronous' as never)
        .selectAll()
        .execute(),
    ).toEqual([{ synchronous: 2 }]);
    const before = await store.commits();
    flood(l);
    await until('every message stored', async () => (await rowCount(l.db)) === LINKS * MESSAGES);
    return (await store.commits()) - before;
  }

  it('stores the messages queued on many links in far fewer transactions than messages', async () => {
    const one = await commitsForFlood({ maxRows: 1 });
    const grouped = await commitsForFlood();
    // One per message is what the hub did before; grouped, many links' messages share a commit (and an fsync).
    expect(one).toBeGreaterThanOrEqual(LINKS * MESSAGES);
    expect(grouped, `${grouped} commits for ${LINKS * MESSAGES} messages`).toBeLessThan((LINKS * MESSAGES) / 4);
  }, 60_000);

  it('bounds a transaction by rows and bytes: messages that together pass the bound are committed apart', async () => {
    const message = {
      type: 'inventory.changes',
      upserts: Array.from({ length: 300 }, (_, i) => configMapItem('ns', `cm-${i}`)),
      deletes: [],
    };
    const bytes = Buffer.byteLength(JSON.stringify(message));
    /** Commits for 10 links sending one 300-row message each at once. */
    const commitsFor = async (limits?: Partial<IngestBatchLimits>): Promise<number> => {
      const store = sqliteStore();
      cleanup.push(() => store.dispose());
      const l = await linkedHub(store.options, limits, 10);
      cleanup.push(() => closeLinked(l));
      store.watch(l.db);
      const before = await store.commits();
      for (const a of l.agents) a.send(message);
      await until('every message stored', async () => (await rowCount(l.db)) === 10 * 300);
      return (await store.commits()) - before;
    };
    // 3,000 rows: within the default bound they share a commit or two; bounded below two messages, one each.
    expect(await commitsFor()).toBeLessThanOrEqual(3);
    expect(await commitsFor({ maxRows: 500 })).toBeGreaterThanOrEqual(10);
    expect(await commitsFor({ maxBytes: bytes + 1 })).toBeGreaterThanOrEqual(10);
  }, 60_000);

  it('publishes live events only after their commit, in each link’s order', async () => {
    const store = sqliteStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options);
    cleanup.push(() => closeLinked(l));
    // Another connection sees only what is committed.
    const reader = new BetterSqlite3(store.file, { readonly: true });
    cleanup.push(() => {
      reader.close();
    });
    const stored = reader.prepare('SELECT count(*) AS n FROM resources WHERE cluster_id = ? AND uid = ?');
    const seen = new Map<string, string[]>();
    const unreadable: string[] = [];
    const unsubscribe = l.hub.live.subscribe((msg: LiveMessage) => {
      if (msg.type !== 'inventory') return;
      for (const u of msg.upserts) {
        const row = stored.get(msg.cluster, u.uid) as { n: number };
        if (row.n !== 1) unreadable.push(`${msg.cluster}/${u.name}`);
        seen.set(msg.cluster, [...(seen.get(msg.cluster) ?? []), u.name]);
      }
    });
    cleanup.push(unsubscribe);
    flood(l);
    await until('every live event', () => l.names.every((n) => seen.get(n)?.length === MESSAGES));
    expect(unreadable, 'events published before their rows were committed').toEqual([]);
    const inOrder = Array.from({ length: MESSAGES }, (_, m) => `cm-${m}`);
    for (const n of l.names) expect(seen.get(n)).toEqual(inOrder);
  }, 60_000);

  it('stores a burst from one link in a few commits, not one per message, and publishes it in order', async () => {
    const store = sqliteStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options, undefined, 1);
    cleanup.push(() => closeLinked(l));
    store.watch(l.db);
    const names: string[] = [];
    cleanup.push(
      l.hub.live.subscribe((msg: LiveMessage) => {
        if (msg.type === 'inventory') names.push(...msg.upserts.map((u) => u.name));
      }),
    );
    const before = await store.commits();
    const agent = l.agents[0] as RawAgent;
    // What an agent sends together: changes and timeline events between them, all arriving at once.
    for (let m = 0; m < MESSAGES; m++) {
      agent.send({ type: 'inventory.changes', upserts: [configMapItem('ns', `cm-${m}`)], deletes: [] });
      if (m % 3 === 0) agent.send({ type: 'timeline', events: [timelineEvent(`ev-${m}`)] });
    }
    await until('every message stored', async () => (await rowCount(l.db)) === MESSAGES);
    await until('every live event', () => names.length === MESSAGES);
    const commits = (await store.commits()) - before;
    // Before, each message of a link waited for the previous one's commit: 40 commits for these 40 messages.
    expect(commits, `${commits} commits for ${MESSAGES + MESSAGES / 3} messages of one link`).toBeLessThan(
      MESSAGES / 3,
    );
    expect(names).toEqual(Array.from({ length: MESSAGES }, (_, m) => `cm-${m}`));
  }, 60_000);

  it('holds about 1 MiB of one link’s messages in flight: big ones are not all handed in at once', async () => {
    const store = sqliteStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options, undefined, 1);
    cleanup.push(() => closeLinked(l));
    // Messages per commit, counted on the connection: one INSERT into resources per message here.
    const sqlite = sqliteConnection(l.db);
    if (!sqlite) throw new Error('not an SQLite store');
    const prepare = sqlite.prepare.bind(sqlite);
    let inserts = 0;
    const perCommit: number[] = [];
    sqlite.prepare = (source: string) => {
      if (/^\s*insert into "resources"/i.test(source)) inserts++;
      if (/^\s*commit\b/i.test(source)) {
        if (inserts > 0) perCommit.push(inserts);
        inserts = 0;
      }
      return prepare(source);
    };
    const agent = l.agents[0] as RawAgent;
    // 10 messages of ~300 KB (3 MB, within one batch's 4 MiB), sent at once: at most 4 in flight (≥ 1 MiB).
    for (let m = 0; m < 10; m++)
      agent.send({ type: 'inventory.changes', upserts: [configMapItem('ns', `big-${m}`, 300, 1000)], deletes: [] });
    await until('every message stored', async () => (await rowCount(l.db)) === 10);
    expect(perCommit.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...perCommit), `messages per commit: ${perCommit.join(', ')}`).toBeLessThanOrEqual(4);
  }, 60_000);

  it('answers a ping only once everything the link sent before it is stored', async () => {
    const store = sqliteStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options, undefined, 1);
    cleanup.push(() => closeLinked(l));
    // Another connection sees only what is committed.
    const reader = new BetterSqlite3(store.file, { readonly: true });
    cleanup.push(() => {
      reader.close();
    });
    const agent = l.agents[0] as RawAgent;
    const pong = new Promise<number>((resolve) =>
      agent.ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8')) as { type: string };
        if (m.type === 'pong') {
          resolve((reader.prepare('SELECT count(*) AS n FROM resources').get() as { n: number }).n);
        }
      }),
    );
    for (let m = 0; m < MESSAGES; m++)
      agent.send({ type: 'inventory.changes', upserts: [configMapItem('ns', `cm-${m}`)], deletes: [] });
    agent.send({ type: 'ping', t: 1 });
    expect(await pong, 'rows stored when the pong came').toBe(MESSAGES);
  }, 60_000);
  it('stores timeline messages through the writer thread and still publishes and answers pings in the link’s order', async () => {
    const store = sqliteStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options, undefined, 2);
    cleanup.push(() => closeLinked(l));
    const writer = timelineWriter(l.db);
    expect(writer).toBeDefined();
    const reader = new BetterSqlite3(store.file, { readonly: true });
    cleanup.push(() => {
      reader.close();
    });
    const timelineRows = reader.prepare('SELECT count(*) AS n FROM timeline_events WHERE cluster_id = ?');
    const seen = new Map<string, string[]>();
    cleanup.push(
      l.hub.live.subscribe((msg: LiveMessage) => {
        const add = (what: string) => seen.set(msg.cluster, [...(seen.get(msg.cluster) ?? []), what]);
        if (msg.type === 'inventory') for (const u of msg.upserts) add(u.name);
        // A message's events: its first event names it.
        else if (msg.type === 'timeline' && msg.event.id.endsWith('-0')) add(msg.event.id.slice(0, -2));
      }),
    );
    const pongs = new Map<string, number>();
    const sent: string[] = [];
    // Big timeline messages (the writer takes a while over them), each followed by inventory changes.
    for (let m = 0; m < 6; m++) {
      sent.push(`tl-${m}`, `cm-${m}`);
      l.agents.forEach((a) => {
        a.send({ type: 'timeline', events: Array.from({ length: 1500 }, (_, i) => timelineEvent(`tl-${m}-${i}`)) });
        a.send({ type: 'inventory.changes', upserts: [configMapItem('ns', `cm-${m}`)], deletes: [] });
      });
    }
    l.agents.forEach((a, i) => {
      const cluster = l.names[i] as string;
      a.ws.on('message', (d: Buffer) => {
        if ((JSON.parse(d.toString('utf8')) as { type: string }).type === 'pong')
          pongs.set(cluster, (timelineRows.get(cluster) as { n: number }).n);
      });
      a.send({ type: 'ping', t: 1 });
    });
    await until('every pong', () => pongs.size === 2);
    // A pong means everything the link sent before the ping is stored: the writer's rows too.
    for (const n of l.names) expect(pongs.get(n), n).toBe(6 * 1500);
    await until('every live event', () => l.names.every((n) => seen.get(n)?.length === sent.length));
    for (const n of l.names) expect(seen.get(n), n).toEqual(sent);
    expect(writer?.stats.rows).toBe(2 * 6 * 1500);
  }, 60_000);
});

describe.each([
  { name: 'sqlite', store: (): Promise<Store> => Promise.resolve(sqliteStore()) },
  { name: 'postgres', store: postgresStore },
])('agent link group commit ($name)', ({ name, store: makeStore }) => {
  it('a message that fails in the store fails only its own link: the others’ messages are stored and published', async () => {
    const store = await makeStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options);
    cleanup.push(() => closeLinked(l));
    // The bad link's cluster is gone from the store (deleted elsewhere) while its link is still up: every write it
    // sends breaks a foreign key, in the same transaction as the other links' messages.
    const bad = l.names[0] ?? '';
    const badAgent = l.agents[0] as RawAgent;
    let badClosed: { code: number; reason: string } | undefined;
    void badAgent.closed.then((c) => (badClosed = c));
    await l.db.deleteFrom('clusters').where('id', '=', bad).execute();
    const published = new Map<string, number>();
    cleanup.push(
      l.hub.live.subscribe((msg: LiveMessage) => {
        if (msg.type === 'inventory')
          published.set(msg.cluster, (published.get(msg.cluster) ?? 0) + msg.upserts.length);
      }),
    );
    const good = l.names.slice(1);
    flood(l);
    await until('every good message stored', async () => (await rowCount(l.db)) === good.length * MESSAGES);
    await until('the good messages published', () => good.every((n) => published.get(n) === MESSAGES));
    await until('the bad link closed', () => badClosed !== undefined);
    expect(badClosed?.code).toBe(CLOSE_CODES.protocolError);
    expect(published.get(bad)).toBeUndefined();
    expect(await rowCount(l.db, bad)).toBe(0);
    for (const n of good) expect(l.hub.link.isConnected(n), n).toBe(true);
    // The bad messages did share transactions with good ones (else this proved nothing): those were split.
    const metrics = await l.hub.metrics.registry.getSingleMetricAsString('wheelhouse_ingest_batch_split_total');
    expect(metrics, name).toMatch(/wheelhouse_ingest_batch_split_total [1-9]/);
  }, 60_000);
  it('stores a snapshot over the link in its commit: what it lacks is deleted and put on the timeline, then published', async () => {
    const store = await makeStore();
    cleanup.push(() => store.dispose());
    const l = await linkedHub(store.options, undefined, 3);
    cleanup.push(() => closeLinked(l));
    const [a, b, c] = l.agents as [RawAgent, RawAgent, RawAgent];
    const events: string[] = [];
    cleanup.push(
      l.hub.live.subscribe((msg: LiveMessage) => {
        if (msg.type === 'inventory' && msg.cluster === 'c0')
          events.push(`inventory +${msg.upserts.length} -${msg.deletes.map((d) => d.uid).join(',')}`);
        if (msg.type === 'timeline' && msg.cluster === 'c0')
          events.push(`timeline ${msg.event.type} ${msg.event.name}`);
      }),
    );
    const snapshot = (id: string, names: string[], last: boolean): unknown => ({
      type: 'inventory.snapshot',
      kind: 'Pod',
      snapshotId: id,
      items: names.map((n) => podItem('ns', n)),
      last,
    });
    a.send(snapshot('s1', ['p1', 'p2'], false));
    a.send(snapshot('s1', ['p3'], true));
    await until('the first snapshot', () => events.length === 2);
    // The second snapshot lacks p2 (deleted while the agent was away); other links write meanwhile.
    flood({ ...l, agents: [b, c] });
    a.send(snapshot('s2', ['p1'], false));
    a.send(snapshot('s2', ['p3'], true));
    await until('the second snapshot', () => events.length === 5);
    expect(events.slice(2)).toEqual(['inventory +1 -', 'inventory +1 -u-p2', 'timeline deleted p2']);
    const pods = await l.db.selectFrom('resources').select('name').where('cluster_id', '=', 'c0').execute();
    expect(pods.map((r) => r.name).sort()).toEqual(['p1', 'p3']);
    const timeline = await l.hub.timeline.query('c0', { limit: 10 });
    expect(timeline.items.map((e) => `${e.type} ${e.name}`)).toEqual(['deleted p2']);
    await until('the other links stored', async () => (await rowCount(l.db)) === 2 + 2 * MESSAGES);
  }, 60_000);
  it('a snapshot’s last chunk rolled back with its batch applies again alone: it still deletes only what it lacks', async () => {
    const store = await makeStore();
    cleanup.push(() => store.dispose());
    const db = await openDatabase(store.options);
    cleanup.push(() => db.destroy());
    await new ClusterStore(db).create('c0', 'test');
    const inventory = new InventoryStore(db);
    await inventory.applySnapshotChunk(
      'c0',
      'Pod',
      's0',
      ['p1', 'p2', 'p3', 'p4'].map((n) => podItem('ns', n)),
      true,
    );
    await inventory.applySnapshotChunk('c0', 'Pod', 's1', [podItem('ns', 'p1')], false);
    const last = [podItem('ns', 'p2')];
    // The batch holding the last chunk fails (another link's message) and is rolled back whole…
    await expect(
      db.transaction().execute(async (trx) => {
        await inventory.applySnapshotChunkIn(trx, 'c0', 'Pod', 's1', last, true);
        throw new Error('another message of the batch failed');
      }),
    ).rejects.toThrow('another message');
    // …then the chunk is stored in a transaction of its own: the first chunk's p1 is still known to be present.
    const gone = await db
      .transaction()
      .execute((trx) => inventory.applySnapshotChunkIn(trx, 'c0', 'Pod', 's1', last, true));
    inventory.snapshotStored('c0', 'Pod', 's1');
    expect(gone.map((i) => i.name).sort()).toEqual(['p3', 'p4']);
    const rows = await db.selectFrom('resources').select('name').where('cluster_id', '=', 'c0').execute();
    expect(rows.map((r) => r.name).sort()).toEqual(['p1', 'p2']);
  });
});

describe('agent link group commit (postgres)', () => {
  it('counts fewer commits in the database with the group commit than one per message', async () => {
    const run = async (limits?: Partial<IngestBatchLimits>): Promise<number> => {
      const store = await postgresStore();
      const l = await linkedHub(store.options, limits);
      flood(l);
      await until('every message stored', async () => (await rowCount(l.db)) === LINKS * MESSAGES);
      await closeLinked(l);
      return store.commits();
    };
    // Whole runs (set-up and background work included, about the same in both): only the ingest differs.
    const one = await run({ maxRows: 1 });
    const grouped = await run();
    expect(one - grouped, `${one} commits one per message, ${grouped} grouped`).toBeGreaterThan(
      (LINKS * MESSAGES * 3) / 4,
    );
  }, 90_000);
});
