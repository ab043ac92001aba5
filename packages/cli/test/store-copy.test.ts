// `wheelhouse store copy --from <SQLite> --to postgres://…`: every table
// arrives as stored, the audit chain verifies on the target and continues
// there; a non-empty target is refused unless --replace; a source whose
// chain does not verify leaves the target as it was.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createHub, openDatabase, type HubDb } from '@wheelhouse/hub';
import { ensureAdmin } from '@wheelhouse/hub/auth';
import { WHEELHOUSE_CLI, startProcess } from '@wheelhouse/test-cluster/processes';
import { createDatabase, postgresUrl, queryAs } from '@wheelhouse/test-postgres';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const TABLES = [
  'clusters',
  'resources',
  'timeline_events',
  'commands',
  'command_transitions',
  'users',
  'sessions',
  'api_tokens',
  'role_bindings',
  'audit_log',
  'shell_sessions',
  'shell_recordings',
] as const;

/** Every row of every table, each table's rows in a stable order. */
async function dump(db: HubDb): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    const rows = (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(t)}`.execute(db)).rows;
    out[t] = rows.map((r) => JSON.stringify(r, Object.keys(r).sort())).sort();
  }
  return out;
}

async function copy(args: string[]): Promise<{ code: number | string; output: string }> {
  const p = startProcess([WHEELHOUSE_CLI, 'store', 'copy', ...args], { label: 'store copy' });
  const code = await p.exited;
  return { code, output: p.output() };
}

describe('wheelhouse store copy', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-store-copy-'));
  const source = join(dir, 'hub');
  const passwordFile = join(dir, 'password');
  let expected: Record<string, unknown[]>;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    writeFileSync(passwordFile, `${inject('postgres').password}\n`, { mode: 0o600 });
    // A SQLite hub with a row in every table, written by the hub's own code where it has one.
    const hub = await createHub({ dataDir: source, logger: false });
    await ensureAdmin(hub.db, 'initial-admin-password');
    const login = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'initial-admin-password' },
    });
    expect(login.statusCode).toBe(200);
    await hub.clusters.create('prod', 'admin');
    await hub.db
      .insertInto('api_tokens')
      .values({
        id: 't1',
        user_id: (await hub.db.selectFrom('users').select('id').executeTakeFirstOrThrow()).id,
        name: 'ci',
        token_hash: 'h',
        created_at: 1,
        last_used_at: null,
        expires_at: null,
        revoked_at: null,
      })
      .execute();
    await hub.inventory.applyChanges(
      'prod',
      [
        {
          kind: 'ConfigMap',
          namespace: 'ns',
          name: 'cfg',
          uid: 'u1',
          resourceVersion: '1',
          createdAt: 0,
          labels: {},
          ownerRefs: [],
          summary: { keys: 1 },
        } as never,
      ],
      [],
    );
    await hub.timeline.insert(
      'prod',
      Array.from({ length: 2500 }, (_, i) => ({
        id: `e${i}`,
        time: 1_700_000_000_000 + i,
        type: 'k8s.event',
        severity: 'info',
        kind: 'Pod',
        namespace: 'ns',
        name: `p${i % 7}`,
        summary: `event ${i} ünïcode`,
        data: { reason: 'Started', message: `m${i}`, count: 1 },
      })) as never,
    );
    await hub.db
      .insertInto('commands')
      .values({
        id: 'c1',
        cluster_id: 'prod',
        action: 'restart',
        target_kind: 'Deployment',
        target_namespace: 'ns',
        target_name: 'web',
        params: '{}',
        reason: 'r',
        dry_run: 0,
        requested_by: 'admin',
        state: 'succeeded',
        message: null,
        result: '{"ok":true}',
        created_at: 1,
        updated_at: 2,
        expires_at: 3,
        dispatch_count: 1,
        policy: null,
      })
      .execute();
    await hub.db
      .insertInto('command_transitions')
      .values({ command_id: 'c1', state: 'succeeded', at: 2, message: null })
      .execute();
    await hub.db
      .insertInto('shell_sessions')
      .values({
        id: 's1',
        cluster_id: 'prod',
        namespace: 'ns',
        pod: 'web',
        container: 'app',
        command: '["sh"]',
        username: 'admin',
        kube_user: null,
        client_address: '127.0.0.1',
        started_at: 1,
        ended_at: 2,
        end_reason: 'closed',
        exit_code: 0,
        recorded: 1,
        input_captured: 0,
        recording_bytes: 5,
        recording_truncated: 0,
      })
      .execute();
    await hub.db.insertInto('shell_recordings').values({ session_id: 's1', seq: 0, data: 'héllo' }).execute();
    for (let i = 0; i < 300; i++) {
      await hub.audit.append({
        actor: `user-${i % 3}`,
        action: 'action.annotate',
        clusterId: 'prod',
        params: { i, nested: { b: 1, a: [1, null] } },
        outcome: 'succeeded',
      });
    }
    expected = await dump(hub.db);
    await hub.close();
    for (const t of TABLES) expect(expected[t]?.length, t).toBeGreaterThan(0);
  });

  it('copies every table as stored, verifies the chain, and the hub carries on there', async () => {
    const pg = inject('postgres');
    const database = await createDatabase(pg);
    const url = postgresUrl(pg, database);
    const { code, output } = await copy(['--from', source, '--to', url, '--to-password-file', passwordFile]);
    expect(output).toContain('timeline_events: 2500/2500 rows');
    expect(output).toMatch(/audit_log: 30\d\/30\d rows/);
    expect(output).toMatch(/audit chain verified on the target: 30\d records, head 30\d [0-9a-f]{64}/);
    expect(output).not.toContain(pg.password);
    expect(code).toBe(0);

    const target = await openDatabase({ store: url, storePassword: pg.password });
    try {
      expect(await dump(target)).toEqual(expected);
    } finally {
      await target.destroy();
    }
    // The hub on the copy: the chain continues and new ids follow the copied ones.
    // The hub on PostgreSQL is given the same audit key file (the key never goes into the database).
    const hub = await createHub({
      store: url,
      storePassword: pg.password,
      logger: false,
      audit: { keyFile: `${source}.audit.key` },
    });
    try {
      const before = await hub.audit.verify();
      const next = await hub.audit.append({ actor: 'admin', action: 'user.create', outcome: 'succeeded' });
      expect(next.seq).toBe((before.head?.seq ?? 0) + 1);
      expect(await hub.audit.verify()).toMatchObject({ ok: true, records: before.records + 1 });
      const [event] = await hub.timeline.insert('prod', [
        {
          id: 'new',
          time: 1,
          type: 'k8s.event',
          severity: 'info',
          kind: 'Pod',
          namespace: 'ns',
          name: 'x',
          summary: 's',
          data: { reason: 'r', message: 'm', count: 1 },
        } as never,
      ]);
      expect(event?.seq).toBe(2501);
    } finally {
      await hub.close();
    }

    // A second copy into the now non-empty database is refused and changes nothing…
    const again = await copy(['--from', source, '--to', url, '--to-password-file', passwordFile]);
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/the target is not empty \(.*audit_log: 30\d.*\); .*--replace/);
    const [{ n } = { n: 0 }] = await queryAs<{ n: string }>(pg, database, 'SELECT count(*) AS n FROM timeline_events');
    expect(Number(n)).toBe(2501);
    // …unless --replace: the target then holds exactly the source again.
    const replaced = await copy([
      '--from',
      join(source, 'hub.db'),
      '--to',
      url,
      '--to-password-file',
      passwordFile,
      '--replace',
    ]);
    expect(replaced.code).toBe(0);
    const target2 = await openDatabase({ store: url, storePassword: pg.password });
    try {
      expect(await dump(target2)).toEqual(expected);
    } finally {
      await target2.destroy();
    }
  });

  it('commits nothing when the source chain does not verify', async () => {
    const tampered = join(dir, 'tampered');
    rmSync(tampered, { recursive: true, force: true });
    const srcDb = new BetterSqlite3(join(source, 'hub.db'), { readonly: true });
    await srcDb.backup(join(dir, 'tampered.db'));
    srcDb.close();
    const raw = new BetterSqlite3(join(dir, 'tampered.db'));
    raw.exec("DROP TRIGGER audit_no_update; UPDATE audit_log SET actor = 'someone-else' WHERE seq = 10");
    raw.close();
    const pg = inject('postgres');
    const database = await createDatabase(pg);
    const { code, output } = await copy([
      '--from',
      join(dir, 'tampered.db'),
      '--to',
      postgresUrl(pg, database),
      '--to-password-file',
      passwordFile,
      // A lone copy of hub.db: its chain's key file is named, as an operator would.
      '--audit-key-file',
      `${source}.audit.key`,
    ]);
    expect(code).toBe(1);
    expect(output).toMatch(/audit chain does not verify on the target \(record 10: .*altered.*nothing was committed/);
    for (const t of ['audit_log', 'timeline_events', 'users']) {
      const [{ n } = { n: '1' }] = await queryAs<{ n: string }>(pg, database, `SELECT count(*) AS n FROM ${t}`);
      expect(Number(n), t).toBe(0);
    }
  });
});
