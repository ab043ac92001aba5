// The hash-chained audit log: chain rule, serialized appends, transactions,
// tamper detection by an attacker with write access to the store, queries and
// exports — on both stores (SQLite file, PostgreSQL).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecordInput } from '../src/audit/audit-log.js';
import { parseKeyFile, type AuditKeyring } from '../src/audit/audit-keys.js';
import { GENESIS_HASH, canonicalJson } from '../src/audit/canonical.js';
import { verifyExport } from '../src/audit/export.js';
import type { HubDb } from '../src/store/db.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const rec = (i: number, extra: Partial<AuditRecordInput> = {}): AuditRecordInput => ({
  actor: `user-${i % 3}`,
  action: i % 2 ? 'action.annotate' : 'auth.login',
  clusterId: i % 2 ? 'prod' : null,
  target: i % 2 ? { kind: 'Deployment', namespace: 'web', name: `d${i}` } : null,
  params: i % 2 ? { key: 'note', value: `v${i}`, nested: { z: 1, a: [1, 'two', null] } } : null,
  reason: i % 2 ? `because ${i}` : null,
  outcome: 'succeeded',
  detail: { i },
  ...extra,
});

describe.each(storeFactories)('hash chain ($name store)', (store) => {
  let db: HubDb;
  let audit: AuditLog;
  beforeAll(async () => {
    db = await store.open();
    audit = new AuditLog(db);
  });
  afterAll(() => db.destroy());

  it('follows the documented rule: sha256(prev_hash + canonical JSON of the fields)', async () => {
    const first = await audit.append({
      actor: 'alice',
      action: 'user.create',
      target: { kind: 'User', namespace: '', name: 'bob' },
      outcome: 'succeeded',
      detail: { b: 2, a: 1 },
    });
    expect(first.seq).toBe(1);
    expect(first.prev_hash).toBe(GENESIS_HASH);
    const canonical = `{"action":"user.create","actor":"alice","at":${first.at},"cluster_id":null,"detail":{"a":1,"b":2},"outcome":"succeeded","params":null,"reason":null,"seq":1,"target":{"kind":"User","name":"bob","namespace":""}}`;
    expect(first.hash).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + canonical)
        .digest('hex'),
    );
    expect(first.detail).toBe('{"a":1,"b":2}'); // stored canonical
    const second = await audit.append(rec(2));
    expect(second.prev_hash).toBe(first.hash);
    expect(second.seq).toBe(2);
  });

  it('canonical JSON sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: [3, { y: 1, x: 2 }], a: 'é"\n' })).toBe('{"a":"é\\"\\n","b":[3,{"x":2,"y":1}]}');
  });

  it('serializes concurrent appends into one unbroken chain', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => audit.append(rec(i))));
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, records: 202 });
    expect(result.head?.seq).toBe(202);
  });

  it("commits with the caller's transaction and disappears with its rollback", async () => {
    const before = (await audit.verify()).records;
    await db.transaction().execute(async (trx) => {
      await audit.append(rec(1, { action: 'tx.commit' }), trx);
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await audit.append(rec(1, { action: 'tx.rollback' }), trx);
        throw new Error('command insert failed');
      }),
    ).rejects.toThrow('command insert failed');
    expect((await audit.query({ action: 'tx.*', limit: 10 })).items.map((i) => i.action)).toEqual(['tx.commit']);
    expect(await audit.verify()).toMatchObject({ ok: true, records: before + 1 });
    // the next append links to the committed record, not the rolled-back one
    await audit.append(rec(5));
    expect((await audit.verify()).ok).toBe(true);
  });

  it('refuses UPDATE and DELETE through the store', async () => {
    await expect(db.updateTable('audit_log').set({ outcome: 'x' }).where('seq', '=', 1).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(db.deleteFrom('audit_log').where('seq', '=', 1).execute()).rejects.toThrow(/append-only/);
  });
});

describe.each(storeFactories)('tamper detection (attacker with write access to the store, $name)', (store) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  // Each tamper runs on a second, raw connection to the hub's store with the
  // append-only triggers dropped — what someone with file access (SQLite) or
  // the database owner's credentials (PostgreSQL) can do.
  const CASES: [label: string, sql: string, seq: number, reason: RegExp][] = [
    ['outcome changed', "UPDATE audit_log SET outcome = 'failed' WHERE seq = 4", 4, /content does not match its hash/],
    ['actor changed', "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 7", 7, /content does not match/],
    ['time moved', 'UPDATE audit_log SET at = at + 1 WHERE seq = 2', 2, /content does not match/],
    [
      'params edited',
      `UPDATE audit_log SET params = '{"key":"note","value":"x"}' WHERE seq = 5`,
      5,
      /content does not match/,
    ],
    ['JSON column broken', "UPDATE audit_log SET detail = '{not json' WHERE seq = 6", 6, /not valid JSON/],
    ['hash replaced', `UPDATE audit_log SET hash = '${'a'.repeat(64)}' WHERE seq = 3`, 3, /content does not match/],
    [
      'prev_hash replaced',
      `UPDATE audit_log SET prev_hash = '${'b'.repeat(64)}' WHERE seq = 8`,
      8,
      /prev_hash does not match the hash of record 7/,
    ],
    ['first record unlinked', `UPDATE audit_log SET prev_hash = '${'c'.repeat(64)}' WHERE seq = 1`, 1, /genesis/],
    ['row deleted', 'DELETE FROM audit_log WHERE seq = 5', 6, /records 5\.\.5 are missing/],
    [
      'rows swapped',
      // three steps: PostgreSQL checks the primary key row by row
      'UPDATE audit_log SET seq = 103 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 103',
      3,
      /prev_hash|content/,
    ],
  ];

  it.each(CASES)('%s → names record', async (_label, tamper, seq, reason) => {
    const dir = mkdtempSync(join(tmpdir(), 'wh-audit-'));
    dirs.push(dir);
    // The data dir inside the temporary one: the audit key file is created beside it.
    const pgStore = store.name === 'postgres' ? await store.options() : undefined;
    const hub = await createHub({ logger: false, dataDir: join(dir, 'hub'), ...pgStore });
    try {
      for (let i = 0; i < 10; i++) await hub.audit.append(rec(i));
      expect(await hub.audit.verify()).toMatchObject({ ok: true, records: 10 });

      if (pgStore?.store) {
        const url = new URL(pgStore.store);
        url.password = encodeURIComponent(pgStore.storePassword ?? '');
        const raw = new pg.Client({ connectionString: url.toString() });
        await raw.connect();
        await raw.query('DROP TRIGGER audit_no_update ON audit_log; DROP TRIGGER audit_no_delete ON audit_log');
        await raw.query(tamper);
        await raw.end();
      } else {
        const raw = new BetterSqlite3(join(dir, 'hub', 'hub.db'));
        raw.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
        raw.exec(tamper);
        raw.close();
      }

      const result = await hub.audit.verify();
      expect(result.ok).toBe(false);
      expect(result.firstBadRecord?.seq).toBe(seq);
      expect(result.firstBadRecord?.reason).toMatch(reason);
      expect(result.records).toBe(tamper.startsWith('DELETE') ? 9 : 10);

      const admin = await addUser(hub, { bindings: [{ role: 'auditor' }] });
      const api = await hub.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: bearer(admin.token) });
      expect(api.statusCode).toBe(200);
      // addUser writes no audit rows, so the API sees the same result
      expect(api.json()).toEqual(result);
    } finally {
      await hub.close();
    }
  });

  it('an empty log verifies', async () => {
    const db = await store.open();
    expect(await new AuditLog(db).verify()).toEqual({ ok: true, records: 0, keyed: { fromSeq: null, keyIds: [] } });
    await db.destroy();
  });

  it('lets the hub do other work while it verifies a long chain (a turn between read batches)', async () => {
    const db = await store.open();
    const log = new AuditLog(db);
    await Promise.all(Array.from({ length: 1600 }, (_, i) => log.append(rec(i))));
    // Work queued on the event loop (as a request's would be) runs during the verification, not after it.
    let turns = 0;
    let verifying = true;
    const turn = (): void => {
      if (!verifying) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    const result = await log.verify();
    verifying = false;
    expect(result).toMatchObject({ ok: true, records: 1600 });
    expect(turns).toBeGreaterThanOrEqual(3); // 1,600 records are four read batches
    await db.destroy();
  });

  it('runs one pass over the chain for callers who ask while it verifies (ten Audit pages opening at once)', async () => {
    const db = await store.open();
    const writer = new AuditLog(db);
    await Promise.all(Array.from({ length: 1200 }, (_, i) => writer.append(rec(i))));
    let reads = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        if (args.node.kind === 'SelectQueryNode') reads++;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const log = new AuditLog(db.withPlugin(counter));
    const results = await Promise.all(Array.from({ length: 10 }, () => log.verify()));
    for (const r of results) expect(r).toMatchObject({ ok: true, records: 1200 });
    expect(reads).toBe(3); // 1,200 records are three read batches, read once
    // A later call verifies again (it sees what changed since).
    await log.append(rec(0));
    expect(await log.verify()).toMatchObject({ ok: true, records: 1201 });
    await db.destroy();
  });
});

describe.each(storeFactories)('audit API: query, verify, export ($name store)', (store) => {
  let hub: Hub;
  let auditor: TestUser;
  let keys: AuditKeyring;
  const t0 = Date.now();
  const keyDir = mkdtempSync(join(tmpdir(), 'wh-audit-keys-'));
  afterAll(() => rmSync(keyDir, { recursive: true, force: true }));
  beforeAll(async () => {
    const keyFile = join(keyDir, 'audit.key');
    hub = await createHub({ logger: false, audit: { keyFile }, ...(await store.options()) });
    keys = parseKeyFile(readFileSync(keyFile, 'utf8'));
    auditor = await addUser(hub, { bindings: [{ role: 'auditor' }] });
    for (let i = 0; i < 30; i++) await hub.audit.append(rec(i, { outcome: i % 5 === 0 ? 'denied' : 'succeeded' }));
    await hub.audit.append({
      actor: '=HYPERLINK("http://evil")',
      action: 'auth.login',
      outcome: 'failed',
      reason: 'has "quotes", commas\nand a newline',
    });
    await hub.audit.append({ actor: "'quoted", action: '-minus', outcome: '+plus', reason: '@at' });
  });
  afterAll(() => hub.close());

  const get = (url: string): Promise<LightMyRequestResponse> =>
    hub.app.inject({ method: 'GET', url, headers: bearer(auditor.token) });
  type Page = {
    items: {
      seq: number;
      actor: string;
      action: string;
      cluster: string | null;
      outcome: string;
      at: number;
      target: unknown;
      params: unknown;
      hash: string;
      prevHash: string;
    }[];
    nextCursor: string | null;
  };

  it('pages newest first with a seq cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/api/v1/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page: Page = res.json<Page>();
      seen.push(...page.items.map((i) => i.seq));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 32 }, (_, i) => 32 - i));
  });

  it('filters by actor, action (exact or prefix*), cluster, outcome and time', async () => {
    const page = async (q: string, limit = 500): Promise<Page['items']> =>
      (await get(`/api/v1/audit?limit=${limit}&${q}`)).json<Page>().items;
    expect((await page('actor=user-1')).every((i) => i.actor === 'user-1')).toBe(true);
    expect(await page('actor=user-1')).toHaveLength(10);
    expect(await page('action=action.annotate')).toHaveLength(15);
    expect(await page('action=action.*')).toHaveLength(15);
    expect(await page('action=auth.*')).toHaveLength(16);
    expect(await page('action=auth')).toHaveLength(0);
    expect(await page('cluster=prod')).toHaveLength(15);
    expect(await page('outcome=denied')).toHaveLength(6);
    expect(await page('outcome=denied&cluster=prod')).toHaveLength(3);
    const first = (await page('', 1))[0];
    expect(first?.target).toBeNull();
    const annotated = (await page('action=action.annotate', 1))[0];
    expect(annotated).toMatchObject({
      cluster: 'prod',
      target: { kind: 'Deployment', namespace: 'web' },
      params: { key: 'note' },
    });
    expect(await page(`from=${t0 - 1000}&to=${Date.now() + 1000}`)).toHaveLength(32);
    expect(await page(`from=${new Date(Date.now() + 60_000).toISOString()}`)).toHaveLength(0);
    expect(await page(`to=${new Date(t0 - 60_000).toISOString()}`)).toHaveLength(0);
  });

  it.each([
    ['cursor=abc', 'querystring.cursor'],
    ['limit=0', 'querystring.limit'],
    ['limit=501', 'querystring.limit'],
    ['limit=x', 'querystring.limit'],
    ['from=yesterday', 'querystring.from'],
    ['actor=a&actor=b', 'querystring.actor'],
    ['nope=1', 'querystring'],
    [`actor=${'a'.repeat(300)}`, 'querystring.actor'],
  ])('rejects %s with 400 naming %s', async (q, path) => {
    const res = await get(`/api/v1/audit?${q}`);
    expect(res.statusCode).toBe(400);
    expect(res.json<{ issues: { path: string }[] }>().issues[0]?.path).toBe(path);
  });

  it('verify reports the record count and head', async () => {
    const res = await get('/api/v1/audit/verify');
    const body = res.json<{ ok: boolean; records: number; head: { seq: number; hash: string } }>();
    expect(body).toMatchObject({ ok: true, records: 32, head: { seq: 32 } });
  });

  it('exports JSON lines with hashes that verify offline', async () => {
    const res = await get('/api/v1/audit/export?format=jsonl');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="wheelhouse-audit-.*\.jsonl"$/);
    const lines = res.body.trim().split('\n');
    expect(lines).toHaveLength(32);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      seq: 1,
      prev_hash: GENESIS_HASH,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(verifyExport(res.body, 'jsonl', keys)).toMatchObject({ ok: true, records: 32 });
    // Keyed records need the key file offline too.
    expect(verifyExport(res.body, 'jsonl').firstBadRecord).toEqual({
      seq: 1,
      reason: expect.stringMatching(/needs the key file/) as unknown,
    });
    // Editing an exported line is caught offline too.
    const tampered = res.body.replace('"user-2"', '"user-9"');
    const bad = verifyExport(tampered, 'jsonl', keys);
    expect(bad.ok).toBe(false);
    expect(bad.firstBadRecord?.seq).toBe(3);
  });

  it('exports CSV (RFC 4180, formula cells defused) that verifies offline', async () => {
    const res = await get('/api/v1/audit/export?format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/\.csv"$/);
    const [header] = res.body.split('\r\n');
    expect(header).toBe('seq,at,actor,action,cluster_id,target,params,reason,outcome,detail,key_id,prev_hash,hash');
    expect(res.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(res.body).toContain('"has ""quotes"", commas\nand a newline"');
    expect(res.body).toContain("''quoted,'-minus,,,,'@at,'+plus");
    expect(verifyExport(res.body, 'csv', keys)).toMatchObject({ ok: true, records: 32 });
    const bad = verifyExport(res.body.replace('because 5', 'because 6'), 'csv', keys);
    expect(bad).toMatchObject({ ok: false, firstBadRecord: { seq: 6 } });
  });

  it('exports only what the filters select, as the page shows it', async () => {
    const res = await get('/api/v1/audit/export?format=jsonl&outcome=denied');
    expect(res.statusCode).toBe(200);
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; outcome: string });
    expect(lines.map((l) => l.outcome)).toEqual(Array(6).fill('denied'));
    const page = (await get('/api/v1/audit?outcome=denied&limit=100')).json<Page>();
    expect(lines.map((l) => l.seq)).toEqual(page.items.map((i) => i.seq).reverse());
    const byAction = (await get('/api/v1/audit/export?format=jsonl&action=auth.*')).body
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { action: string }).action);
    const shown = (await get('/api/v1/audit?action=auth.*&limit=500')).json<Page>().items;
    expect(byAction.length).toBe(shown.length);
    expect(byAction.every((a) => a.startsWith('auth.'))).toBe(true);
    expect((await get('/api/v1/audit/export?format=csv&from=yesterday')).statusCode).toBe(400);
  });

  it('rejects an unknown export format', async () => {
    const res = await get('/api/v1/audit/export?format=xml');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'querystring.format' }] });
  });

  it('streams exports larger than one read batch', async () => {
    const h = await createHub({ logger: false, ...(await store.options()) });
    try {
      for (let i = 0; i < 1234; i++) await h.audit.append(rec(i));
      const u = await addUser(h, { bindings: [{ role: 'auditor' }] });
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/audit/export', headers: bearer(u.token) });
      expect(res.body.trim().split('\n')).toHaveLength(1234);
      expect(verifyExport(res.body, 'jsonl', h.audit.keys)).toMatchObject({ ok: true, records: 1234 });
      expect(await h.audit.verify()).toMatchObject({ ok: true, records: 1234 });
    } finally {
      await h.close();
    }
  }, 60_000); // 1,234 commits, each fsynced on PostgreSQL
});
