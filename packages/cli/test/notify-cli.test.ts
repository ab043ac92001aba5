// `wheelhouse notify rules add|list|test|rm` against a real hub on loopback
// and a real HTTP receiver: the URL never printed, the test message arrives,
// a viewer is refused with the hub's message.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

describe('wheelhouse notify rules', { timeout: 90_000 }, () => {
  let hub: Hub;
  let receiver: Server;
  let receiverUrl = '';
  const bodies: unknown[] = [];
  const env: Record<'admin' | 'viewer', NodeJS.ProcessEnv> = { admin: {}, viewer: {} };

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    receiver = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(text));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    for (const [name, role] of [
      ['admin', 'account-admin'],
      ['viewer', 'viewer'],
    ] as const) {
      const { user } = await createUser(hub.db, { username: name, passwordHash: 'x', createdBy: 'test' });
      await createBinding(hub.db, {
        userId: user.id,
        role,
        clusterPattern: '*',
        namespacePattern: '*',
        createdBy: 'test',
      });
      const token = await createApiToken(hub.db, { userId: user.id, name: 'cli' });
      env[name] = {
        ...process.env,
        WHEELHOUSE_HUB_URL: url,
        WHEELHOUSE_API_TOKEN: token.token,
        XDG_CONFIG_HOME: '/nonexistent',
      };
    }
  });
  afterAll(async () => {
    await hub.close();
    receiver.close();
  });

  const wh = (who: 'admin' | 'viewer', ...args: string[]) =>
    run(process.execPath, [CLI, 'notify', 'rules', ...args], { env: env[who] });

  it('adds (URL masked), lists, sends a test that arrives, removes; a viewer is refused', async () => {
    const added = await wh(
      'admin',
      'add',
      '--name',
      'on-call',
      '--url',
      `${receiverUrl}/T0/B0/secret-xyz`,
      '--format',
      'slack',
      '--cluster',
      'prod-*',
      '--min-severity',
      'error',
    );
    const id =
      /Added: (\S+)\s+on-call: insight-opened,insight-resolved,action-failed on prod-\*\/\* at error\+ → slack http:\/\/127\.0\.0\.1:\d+\/…/.exec(
        added.stdout,
      )?.[1];
    expect(id, added.stdout).toBeTruthy();
    expect(added.stdout).not.toContain('secret-xyz');
    expect((await wh('admin', 'list')).stdout).toMatch(/on-call[\s\S]*last: never sent; delivered 0, failed 0/);
    const tested = await wh('admin', 'test', id ?? '');
    expect(tested.stdout).toMatch(/^Test message delivered \(HTTP 200\) at .* UTC after 1 attempt\n$/);
    expect(bodies).toMatchObject([
      { text: expect.stringContaining('Test notification of rule "on-call", sent by admin') as unknown },
    ]);
    expect((await wh('admin', 'list')).stdout).toMatch(/last: delivered \(HTTP 200\)[\s\S]*delivered 1, failed 0/);
    await expect(wh('viewer', 'list')).rejects.toThrow(/notifications:manage/);
    expect((await wh('admin', 'rm', id ?? '')).stdout).toBe(`Removed rule ${id}\n`);
    expect((await wh('admin', 'list')).stdout).toBe('No rules.\n');
  });
});
