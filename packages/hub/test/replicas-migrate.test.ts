// Two hub processes starting at once on an empty PostgreSQL database: the
// schema is migrated once (Kysely's migrator takes an advisory lock and runs
// each migration in a transaction), both come up, and the database holds
// each migration exactly once — checked from the database's side.
import { createDatabase, postgresUrl, queryAs } from '@wheelhouse/test-postgres';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKeyLine } from '../src/audit/audit-keys.js';
import { migrationNames } from '../src/store/migrations.js';

describe('two hub processes starting together on an empty PostgreSQL database', { timeout: 120_000 }, () => {
  const pg = inject('postgres');
  const procs: TestProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop();
  });

  it('migrate it once, and both serve', async () => {
    const database = await createDatabase(pg);
    const dir = mkdtempSync(join(tmpdir(), 'wh-migrate-'));
    const keyFile = join(dir, 'audit.key');
    writeFileSync(keyFile, newKeyLine(), { mode: 0o600 });
    const ports = [await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const args = ['hub', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', '--audit-key-file', keyFile];
      args.push('--audit-anchor-file', join(dir, `anchor-${i}.json`));
      procs.push(
        startProcess([WHEELHOUSE_CLI, ...args], {
          label: `hub-${i}`,
          env: { ...process.env, WHEELHOUSE_STORE: postgresUrl(pg, database, true) },
        }),
      );
    }
    for (const p of procs) await p.waitForOutput(/wheelhouse hub listening on/, 60_000);
    for (const port of ports) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    const applied = await queryAs<{ name: string }>(pg, database, 'SELECT name FROM kysely_migration ORDER BY name');
    expect(applied.map((r) => r.name)).toEqual(migrationNames());
    // One first-start admin, not one per process.
    const admins = await queryAs<{ n: string }>(
      pg,
      database,
      "SELECT count(*) AS n FROM users WHERE username = 'admin'",
    );
    expect(Number(admins[0]?.n)).toBe(1);
    for (const p of procs) expect(p.output()).not.toMatch(/migration .* failed|already exists|duplicate key/);
  });
});
