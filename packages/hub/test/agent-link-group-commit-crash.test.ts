// A hub killed (SIGKILL) while the group commit stores many links' messages:
// after a restart each message is stored whole or not at all — never part of
// its rows — and an agent that sends again makes it whole. The built
// `wheelhouse hub` on an SQLite file (synchronous=FULL), raw agents with real
// cluster tokens; rows counted from the file by another connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../src/clusters/cluster-store.js';
import { openDatabase } from '../src/store/db.js';
import { configMapItem, rawAgentAt, type RawAgent } from './support/raw-agent.js';

const LINKS = 10;
const MESSAGES = 20;
/** Rows per message (several INSERT statements each): a message stored in part shows as a count between 0 and this. */
const ROWS = 250;

/** Message m of a link: ROWS ConfigMaps named m<m>-<i>. */
const message = (m: number): unknown => ({
  type: 'inventory.changes',
  upserts: Array.from({ length: ROWS }, (_, i) => configMapItem('ns', `m${m}-${i}`)),
  deletes: [],
});

/** Rows stored per (cluster, message), read from the file. */
function storedPerMessage(file: string): Map<string, number> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT cluster_id AS cluster, substr(name, 1, instr(name, '-') - 1) AS m, count(*) AS n
           FROM resources GROUP BY cluster_id, m`,
      )
      .all() as { cluster: string; m: string; n: number }[];
    return new Map(rows.map((r) => [`${r.cluster}/${r.m}`, r.n]));
  } finally {
    db.close();
  }
}

const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

describe('agent link group commit: a hub killed mid-ingest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-group-commit-kill-'));
  const file = join(dir, 'hub.db');
  let hub: TestProcess | undefined;
  let agents: RawAgent[] = [];
  afterEach(async () => {
    for (const a of agents) a.ws.terminate();
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves each message wholly stored or not at all; a resend makes it whole', async () => {
    const db = await openDatabase({ dataDir: dir });
    const clusters = new ClusterStore(db);
    const tokens: string[] = [];
    for (let c = 0; c < LINKS; c++) tokens.push((await clusters.create(`c${c}`, 'test'))?.token ?? '');
    await db.destroy();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const start = async (): Promise<TestProcess> => {
      const p = startProcess(
        [WHEELHOUSE_CLI, 'hub', '--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--log-level', 'warn'],
        { label: 'hub' },
      );
      await p.waitForOutput(/wheelhouse hub listening on/);
      return p;
    };
    const sendAll = async (): Promise<void> => {
      agents = await Promise.all(tokens.map((t) => rawAgentAt(url, t)));
      for (let m = 0; m < MESSAGES; m++) for (const a of agents) a.send(message(m));
    };

    hub = await start();
    await sendAll();
    // Killed while storing: some messages are in, most are not yet.
    const everything = LINKS * MESSAGES * ROWS;
    for (let stored = 0; stored < everything / 10; stored = total(storedPerMessage(file))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await hub.kill9();
    for (const a of agents) a.ws.terminate();

    hub = await start();
    const after = storedPerMessage(file);
    const partial = [...after].filter(([, n]) => n !== ROWS);
    expect(partial, 'messages stored in part').toEqual([]);
    expect(total(after), 'the kill came mid-ingest').toBeGreaterThan(0);
    expect(total(after)).toBeLessThan(everything);

    // The agents connect again and send everything again (the real agent resends after a reconnect).
    await sendAll();
    const deadline = Date.now() + 60_000;
    while (total(storedPerMessage(file)) < everything && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const whole = storedPerMessage(file);
    expect(whole.size).toBe(LINKS * MESSAGES);
    expect([...whole.values()].every((n) => n === ROWS)).toBe(true);
  }, 120_000);
});
