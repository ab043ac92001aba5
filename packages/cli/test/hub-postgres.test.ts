// `wheelhouse hub --store postgres://… --store-password-file …`: the hub
// process migrates a fresh PostgreSQL database, serves from it, and keeps the
// password out of its output; a wrong password stops it with a clear error.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { createDatabase, postgresUrl, queryAs } from '@wheelhouse/test-postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';

describe('hub on PostgreSQL', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-hub-pg-'));
  const procs: TestProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const hub = (store: string, passwordFile: string, port: number, extra: string[] = []): TestProcess => {
    const p = startProcess(
      [
        WHEELHOUSE_CLI,
        'hub',
        '--listen',
        `127.0.0.1:${port}`,
        '--log-level',
        'warn',
        '--data-dir',
        join(dir, 'unused'),
        ...extra,
      ],
      {
        label: 'hub',
        env: {
          ...process.env,
          WHEELHOUSE_STORE: store,
          WHEELHOUSE_STORE_PASSWORD_FILE: passwordFile,
          WHEELHOUSE_INITIAL_ADMIN_PASSWORD: 'initial-admin-password',
        },
      },
    );
    procs.push(p);
    return p;
  };

  it('serves from the database named by WHEELHOUSE_STORE with the password from a file', async () => {
    const pg = inject('postgres');
    const database = await createDatabase(pg);
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${pg.password}\n`, { mode: 0o600 });
    const port = await freePort();
    const p = hub(postgresUrl(pg, database), passwordFile, port);
    await p.waitForOutput(/wheelhouse hub listening on/);
    expect(p.output()).toContain(`store: postgres://${pg.user}@${pg.host}:${pg.port}/${database}`);
    expect(p.output()).not.toContain(pg.password);

    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'initial-admin-password' }),
    });
    expect(login.status).toBe(200);
    // What the hub wrote is in PostgreSQL, seen from the database's side.
    const users = await queryAs<{ username: string }>(pg, database, 'SELECT username FROM users');
    expect(users.map((u) => u.username)).toEqual(['admin']);
    const audit = await queryAs<{ action: string }>(pg, database, 'SELECT action FROM audit_log ORDER BY seq');
    expect(audit.map((a) => a.action)).toContain('auth.login');
    // …and no hub.db was created beside it.
    expect(existsSync(join(dir, 'unused'))).toBe(false);
  });

  it('applies --timeline-max-age: old events leave the database, recent ones stay', async () => {
    const pg = inject('postgres');
    const database = await createDatabase(pg);
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${pg.password}\n`, { mode: 0o600 });
    const p = hub(postgresUrl(pg, database), passwordFile, await freePort(), [
      '--timeline-max-age',
      '1h',
      '--retention-interval',
      '200ms',
    ]);
    await p.waitForOutput(/wheelhouse hub listening on/);
    await queryAs(
      pg,
      database,
      "INSERT INTO clusters (id, created_at, created_by, token_hash) VALUES ('prod', 0, 'x', 'h')",
    );
    const insert = (id: string, time: number) =>
      queryAs(
        pg,
        database,
        "INSERT INTO timeline_events (id, cluster_id, time, type, severity, kind, namespace, name, summary, data) VALUES ($1, 'prod', $2, 'k8s.event', 'info', 'Pod', 'ns', 'p', 's', '{}')",
        [id, time],
      );
    await insert('old', Date.now() - 2 * 3_600_000);
    await insert('recent', Date.now());
    await expect
      .poll(
        async () => (await queryAs<{ id: string }>(pg, database, 'SELECT id FROM timeline_events')).map((r) => r.id),
        {
          timeout: 15_000,
        },
      )
      .toEqual(['recent']);
  });

  it('stops with a clear error when the password is wrong', async () => {
    const pg = inject('postgres');
    const database = await createDatabase(pg);
    const passwordFile = join(dir, 'wrong-password');
    writeFileSync(passwordFile, 'not-the-password\n', { mode: 0o600 });
    const p = hub(postgresUrl(pg, database), passwordFile, await freePort());
    expect(await p.exited).not.toBe(0);
    expect(p.output()).toMatch(/password authentication failed for user "wheelhouse"/);
    expect(p.output()).not.toContain('not-the-password');
  });
});
