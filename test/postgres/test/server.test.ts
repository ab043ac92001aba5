// The throw-away PostgreSQL server tests run against: a real postmaster run by
// an unprivileged user, fsync on, its socket and data in one temp directory,
// and nothing left behind once stopped.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDatabase, queryAs, startPostgres } from '../src/index.js';

describe('throw-away PostgreSQL server', () => {
  it('runs unprivileged with fsync on, serves a fresh database, and is gone after stop()', async () => {
    const server = await startPostgres();
    try {
      const owner = execFileSync('ps', ['-o', 'user=', '-p', String(server.pid)], { encoding: 'utf8' }).trim();
      expect(owner).not.toBe('root');
      expect(statSync(server.dir).uid).not.toBe(0);
      expect(readdirSync(server.dir).some((f) => f.startsWith(`.s.PGSQL.${server.port}`))).toBe(true);
      const db = await createDatabase(server);
      const [row] = await queryAs<{ fsync: string; version: string }>(
        server,
        db,
        "SELECT current_setting('fsync') AS fsync, current_setting('server_version_num') AS version",
      );
      expect(row?.fsync).toBe('on');
      expect(Number(row?.version)).toBeGreaterThanOrEqual(150000);
      // Password authentication over TCP: a wrong password is refused.
      await expect(queryAs({ ...server, password: 'wrong' }, db, 'SELECT 1')).rejects.toThrow(/password/);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
    expect(() => process.kill(server.pid, 0)).toThrow();
  }, 120_000);
});
