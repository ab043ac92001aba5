// `wheelhouse cluster add/list/revoke`, `user add`, `token create` against a real hub on loopback.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';
import { configurePasswordHashing, hashPassword } from '@wheelhouse/hub/password';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

describe('admin commands', { timeout: 30_000 }, () => {
  let hub: Hub;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    configurePasswordHashing({ logN: 10 });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const { user } = await createUser(hub.db, {
      username: 'root',
      passwordHash: await hashPassword('root-password-1'),
      mustChangePassword: false,
      createdBy: 'test',
    });
    await createBinding(hub.db, {
      userId: user.id,
      role: 'account-admin',
      clusterPattern: '*',
      namespacePattern: '*',
      createdBy: 'test',
    });
    const token = await createApiToken(hub.db, { userId: user.id, name: 'cli' });
    env = {
      ...process.env,
      WHEELHOUSE_HUB_URL: `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`,
      WHEELHOUSE_API_TOKEN: token.token,
      XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
    };
  });
  afterAll(() => hub.close());

  const wh = (...args: string[]) => run(process.execPath, [CLI, ...args], { env });
  /** Runs the CLI with `input` on its standard input (what a prompt would read). */
  const whIn = (input: string, ...args: string[]) => {
    const p = run(process.execPath, [CLI, ...args], { env });
    p.child.stdin?.end(input);
    return p;
  };

  it('registers a cluster, prints its agent token once, and lists it', async () => {
    const { stdout } = await wh('cluster', 'add', 'edge-1');
    const token = /^(wha_edge-1_\S+)$/m.exec(stdout)?.[1];
    expect(token).toBeTruthy();
    expect(stdout).toContain(`wheelhouse agent --hub ${env.WHEELHOUSE_HUB_URL ?? ''} --token ${token ?? ''}`);
    expect(await hub.clusters.authenticateAgent(token ?? '')).toBe('edge-1');
    const list = await wh('cluster', 'list');
    expect(list.stdout).toMatch(/^NAME\s+CONNECTED\s+KUBERNETES\s+AGENT\s+TIERS\nedge-1\s+no\s+-\s+-\s+none$/m);
    await wh('cluster', 'revoke', 'edge-1');
    expect(await hub.clusters.authenticateAgent(token ?? '')).toBeNull();
  });

  it('adds a user with a role and scope and shows the generated password once', async () => {
    const { stdout } = await wh(
      'user',
      'add',
      'dana',
      '--role',
      'operator',
      '--cluster',
      'prod-*',
      '--namespace',
      'payments',
    );
    expect(stdout).toContain('User "dana" created as operator on clusters prod-*, namespaces payments.');
    expect(stdout).toMatch(/Password \(shown once\): \S{10,}/);
  });

  it('creates an API token after asking for the password again, expiring by default after 90 days', async () => {
    const { stdout } = await whIn('root-password-1\n', 'token', 'create', '--name', 'ci');
    expect(stdout.trim()).toMatch(/^whu_\S+$/);
    const row = await hub.db.selectFrom('api_tokens').selectAll().where('name', '=', 'ci').executeTakeFirstOrThrow();
    expect(row.expires_at).toBe(row.created_at + 90 * 24 * 60 * 60 * 1000);
    const wrong: unknown = await whIn('not-my-password\n', 'token', 'create', '--name', 'ci2').catch((e: unknown) => e);
    // reauthentication_failed (403) is "permission denied" in docs/cli.md
    expect(wrong).toMatchObject({ code: 4 });
    expect((wrong as { stderr: string }).stderr).toContain('creating an API token needs your current password');
  });

  it('explains a refused request and exits with its code (invalid: 2, not signed in: 5)', async () => {
    const err: unknown = await wh('cluster', 'add', 'Bad_Name').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/^error: body\.name/);
    const noHub: unknown = await run(process.execPath, [CLI, 'cluster', 'list'], {
      env: { ...env, WHEELHOUSE_HUB_URL: '', WHEELHOUSE_API_TOKEN: '' },
    }).catch((e: unknown) => e);
    expect(noHub).toMatchObject({ code: 5 });
    expect((noHub as { stderr: string }).stderr).toContain(
      'no hub URL: pass --hub, set WHEELHOUSE_HUB_URL, or run `wheelhouse login`',
    );
  });
});

describe('backup', { timeout: 30_000 }, () => {
  it('copies a running hub store consistently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wh-backup-'));
    // The audit chain's key lives beside the data, not in it: a restore needs the same key file.
    const audit = { keyFile: join(dir, 'audit.key') };
    const hub = await createHub({ dataDir: join(dir, 'hub'), logger: false, audit });
    try {
      await hub.clusters.create('kept', 'test');
      await hub.audit.append({ actor: 'test', action: 'backup.test', outcome: 'succeeded' });
      const { stdout } = await run(process.execPath, [
        CLI,
        'backup',
        '--data-dir',
        join(dir, 'hub'),
        '--out',
        join(dir, 'copy.db'),
      ]);
      expect(stdout).toMatch(/integrity ok, 1 audit records/);
      // The copy holds password hashes and the audit log: owner-only, like hub.db.
      expect((statSync(join(dir, 'copy.db')).mode & 0o777).toString(8)).toBe('600');
      const restored = await createHub({ dataDir: join(dir, 'restored'), logger: false, audit });
      await restored.close();
      copyFileSync(join(dir, 'copy.db'), join(dir, 'restored', 'hub.db'));
      const again = await createHub({ dataDir: join(dir, 'restored'), logger: false, audit });
      expect((await again.clusters.get('kept'))?.name).toBe('kept');
      expect((await again.audit.verify()).ok).toBe(true);
      await again.close();
      const refused: unknown = await run(process.execPath, [
        CLI,
        'backup',
        '--data-dir',
        join(dir, 'hub'),
        '--out',
        join(dir, 'copy.db'),
      ]).catch((e: unknown) => e);
      expect((refused as { stderr: string }).stderr).toContain('exists; choose a new file');
    } finally {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
