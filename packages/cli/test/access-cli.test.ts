// `wheelhouse access request|list|approve|deny` against a real hub on loopback,
// two people: the requester asks, the peer sees it to approve and approves;
// the requester's own approval is refused with the hub's message.
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

describe('wheelhouse access', { timeout: 90_000 }, () => {
  let hub: Hub;
  const env: Record<'dev' | 'peer', NodeJS.ProcessEnv> = { dev: {}, peer: {} };

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    for (const [name, role] of [
      ['dev', 'viewer'],
      ['peer', 'operator'],
    ] as const) {
      const { user } = await createUser(hub.db, { username: name, passwordHash: 'x', createdBy: 'test' });
      await createBinding(hub.db, {
        userId: user.id,
        role,
        clusterPattern: 'prod',
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
  afterAll(() => hub.close());

  const wh = (who: 'dev' | 'peer', ...args: string[]) =>
    run(process.execPath, [CLI, 'access', ...args], { env: env[who] });

  it('requests, lists for the approver, refuses self-approval, approves', async () => {
    const asked = await wh(
      'dev',
      'request',
      '--role',
      'operator',
      '--cluster',
      'prod',
      '-n',
      'payments',
      '--for',
      '1h',
      '--reason',
      'INC-9',
    );
    const id =
      /Requested \(pending a peer's approval\): (\S+)\s+pending\s+dev → operator on prod\/payments for 60m: "INC-9"/.exec(
        asked.stdout,
      )?.[1];
    expect(id, asked.stdout).toBeTruthy();
    expect((await wh('peer', 'list', '--to-approve')).stdout).toContain(id);
    await expect(wh('dev', 'approve', id ?? '')).rejects.toThrow(/dev cannot decide their own access request/);
    const approved = await wh('peer', 'approve', id ?? '', '--comment', 'go');
    expect(approved.stdout).toMatch(
      /Approved: \S+\s+approved dev → operator on prod\/payments for 60m: "INC-9" by peer \("go"\) until \d{4}-/,
    );
    expect((await wh('dev', 'list', '--active')).stdout).toContain(id);
    await expect(wh('peer', 'deny', id ?? '')).rejects.toThrow(/--comment/);
  });
});
