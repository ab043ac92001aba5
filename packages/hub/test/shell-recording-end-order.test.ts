// A shell's end is stored only once its whole recording is: what replicas-recordings.int
// relies on when it waits for the end and then replays the recording through another hub.
// The worst case for the hub: a command that exits at once, so its output, exit and close
// come from the agent in one burst, and the recording's one write is slow. A real hub on
// PostgreSQL; its agent is a raw link client speaking the shell protocol; the write is made
// slow by a real lock another connection holds on shell_recordings (an INSERT waits for a
// SHARE lock). While it is held, the client has its output and its close, but the session
// must not read as ended; once it goes, the end and the recording with the output follow.
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHELL_CHANNELS, encodeShellFrame, shellPath, type HubMessage } from '@wheelhouse/protocol';
import { eventually } from '@wheelhouse/test-cluster/testing';
import { parseAsciicast } from '../src/shell/asciicast.js';
import { ShellStore } from '../src/shell/shell-store.js';
import { createHub, type Hub } from '../src/server.js';
import { openDatabase, type HubDb } from '../src/store/db.js';
import { addUser, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { podItem } from './support/inventory-items.js';
import { rawAgent, type RawAgent } from './support/raw-agent.js';
import { connectShell } from './support/shell-client.js';
import { newPostgresStore } from './support/store-factories.js';

useFastPasswordHashing();

describe('a shell whose recording write is slow (PostgreSQL)', () => {
  let hub: Hub;
  let other: HubDb;
  let base: string;
  let agent: RawAgent;
  let operator: TestUser;

  beforeAll(async () => {
    const store = await newPostgresStore();
    hub = await createHub({ logger: false, webRoot: false, ...store });
    // Another connection to the same database, as a second replica has.
    other = await openDatabase(store);
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const c = await hub.clusters.create('c1', 'test');
    if (!c) throw new Error('cluster exists');
    agent = await rawAgent(hub, c.token);
    // The agent of a command that exits at once: opened, its output, its exit and close in one burst.
    agent.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString()) as HubMessage;
      if (msg.type === 'shell.ping') agent.send({ type: 'shell.pong', t: msg.t });
      if (msg.type !== 'shell.open') return;
      const sessionId = msg.sessionId;
      agent.send({ type: 'shell.opened', sessionId, command: msg.command ?? ['sh'], window: 1 << 20 });
      agent.sendRaw(encodeShellFrame(sessionId, SHELL_CHANNELS.stdout, Buffer.from('quick-output\r\n')), true);
      agent.send({ type: 'shell.exit', sessionId, code: 0 });
      agent.send({ type: 'shell.closed', sessionId, reason: 'closed' });
    });
    await eventually('the raw agent connected', async () => (await hub.clusters.get('c1'))?.connected);
    await hub.inventory.applyChanges('c1', [podItem('team-a', 'web-0')], []);
    operator = await addUser(hub, { bindings: [{ role: 'operator' }] });
  });
  afterAll(async () => {
    agent.ws.close();
    await hub.close();
    await other.destroy();
  });

  it('is not ended in the store until its recording, output included, is', async () => {
    let held: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((r) => (locked = r));
    const lock = other.transaction().execute(async (trx) => {
      await sql`LOCK TABLE shell_recordings IN SHARE MODE`.execute(trx);
      locked();
      await new Promise<void>((r) => (held = r));
    });
    await isLocked;

    let sessionId = '';
    const row = () =>
      other
        .selectFrom('shell_sessions')
        .select(['end_reason', 'recording_bytes'])
        .where('id', '=', sessionId)
        .executeTakeFirstOrThrow();
    // Released in any case: a hub closing with a write still waiting would wait for it.
    try {
      const u = new URL(shellPath('c1', 'team-a', 'web-0'), base);
      for (const part of ['echo', 'quick-output']) u.searchParams.append('command', part);
      const c = await connectShell(u, operator.token);
      if (!('client' in c)) throw new Error(`refused: ${c.status} ${JSON.stringify(c.body)}`);
      const client = c.client;
      await client.closed;
      expect(client.output).toBe('quick-output\r\n');
      sessionId = String(client.controls.find((x) => x.type === 'opened')?.sessionId);

      // The session is over for the client; its recording cannot be written yet, so neither is its end.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await row()).toEqual({ end_reason: null, recording_bytes: 0 });
    } finally {
      held();
    }
    await lock;
    const ended = await eventually('the end stored', async () => {
      const r = await row();
      return r.end_reason ? r : undefined;
    });
    expect(ended.end_reason).toBe('closed');
    // Read at once as a second replica would: the recording is whole, output included.
    const output = parseAsciicast(await new ShellStore(other).recording(sessionId))
      .events.filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(output).toBe('quick-output\r\n');
    expect(ended.recording_bytes).toBeGreaterThan(0);
  }, 30_000);
});
