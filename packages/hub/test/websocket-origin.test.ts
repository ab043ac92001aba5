// Issue 13 item 6: every WebSocket upgrade (live feed, shell, logs) is refused
// when its Origin is not the hub's own or an allowed one — even with a valid
// session cookie — and nothing is opened; without an Origin only a bearer
// token may connect. Real sockets (ws) against a listening hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Hub } from '../src/server.js';
import { bearer, addUser, login, useFastPasswordHashing, type TestSession, type TestUser } from './support/identity.js';
import { startHub } from './support/hub-with-agent.js';

useFastPasswordHashing();

let hub: Hub;
let url: string;
let admin: TestUser;
let session: TestSession;

beforeAll(async () => {
  ({ hub, url } = await startHub({ allowedOrigins: ['https://console.example.org'] }));
  admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
  session = await login(hub, admin.username, admin.password);
  await hub.clusters.create('c1', 'test');
});
afterAll(() => hub.close());

type Outcome = { opened: true; ws: WebSocket } | { opened: false; status: number; body: string };

function connect(path: string, headers: Record<string, string>): Promise<Outcome> {
  const ws = new WebSocket(url.replace('http', 'ws') + path, { headers });
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ opened: true, ws }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.on('error', reject);
  });
}

async function originDenials(): Promise<{ actor: string; detail: Record<string, unknown> }[]> {
  const res = await hub.app.inject({
    method: 'GET',
    url: '/api/v1/audit?action=websocket.open&limit=100',
    headers: bearer(admin.token),
  });
  return res.json<{ items: { actor: string; detail: Record<string, unknown> }[] }>().items;
}

const own = (): string => url; // http://127.0.0.1:<port>: the page the hub serves

describe('WebSocket Origin check', () => {
  it('refuses a foreign Origin with a valid session cookie: 403 origin_not_allowed, no live subscription, audited', async () => {
    const before = hub.live.size;
    const out = await connect('/api/v1/live?cluster=c1', { cookie: session.cookie, origin: 'https://evil.example' });
    expect(out.opened).toBe(false);
    if (out.opened) return;
    expect(out.status).toBe(403);
    expect(JSON.parse(out.body)).toMatchObject({ error: 'origin_not_allowed', origin: 'https://evil.example' });
    expect(hub.live.size).toBe(before);
    const rows = await originDenials();
    expect(rows[0]).toMatchObject({
      actor: 'root',
      detail: { reason: 'origin', origin: 'https://evil.example', route: '/api/v1/live' },
    });
  });

  it('refuses the same on the shell and logs routes before any of their checks run (no session, no stream)', async () => {
    for (const path of ['/api/v1/clusters/c1/pods/default/p/shell', '/api/v1/clusters/c1/pods/default/p/logs']) {
      const out = await connect(path, { cookie: session.cookie, origin: 'http://127.0.0.1.evil.example' });
      expect(out.opened ? 'opened' : out.status).toBe(403);
    }
    expect(hub.shell.stats().sessions).toBe(0);
    expect(hub.logs.stats().streams).toBe(0);
    const shellRows = await hub.db.selectFrom('shell_sessions').select('id').execute();
    expect(shellRows).toEqual([]);
  });

  it("lets the hub's own page and an allowed origin in with the cookie", async () => {
    for (const origin of [own(), 'https://console.example.org']) {
      const out = await connect('/api/v1/live?cluster=c1', { cookie: session.cookie, origin });
      expect(out.opened).toBe(true);
      if (out.opened) out.ws.close();
    }
  });

  it('without an Origin: a bearer token connects (CLI), the session cookie does not', async () => {
    const token = await connect('/api/v1/live?cluster=c1', bearer(admin.token));
    expect(token.opened).toBe(true);
    if (token.opened) token.ws.close();
    const cookie = await connect('/api/v1/live?cluster=c1', { cookie: session.cookie });
    expect(cookie.opened ? 'opened' : cookie.status).toBe(403);
    if (!cookie.opened) expect(JSON.parse(cookie.body)).toMatchObject({ error: 'origin_not_allowed', origin: null });
  });

  it('a foreign Origin is refused even with a bearer token; an "null" origin too', async () => {
    for (const origin of ['https://evil.example', 'null']) {
      const out = await connect('/api/v1/live?cluster=c1', { ...bearer(admin.token), origin });
      expect(out.opened ? 'opened' : out.status).toBe(403);
    }
  });

  it('writes one audit row per user and origin per minute, counting the repeats', async () => {
    const before = (await originDenials()).length;
    for (let i = 0; i < 5; i++) {
      const out = await connect('/api/v1/live?cluster=c1', { cookie: session.cookie, origin: 'https://flood.example' });
      expect(out.opened).toBe(false);
    }
    expect((await originDenials()).length).toBe(before + 1);
  });
});
