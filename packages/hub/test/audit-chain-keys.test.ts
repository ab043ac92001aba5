// Issue 13 item 14: the audit chain is keyed (HMAC-SHA256, key file outside
// the store) and its head is anchored outside the hub. An attacker here has
// write access to hub.db only (a raw SQLite connection, triggers dropped) and
// knows the documented hashing rule, but not the key file.
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecordInput, type VerifyResult } from '../src/audit/audit-log.js';
import { parseKeyFile, type AuditKey } from '../src/audit/audit-keys.js';
import { GENESIS_HASH, recordHash, type ChainRecord } from '../src/audit/canonical.js';
import { createHub, type Hub } from '../src/server.js';
import { openDatabase } from '../src/store/db.js';
import type { AuditRow } from '../src/store/schema.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

const rec = (i: number): AuditRecordInput => ({
  actor: `user-${i % 3}`,
  action: 'action.scale',
  clusterId: 'prod',
  target: { kind: 'Deployment', namespace: 'web', name: `d${i}` },
  params: { replicas: i },
  outcome: 'succeeded',
});

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

/** A hub on disk with its key file and anchor file in a fresh directory (no anchoring timer of its own in the way). */
async function hubOnDisk(): Promise<{ hub: Hub; dir: string; dbFile: string; keyFile: string; anchorFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wh-audit-keys-'));
  roots.push(dir);
  const keyFile = join(dir, 'audit.key');
  const anchorFile = join(dir, 'anchor.json');
  const hub = await createHub({
    logger: false,
    dataDir: join(dir, 'hub'),
    audit: { keyFile, anchorFile, anchorIntervalMs: 3_600_000 },
  });
  return { hub, dir, dbFile: join(dir, 'hub', 'hub.db'), keyFile, anchorFile };
}

/** The attacker's connection: triggers dropped. */
function attacker(dbFile: string): BetterSqlite3.Database {
  const raw = new BetterSqlite3(dbFile);
  raw.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  return raw;
}

const chainRecord = (r: AuditRow): ChainRecord => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  cluster_id: r.cluster_id,
  target: r.target === null ? null : (JSON.parse(r.target) as ChainRecord['target']),
  params: r.params === null ? null : (JSON.parse(r.params) as ChainRecord['params']),
  reason: r.reason,
  outcome: r.outcome,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as ChainRecord['detail']),
  key_id: r.key_id,
});

/**
 * Re-computes every hash from `fromSeq` on, as someone following the
 * documented rule would: unkeyed sha256 (key_id cleared), or an HMAC with a
 * key of their own under the real key's id.
 */
function rechain(raw: BetterSqlite3.Database, fromSeq: number, how: 'unkeyed' | AuditKey): void {
  const rows = raw.prepare('SELECT * FROM audit_log ORDER BY seq').all() as AuditRow[];
  let prev = rows.find((r) => r.seq === fromSeq - 1)?.hash ?? GENESIS_HASH;
  const update = raw.prepare('UPDATE audit_log SET key_id = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  for (const r of rows.filter((x) => x.seq >= fromSeq)) {
    const record = chainRecord(r);
    record.key_id = how === 'unkeyed' ? null : how.id;
    const hash = recordHash(prev, record, how === 'unkeyed' ? undefined : how);
    update.run(record.key_id, prev, hash, r.seq);
    prev = hash;
  }
}

async function viaApi(hub: Hub): Promise<VerifyResult> {
  const auditor = await addUser(hub, { bindings: [{ role: 'auditor' }] });
  const res = await hub.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: bearer(auditor.token) });
  expect(res.statusCode).toBe(200);
  return res.json<VerifyResult>();
}

describe('keyed audit chain and anchors', () => {
  it('a correct chain verifies: every record HMAC-keyed, the head anchored, the key file 0600', async () => {
    const { hub, keyFile, anchorFile } = await hubOnDisk();
    try {
      for (let i = 0; i < 10; i++) await hub.audit.append(rec(i));
      const anchor = await hub.anchoring.anchorNow();
      expect(anchor).toMatchObject({ seq: 10, keyedFrom: 1 });
      expect((statSync(keyFile).mode & 0o777).toString(8)).toBe('600');
      expect((statSync(anchorFile).mode & 0o777).toString(8)).toBe('600');
      const keyId = parseKeyFile(readFileSync(keyFile, 'utf8')).active.id;
      const result = await hub.audit.verify();
      expect(result).toMatchObject({
        ok: true,
        records: 10,
        head: { seq: 10 },
        keyed: { fromSeq: 1, keyIds: [keyId] },
        anchor: { status: 'matches', seq: 10, source: anchorFile },
      });
      // Records after the anchor are fine until the next one.
      await hub.audit.append(rec(11));
      expect(await hub.audit.verify()).toMatchObject({ ok: true, records: 11, anchor: { status: 'matches' } });
    } finally {
      await hub.close();
    }
  });

  it.each([
    ['re-chained without a key from the altered record on', 'unkeyed-tail'],
    ['re-chained without a key from the first record (no keyed record left)', 'unkeyed-all'],
    ['re-chained with a key of the attacker’s own under the real key id', 'own-key'],
  ] as const)('detects a record altered and %s', async (_label, how) => {
    const { hub, dbFile, keyFile } = await hubOnDisk();
    try {
      for (let i = 0; i < 10; i++) await hub.audit.append(rec(i));
      await hub.anchoring.anchorNow();
      const raw = attacker(dbFile);
      raw.prepare("UPDATE audit_log SET outcome = 'failed', actor = 'someone-else' WHERE seq = 5").run();
      const realId = parseKeyFile(readFileSync(keyFile, 'utf8')).active.id;
      if (how === 'unkeyed-tail') rechain(raw, 5, 'unkeyed');
      if (how === 'unkeyed-all') rechain(raw, 1, 'unkeyed');
      if (how === 'own-key') rechain(raw, 5, { id: realId, secret: Buffer.from('x'.repeat(43)) });
      raw.close();

      const result = await hub.audit.verify();
      expect(result.ok).toBe(false);
      if (how === 'unkeyed-tail')
        expect(result.firstBadRecord).toEqual({
          seq: 5,
          reason: expect.stringMatching(/no HMAC key although records are keyed since seq 1/) as unknown,
        });
      if (how === 'own-key')
        expect(result.firstBadRecord).toEqual({
          seq: 5,
          reason: expect.stringMatching(/HMAC with key .* differs/) as unknown,
        });
      if (how === 'unkeyed-all') {
        // Every link and sha256 is right now; only the anchor kept outside the store tells.
        expect(result.firstBadRecord).toEqual({
          seq: 10,
          reason: expect.stringMatching(/differs from the head anchored/) as unknown,
        });
        expect(result.anchor).toMatchObject({ status: 'rewritten', seq: 10 });
      }
      expect(await viaApi(hub)).toMatchObject({ ok: false, firstBadRecord: result.firstBadRecord });
    } finally {
      await hub.close();
    }
  });

  it('detects the newest records deleted, through the anchor, and says how many', async () => {
    const { hub, dbFile } = await hubOnDisk();
    try {
      for (let i = 0; i < 10; i++) await hub.audit.append(rec(i));
      await hub.anchoring.anchorNow();
      const raw = attacker(dbFile);
      raw.prepare('DELETE FROM audit_log WHERE seq > 7').run();
      raw.close();
      const result = await viaApi(hub);
      expect(result).toMatchObject({
        ok: false,
        records: 7,
        truncation: { anchoredSeq: 10, lastSeq: 7, missingRecords: 3 },
        anchor: {
          status: 'truncated',
          seq: 10,
          message: expect.stringMatching(/newest 3 record\(s\), seq 8\.\.10, were deleted/) as unknown,
        },
      });
      expect(result.firstBadRecord).toBeUndefined(); // what is left is intact
      // The log goes on: record 8 is new, so it no longer matches the anchor of the old record 10 either way.
      await hub.audit.append(rec(20));
      await hub.audit.append(rec(21));
      await hub.audit.append(rec(22));
      expect(await hub.audit.verify()).toMatchObject({
        ok: false,
        anchor: { status: 'rewritten' },
        firstBadRecord: { seq: 10 },
      });
    } finally {
      await hub.close();
    }
  });

  it('refuses an anchor file altered or rolled back', async () => {
    const { hub, anchorFile } = await hubOnDisk();
    try {
      for (let i = 0; i < 5; i++) await hub.audit.append(rec(i));
      await hub.anchoring.anchorNow();
      const older = readFileSync(anchorFile, 'utf8');
      const forged = { ...(JSON.parse(older) as Record<string, unknown>), seq: 3 };
      writeFileSync(anchorFile, JSON.stringify(forged));
      expect(await hub.audit.verify()).toMatchObject({
        ok: false,
        anchor: { status: 'invalid', message: expect.stringMatching(/HMAC does not match/) as unknown },
      });
      writeFileSync(anchorFile, older);
      await hub.audit.append(rec(6));
      await hub.anchoring.anchorNow();
      writeFileSync(anchorFile, older); // an older, genuine anchor put back
      expect(await hub.audit.verify()).toMatchObject({
        ok: false,
        anchor: { status: 'invalid', message: expect.stringMatching(/older anchor/) as unknown },
      });
    } finally {
      await hub.close();
    }
  });

  it('keeps verifying a chain begun before keys; the first keyed record seals the old ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wh-audit-legacy-'));
    roots.push(dir);
    const dataDir = join(dir, 'hub');
    // What an older hub wrote: unkeyed sha256 records (key_id NULL).
    const old = await openDatabase({ dataDir });
    const legacy = new AuditLog(old);
    for (let i = 0; i < 4; i++) await legacy.append(rec(i));
    await old.destroy();

    const audit = {
      keyFile: join(dir, 'audit.key'),
      anchorFile: join(dir, 'anchor.json'),
      anchorIntervalMs: 3_600_000,
    };
    let hub = await createHub({ logger: false, dataDir, audit });
    try {
      for (let i = 4; i < 8; i++) await hub.audit.append(rec(i));
      const result = await hub.audit.verify();
      expect(result).toMatchObject({ ok: true, records: 8, keyed: { fromSeq: 5 } });
      const rows = (await hub.db.selectFrom('audit_log').select(['seq', 'key_id']).orderBy('seq').execute()).map(
        (r) => r.key_id === null,
      );
      expect(rows).toEqual([true, true, true, true, false, false, false, false]);
    } finally {
      await hub.close();
    }
    // Rewriting an old record and re-chaining the old ones breaks the first keyed record's link.
    const raw = attacker(join(dataDir, 'hub.db'));
    raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run();
    const rows = raw.prepare('SELECT * FROM audit_log WHERE seq <= 4 ORDER BY seq').all() as AuditRow[];
    let prev = rows[0]?.hash ?? GENESIS_HASH;
    for (const r of rows.slice(1)) {
      const hash = recordHash(prev, chainRecord(r));
      raw.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, r.seq);
      prev = hash;
    }
    raw.close();
    hub = await createHub({ logger: false, dataDir, audit });
    try {
      expect(await hub.audit.verify()).toMatchObject({
        ok: false,
        firstBadRecord: {
          seq: 5,
          reason: expect.stringMatching(/prev_hash does not match the hash of record 4/) as unknown,
        },
      });
    } finally {
      await hub.close();
    }
  });

  it('rotates keys: after a new key line, new records name it and old ones still verify with theirs', async () => {
    const { hub, dir, keyFile, anchorFile } = await hubOnDisk();
    for (let i = 0; i < 3; i++) await hub.audit.append(rec(i));
    await hub.close(); // anchors the head at shutdown
    const before = parseKeyFile(readFileSync(keyFile, 'utf8')).active.id;
    writeFileSync(keyFile, `${readFileSync(keyFile, 'utf8')}k2 ${'n'.repeat(43)}\n`);
    const again = await createHub({
      logger: false,
      dataDir: join(dir, 'hub'),
      audit: { keyFile, anchorFile, anchorIntervalMs: 3_600_000 },
    });
    try {
      await again.audit.append(rec(3));
      const ids = (await again.db.selectFrom('audit_log').select('key_id').orderBy('seq').execute()).map(
        (r) => r.key_id,
      );
      expect(ids).toEqual([before, before, before, 'k2']);
      expect(await again.audit.verify()).toMatchObject({
        ok: true,
        records: 4,
        keyed: { fromSeq: 1, keyIds: [before, 'k2'] },
        anchor: { status: 'matches', seq: 3 },
      });
    } finally {
      await again.close();
    }
    // Without the old key the old records cannot be verified, and verify says which key is missing.
    writeFileSync(keyFile, `k2 ${'n'.repeat(43)}\n`);
    const only = await createHub({
      logger: false,
      dataDir: join(dir, 'hub'),
      audit: { keyFile, anchorFile, anchorIntervalMs: 3_600_000 },
    });
    try {
      expect((await only.audit.verify()).firstBadRecord).toEqual({
        seq: 1,
        reason: expect.stringContaining(`HMAC key "${before}", which is not in the key file`) as unknown,
      });
    } finally {
      await only.close();
    }
  });

  it('POSTs each new anchor to the webhook', async () => {
    const received: unknown[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchors`;
    const hub = await createHub({ logger: false, audit: { anchorWebhook: url, anchorIntervalMs: 3_600_000 } });
    try {
      await hub.audit.append(rec(1));
      const anchor = await hub.anchoring.anchorNow();
      expect(received).toEqual([{ type: 'wheelhouse.audit.anchor', anchor }]);
      expect(await hub.anchoring.anchorNow()).toBeNull(); // the head did not move
      expect(received).toHaveLength(1);
    } finally {
      await hub.close();
      server.close();
    }
  });
});
