// PostgreSQL stopped for 20 s under two hub processes (replicas), while
// admins keep registering clusters through both: readiness turns 503
// store_unavailable, requests get 503 store_unavailable with Retry-After
// (not 500), nobody leads the background work; each cluster registration is
// all or nothing (its row and its audit record commit together, checked in
// the database afterwards); and once the server is back, both replicas serve
// again and one re-acquires leadership — with no restart.
import { createDatabase, postgresUrl, queryAs, startPostgres, type PostgresServer } from '@wheelhouse/test-postgres';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKeyLine } from '../src/audit/audit-keys.js';
import { createApiToken, createBinding, createUser } from '../src/auth/identity-store.js';
import { openDatabase } from '../src/store/db.js';

const OUTAGE_MS = 20_000;

const leaderGauge = async (port: number): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^wheelhouse_leader (\d)/m.exec(text)?.[1] ?? NaN);
};

describe('PostgreSQL stopped for 20 s under two hub processes', { timeout: 180_000 }, () => {
  // Its own server: stopping the run's shared one would break every other test file.
  let server: PostgresServer;
  let database = '';
  const hubs: { proc: TestProcess; port: number }[] = [];
  let admin = '';

  beforeAll(async () => {
    server = await startPostgres();
    database = await createDatabase(server);
    const url = postgresUrl(server, database, true);
    const db = await openDatabase({ store: url });
    const { user } = await createUser(db, {
      username: 'ops',
      passwordHash: 'x',
      mustChangePassword: false,
      createdBy: 't',
    });
    await createBinding(db, {
      userId: user.id,
      role: 'account-admin',
      clusterPattern: '*',
      namespacePattern: '*',
      createdBy: 't',
    });
    admin = (await createApiToken(db, { userId: user.id, name: 't' })).token;
    await db.destroy();
    const dir = mkdtempSync(join(tmpdir(), 'wh-outage-'));
    const keyFile = join(dir, 'audit.key');
    writeFileSync(keyFile, newKeyLine(), { mode: 0o600 });
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const args = ['hub', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', '--audit-key-file', keyFile];
      args.push('--audit-anchor-file', join(dir, `anchor-${i}.json`));
      hubs.push({
        proc: startProcess([WHEELHOUSE_CLI, ...args], {
          label: `hub-${i}`,
          env: { ...process.env, WHEELHOUSE_STORE: url },
        }),
        port,
      });
    }
    for (const h of hubs) await h.proc.waitForOutput(/wheelhouse hub listening on/);
  }, 90_000);
  afterAll(async () => {
    for (const h of hubs) await h.proc.stop();
    await server.stop();
  });

  const register = async (port: number, name: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/clusters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as { error?: string },
    };
  };
  const ready = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as { ok: boolean; error?: string } };
  };

  it('answers 503 store_unavailable meanwhile, writes nothing half, and recovers without a restart', async () => {
    for (const h of hubs) expect((await ready(h.port)).status).toBe(200);
    await expect.poll(async () => (await Promise.all(hubs.map((h) => leaderGauge(h.port)))).sort()).toEqual([0, 1]);

    // Registrations keep coming through both replicas while the server stops under them.
    const outcomes: { name: string; status: number; error?: string | undefined }[] = [];
    let halted = 0;
    const writers = hubs.map(async (h, i) => {
      for (let n = 0; halted === 0 || Date.now() - halted < 2_000; n++) {
        const name = `out-${i}-${n}`;
        const r = await register(h.port, name).catch(() => ({ status: 0, body: { error: 'socket' } }));
        outcomes.push({ name, status: r.status, error: r.body.error });
      }
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await server.halt();
    halted = Date.now();
    await Promise.all(writers);

    // During the outage: readiness and requests say the store is unavailable, and nobody leads.
    for (const h of hubs) {
      await expect
        .poll(async () => ready(h.port))
        .toMatchObject({ status: 503, body: { ok: false, error: 'store_unavailable' } });
      const w = await register(h.port, 'during-outage');
      expect(w).toMatchObject({ status: 503, retryAfter: '5', body: { error: 'store_unavailable' } });
    }
    await expect.poll(async () => Promise.all(hubs.map((h) => leaderGauge(h.port)))).toEqual([0, 0]);
    expect(
      outcomes.filter((o) => ![201, 503].includes(o.status)),
      JSON.stringify(outcomes),
    ).toEqual([]);
    expect(outcomes.filter((o) => o.status === 201).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.status === 503).length).toBeGreaterThan(0);

    const left = OUTAGE_MS - (Date.now() - halted);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    await server.start();

    // Back, with no restart: ready, a leader again, writes succeed on both replicas.
    for (const h of hubs) await expect.poll(async () => (await ready(h.port)).status, { timeout: 30_000 }).toBe(200);
    await expect
      .poll(async () => (await Promise.all(hubs.map((h) => leaderGauge(h.port)))).sort(), { timeout: 30_000 })
      .toEqual([0, 1]);
    for (const [i, h] of hubs.entries()) expect((await register(h.port, `after-${i}`)).status).toBe(201);

    // From the database's side: every registered cluster has its audit record and every record its
    // cluster (nothing half-written); each 201 was really stored; nothing of the outage-time request.
    const clusters = await queryAs<{ id: string }>(server, database, "SELECT id FROM clusters WHERE id LIKE 'out-%'");
    const audited = await queryAs<{ cluster_id: string }>(
      server,
      database,
      "SELECT cluster_id FROM audit_log WHERE action = 'cluster.create' AND cluster_id LIKE 'out-%'",
    );
    const stored = clusters.map((c) => c.id).sort();
    expect(audited.map((a) => a.cluster_id).sort()).toEqual(stored);
    for (const o of outcomes.filter((x) => x.status === 201)) expect(stored).toContain(o.name);
    expect(await queryAs(server, database, "SELECT id FROM clusters WHERE id = 'during-outage'")).toEqual([]);
    const seqs = await queryAs<{ seq: string }>(server, database, 'SELECT seq FROM audit_log ORDER BY seq');
    expect(seqs.map((r) => Number(r.seq))).toEqual(seqs.map((_, i) => i + 1));
    const verify = await fetch(`http://127.0.0.1:${hubs[0]?.port}/api/v1/audit/verify`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(await verify.json()).toMatchObject({ ok: true });
  });
});
