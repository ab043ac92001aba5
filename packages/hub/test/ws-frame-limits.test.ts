// Browser WebSockets take small frames only (CLIENT_MAX_FRAME_BYTES): shell
// input up to 64 KiB per frame, nothing of note on the live feed or a log
// stream. A larger frame closes the socket with 1009 before the hub buffers it;
// a frame at the bound passes. A real hub on loopback, a raw agent for the
// cluster (the shell's exec is "opened" by it), real WebSocket clients.
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_MAX_FRAME_BYTES,
  MAX_FRAME_BYTES,
  decodeShellFrame,
  logsPath,
  shellPath,
  type HubMessage,
} from '@wheelhouse/protocol';
import { eventually } from '@wheelhouse/test-cluster/testing';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { podItem } from './support/inventory-items.js';
import { rawAgent, type RawAgent } from './support/raw-agent.js';

useFastPasswordHashing();

describe('frame limits on browser WebSockets', () => {
  let hub: Hub;
  let base: string;
  let agent: RawAgent;
  let admin: TestUser;
  const stdin: Buffer[] = [];

  beforeAll(async () => {
    hub = await createHub({ logger: false, webRoot: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const c = await hub.clusters.create('frames', 'test');
    if (!c) throw new Error('cluster exists');
    agent = await rawAgent(hub, c.token);
    // The raw agent opens every exec at once and keeps what it is sent.
    agent.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        stdin.push(Buffer.from(decodeShellFrame(data).payload));
        return;
      }
      const msg = JSON.parse(data.toString()) as HubMessage;
      if (msg.type === 'shell.open')
        agent.send({ type: 'shell.opened', sessionId: msg.sessionId, command: ['sh'], window: 1024 * 1024 });
    });
    await eventually('the raw agent connected', async () => (await hub.clusters.get('frames'))?.connected);
    await hub.inventory.applyChanges('frames', [podItem('team-a', 'web-0')], []);
    admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
  });
  afterAll(async () => {
    agent.ws.close();
    await hub.close();
  });

  async function connect(path: string): Promise<{ ws: WebSocket; closed: Promise<number>; texts: string[] }> {
    const ws = new WebSocket(`${base}${path}`, { headers: bearer(admin.token), maxPayload: MAX_FRAME_BYTES });
    const texts: string[] = [];
    ws.on('message', (d: Buffer, isBinary) => {
      if (!isBinary) texts.push(d.toString());
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('error', () => undefined);
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    return { ws, closed, texts };
  }

  it.each([
    ['live feed', '/api/v1/live?cluster=frames', CLIENT_MAX_FRAME_BYTES.live],
    ['log stream', logsPath('frames', 'team-a', 'web-0'), CLIENT_MAX_FRAME_BYTES.logs],
    ['pod shell', shellPath('frames', 'team-a', 'web-0'), CLIENT_MAX_FRAME_BYTES.shell],
  ])('%s: a frame one byte over its bound closes the socket with 1009', async (_what, path, limit) => {
    const { ws, closed } = await connect(path);
    ws.send(Buffer.alloc(limit + 1, 0x61), { binary: true });
    expect(await closed).toBe(1009);
    // The agent link still takes its own, larger frames.
    expect(hub.link.isConnected('frames')).toBe(true);
  });

  it('a shell input frame at the bound reaches the agent whole', async () => {
    const { ws, texts, closed } = await connect(shellPath('frames', 'team-a', 'web-0'));
    await expect.poll(() => texts.some((t) => t.includes('"opened"'))).toBe(true);
    const before = Buffer.concat(stdin).length;
    ws.send(Buffer.alloc(CLIENT_MAX_FRAME_BYTES.shell, 0x62), { binary: true });
    await expect.poll(() => Buffer.concat(stdin).length - before).toBe(CLIENT_MAX_FRAME_BYTES.shell);
    ws.close();
    expect(await closed).toBe(1005);
  });
});
