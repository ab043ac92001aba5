// `wheelhouse audit verify` against a real hub on loopback whose store lost
// its newest records (issue 13 item 14), and `audit rotate-key`.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

describe('wheelhouse audit', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-cli-audit-'));
  const keyFile = join(dir, 'audit.key');
  let hub: Hub;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    hub = await createHub({
      logger: false,
      dataDir: join(dir, 'hub'),
      audit: { keyFile, anchorFile: join(dir, 'anchor.json'), anchorIntervalMs: 3_600_000 },
    });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const { user } = await createUser(hub.db, {
      username: 'aud',
      passwordHash: 'x',
      mustChangePassword: false,
      createdBy: 't',
    });
    await createBinding(hub.db, {
      userId: user.id,
      role: 'auditor',
      clusterPattern: '*',
      namespacePattern: '*',
      createdBy: 't',
    });
    const token = await createApiToken(hub.db, { userId: user.id, name: 'cli' });
    env = {
      ...process.env,
      WHEELHOUSE_HUB_URL: `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`,
      WHEELHOUSE_API_TOKEN: token.token,
      XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
    };
    for (let i = 0; i < 6; i++)
      await hub.audit.append({ actor: `u${i}`, action: 'action.scale', outcome: 'succeeded' });
    await hub.anchoring.anchorNow();
  });
  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const wh = (...args: string[]) => run(process.execPath, [CLI, ...args], { env });

  it('says OK for an intact chain, then names the deleted newest records and exits 1', async () => {
    const ok = await wh('audit', 'verify');
    expect(ok.stdout).toMatch(/^audit chain OK: 6 records\n/);
    expect(ok.stdout).toContain('anchor (');
    expect(ok.stdout).toMatch(/HMAC keyed since seq 1/);

    const raw = new BetterSqlite3(join(dir, 'hub', 'hub.db'));
    raw.exec('DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq > 4;');
    raw.close();
    const err: unknown = await wh('audit', 'verify').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 1 });
    const out = (err as { stdout: string }).stdout;
    expect(out).toMatch(/^audit chain NOT OK: 4 records\n/);
    expect(out).toContain('truncated: the newest 2 record(s) were deleted (anchored up to seq 6, the store ends at 4)');
  });

  it('rotate-key appends a new active key and keeps the old one', async () => {
    const copy = join(dir, 'rotate.key');
    writeFileSync(copy, readFileSync(keyFile, 'utf8'), { mode: 0o600 });
    const { stdout } = await wh('audit', 'rotate-key', '--key-file', copy);
    expect(stdout).toMatch(/^added key k\d{8}-[0-9a-f]{8} to /);
    const lines = readFileSync(copy, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toHaveLength(2);
    expect(lines[1]?.split(' ')[0]).toBe(/added key (\S+)/.exec(stdout)?.[1]);
  });
});
