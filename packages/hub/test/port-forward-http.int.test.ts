// A pod's HTTP port opened in a browser tab through the hub: the console asks
// POST …/portforward/http, the tab loads /pf/<token>/… . Against the real local
// cluster: kwok serves the pod's portforward subresource by dialing the address a
// PortForward object names — here an HTTP server this test runs, which records
// what reached "the pod".
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { FORWARDED_CSP } from '../src/portforward/http-forward-proxy.js';
import { addUser, bearer, login, sessionHeaders, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A plain HTTP request to the hub (fetch would drop Set-Cookie and follow redirects). */
function call(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('a pod port in a browser tab', () => {
  let p: Pipeline;
  let web: Server;
  let ns = '';
  let operator: TestUser;
  let viewer: TestUser;
  const seen: Seen[] = [];

  const openPath = (pod = 'web', namespace = ns, cluster = p.cluster): string =>
    `/api/v1/clusters/${cluster}/pods/${namespace}/${pod}/portforward/http`;
  async function open(user: TestUser, body: unknown, pod = 'web', cluster?: string) {
    return call(p.url + openPath(pod, ns, cluster), {
      method: 'POST',
      headers: { ...bearer(user.token), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  async function audits(actor: string) {
    const { items } = await p.hub.audit.query({ action: 'portforward.open', actor, limit: 100 });
    return items;
  }

  beforeAll(async () => {
    ns = await testNamespace('pf-http');
    web = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url === '/old') {
          res.writeHead(302, { location: '/new?x=1' }).end();
          return;
        }
        res.writeHead(200, {
          'content-type': 'text/html',
          'set-cookie': 'wh_session=planted; Path=/',
          'clear-site-data': '"cookies"',
          'access-control-allow-origin': '*',
          'x-pod-header': 'kept',
        });
        res.end(`<h1>hello from the pod</h1><p>${req.method} ${req.url} ${body}</p>`);
      });
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const webPort = (web.address() as AddressInfo).port;
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'registry.local/web:1' }] } },
    });
    await custom.createNamespacedCustomObject({
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'portforwards',
      body: {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'PortForward',
        metadata: { name: 'web', namespace: ns },
        spec: { forwards: [{ ports: [8080], target: { address: '127.0.0.1', port: webPort } }] },
      },
    });
    p = await startPipeline({ hub: { httpForward: { maxPerUser: 3 } } });
    operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    viewer = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    await eventually(
      'the pod Running at the hub',
      async () => (await p.hub.inventory.get(p.cluster, 'Pod', ns, 'web'))?.summary.phase === 'Running' || undefined,
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(async () => {
    await p.stop();
    await new Promise((r) => web.close(r));
  });

  it("serves the pod's page sandboxed, without the user's cookies, audited once per opening", async () => {
    const opened = await open(operator, { port: 8080 });
    expect(opened.status).toBe(201);
    const { url, idleTimeoutMs } = JSON.parse(opened.body) as { url: string; idleTimeoutMs: number };
    expect(url).toMatch(/^\/pf\/[A-Za-z0-9_-]{43}\/$/);
    expect(idleTimeoutMs).toBe(15 * 60_000);

    // The tab's top-level load carries the user's console session; it must not reach the pod.
    const session = await login(p.hub, operator.username, operator.password);
    const page = await call(`${p.url}${url}index.html?q=1`, {
      headers: { cookie: `${session.cookie}; other=1`, authorization: `Bearer ${operator.token}` },
    });
    expect(page.status, page.body).toBe(200);
    expect(page.body).toContain('hello from the pod');
    expect(page.body).toContain('GET /index.html?q=1');
    expect(page.headers['content-security-policy']).toBe(FORWARDED_CSP);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // Nothing the pod answers may act on the hub's origin.
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(page.headers['clear-site-data']).toBeUndefined();
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect(page.headers['x-pod-header']).toBe('kept');
    const got = seen.at(-1);
    expect(got?.headers.cookie).toBeUndefined();
    expect(got?.headers.authorization).toBeUndefined();
    expect(got?.headers.host).toBe('localhost:8080');

    // A form post reaches the pod (no CSRF token: the tab has none, and needs none).
    const posted = await call(`${p.url}${url}submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
      body: 'a=1&b=2',
    });
    expect(posted.status).toBe(200);
    expect(posted.body).toContain('POST /submit a=1&b=2');
    // A redirect to a root path stays inside the forward.
    const moved = await call(`${p.url}${url}old`);
    expect(moved.status).toBe(302);
    expect(moved.headers.location).toBe(`${url.slice(0, -1)}/new?x=1`);

    const records = await audits(operator.username);
    const allowed = records.filter((r) => r.outcome === 'allowed');
    expect(allowed).toHaveLength(1); // three requests, one opening
    expect(allowed[0]?.target).toMatchObject({ kind: 'Pod', namespace: ns, name: 'web' });
    expect(allowed[0]?.detail).toMatchObject({ port: 8080, via: 'browser' });
    expect(JSON.stringify(records)).not.toContain(url.split('/')[2]); // the token is not in the log

    // The session cookie does not open the API from a forward's path either: it is a different route tree.
    const api = await call(`${p.url}${url}api/v1/me`, { headers: sessionHeaders(session) });
    expect(api.body).not.toContain(operator.username);
  });

  it('refuses a viewer (403 naming pod:port-forward, audited) and changes nothing', async () => {
    const before = (await audits(viewer.username)).length;
    const r = await open(viewer, { port: 8080 });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'forbidden', permission: 'pod:port-forward' });
    const after = await audits(viewer.username);
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({ outcome: 'denied', action: 'portforward.open' });
  });

  it('validates the port (400 naming it), the pod (404), the tier (409), the token (404)', async () => {
    for (const port of [0, 65536, 'http', 8.5]) {
      const r = await open(operator, { port });
      expect(r.status, String(port)).toBe(400);
      expect(r.body).toContain('port');
    }
    const extra = await open(operator, { port: 80, host: 'evil' });
    expect(extra.status).toBe(400);
    const missing = await open(operator, { port: 8080 }, 'no-such-pod');
    expect(missing.status).toBe(404);
    expect((JSON.parse(missing.body) as { message: string }).message).toContain(`pod ${ns}/no-such-pod`);
    await p.hub.clusters.create('tierless', 'test');
    await p.hub.clusters.markConnected('tierless', {
      agentVersion: 'test',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: false, podExec: false },
    });
    const off = await open(operator, { port: 8080 }, 'web', 'tierless');
    expect(off.status).toBe(409);
    expect(JSON.parse(off.body)).toMatchObject({ error: 'tier_disabled', tier: 'podExec' });
    const unknown = await call(`${p.url}/pf/${'A'.repeat(43)}/`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: 'not_found' });
    expect(unknown.body).toContain('it closed: idle, expired');
  });

  it('a port nobody listens on answers 502 port_forward_failed in the tab; the per-user limit answers 429', async () => {
    const opened = await open(operator, { port: 9999 });
    expect(opened.status).toBe(201);
    const { url } = JSON.parse(opened.body) as { url: string };
    const r = await call(p.url + url);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'port_forward_failed', port: 9999 });
    expect(r.body).toContain(`pod ${ns}/web port 9999 did not answer`);
    // Limit 3: this test's forward, the first test's, and one more.
    expect((await open(operator, { port: 8080 })).status).toBe(201);
    const over = await open(operator, { port: 8080 });
    expect(over.status).toBe(429);
    expect(JSON.parse(over.body)).toMatchObject({ error: 'too_many_port_forwards' });
    expect((JSON.parse(over.body) as { message: string }).message).toContain('3 pod ports open in browser tabs');
  });
});
