// Three hub processes (replicas) on one PostgreSQL database: 3 × 200
// concurrent audited requests (denials, each audited) leave one chain that
// verifies — no fork, no gap, none lost — and exactly one process leads the
// background work, until it is killed with SIGKILL and another takes over.
import { createDatabase, postgresUrl, queryAs } from '@wheelhouse/test-postgres';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKeyLine } from '../src/audit/audit-keys.js';
import { createApiToken, createBinding, createUser } from '../src/auth/identity-store.js';
import { openDatabase } from '../src/store/db.js';

const REPLICAS = 3;
const REQUESTS = 200;

const leaderGauge = async (port: number): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^wheelhouse_leader (\d)/m.exec(text)?.[1] ?? NaN);
};

describe('three hub processes on one PostgreSQL store', { timeout: 120_000 }, () => {
  const pg = inject('postgres');
  let database = '';
  const hubs: { proc: TestProcess; port: number }[] = [];
  let viewer = '';
  let auditor = '';

  beforeAll(async () => {
    database = await createDatabase(pg);
    const url = postgresUrl(pg, database, true);
    // Users made directly in the store (the hubs migrate it first).
    const db = await openDatabase({ store: url });
    const user = async (username: string, role: 'viewer' | 'auditor') => {
      const { user: u } = await createUser(db, {
        username,
        passwordHash: 'x',
        mustChangePassword: false,
        createdBy: 'test',
      });
      await createBinding(db, { userId: u.id, role, clusterPattern: '*', namespacePattern: '*', createdBy: 'test' });
      return (await createApiToken(db, { userId: u.id, name: 't' })).token;
    };
    viewer = await user('viewer', 'viewer');
    auditor = await user('auditor', 'auditor');
    await db.destroy();
    // Replicas share one audit key file (a mounted Secret in the chart): the chain is keyed once.
    const dir = mkdtempSync(join(tmpdir(), 'wh-replicas-'));
    const keyFile = join(dir, 'audit.key');
    writeFileSync(keyFile, newKeyLine(), { mode: 0o600 });
    for (let i = 0; i < REPLICAS; i++) {
      const port = await freePort();
      const args = ['hub', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', '--audit-key-file', keyFile];
      args.push('--audit-anchor-file', join(dir, `anchor-${i}.json`));
      const proc = startProcess([WHEELHOUSE_CLI, ...args], {
        label: `hub-${i}`,
        env: { ...process.env, WHEELHOUSE_STORE: url },
      });
      hubs.push({ proc, port });
    }
    for (const h of hubs) await h.proc.waitForOutput(/wheelhouse hub listening on/);
  }, 60_000);
  afterAll(async () => {
    for (const h of hubs) await h.proc.stop();
  });

  it('appends 3 × 200 concurrent audit records into one chain that verifies: no fork, no gap', async () => {
    const before = await queryAs<{ n: string }>(pg, database, 'SELECT count(*) AS n FROM audit_log');
    const statuses = await Promise.all(
      hubs.flatMap(({ port }) =>
        Array.from({ length: REQUESTS }, async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/audit?limit=1`, {
            headers: { authorization: `Bearer ${viewer}` },
          });
          await res.arrayBuffer();
          return res.status;
        }),
      ),
    );
    const byStatus = statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {});
    // Each is a denial; on a loaded machine a few may find the pool exhausted and answer 503
    // store_unavailable (no record: a denial is answered only once its record is stored).
    const denied = byStatus[403] ?? 0;
    expect(Object.keys(byStatus).filter((s) => s !== '403' && s !== '503')).toEqual([]);
    expect(denied).toBeGreaterThanOrEqual(REPLICAS * REQUESTS * 0.95);

    // From the database's side: one denial record per 403; no gap: seq runs 1..n; no fork: no two
    // records name one predecessor, and each names the hash of the record just before it.
    const rows = await queryAs<{ seq: string; prev_hash: string; hash: string; actor: string; outcome: string }>(
      pg,
      database,
      'SELECT seq, prev_hash, hash, actor, outcome FROM audit_log ORDER BY seq',
    );
    expect(rows.length - Number(before[0]?.n)).toBe(denied);
    expect(rows.filter((r) => r.actor === 'viewer' && r.outcome === 'denied')).toHaveLength(denied);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length);
    const unlinked = rows.filter((r, i) => i > 0 && r.prev_hash !== rows[i - 1]?.hash).map((r) => r.seq);
    expect(unlinked).toEqual([]);

    // Each hub recomputes the whole chain.
    for (const { port } of hubs) {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/audit/verify`, {
        headers: { authorization: `Bearer ${auditor}` },
      });
      const body = (await res.json()) as { ok: boolean; records: number };
      expect(body, JSON.stringify(body)).toMatchObject({ ok: true });
      expect(body.records).toBeGreaterThanOrEqual(rows.length);
    }
  });

  it('one process leads background work; when it is killed one survivor takes over', async () => {
    const gaugesOf = async (of: typeof hubs) => Promise.all(of.map((h) => leaderGauge(h.port)));
    await expect.poll(async () => (await gaugesOf(hubs)).sort()).toEqual([0, 0, 1]);
    const gauges = await gaugesOf(hubs);
    const leader = hubs[gauges.indexOf(1)];
    if (!leader) throw new Error('no leader');
    const survivors = hubs.filter((h) => h !== leader);
    await leader.proc.kill9();
    // Exactly one survivor takes over.
    await expect.poll(async () => (await gaugesOf(survivors)).sort(), { timeout: 30_000 }).toEqual([0, 1]);
  });
});
