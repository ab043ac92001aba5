// A pod's HTTP port in a new tab (issue 17): the pod page lists the container's
// ports, "Open in new tab" opens the pod's page through the hub. The page is
// hostile: its script tries the console's API with the user's session and reads
// the cookies — both must fail (the hub serves it as an opaque origin).
// kwok serves the pod's portforward subresource by dialing the address a
// PortForward object names: an HTTP server this test runs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);

/** What the pod serves: a page whose script probes what it can reach of the console. */
const HOSTILE_PAGE = `<!doctype html><title>pod page</title><h1>hello from the pod</h1><pre id="probe">probing</pre>
<script>
const out = [];
try { out.push('cookie: ' + JSON.stringify(document.cookie)); } catch (e) { out.push('cookie: blocked ' + e.name); }
try { out.push('storage: ' + localStorage.length); } catch (e) { out.push('storage: blocked ' + e.name); }
fetch('/api/v1/me', { credentials: 'include' })
  .then((r) => r.text().then((t) => out.push('me: ' + r.status + ' ' + t.slice(0, 300))))
  .catch((e) => out.push('me: failed ' + e.name))
  .finally(() => { document.getElementById('probe').textContent = out.join('\\n'); });
</script>`;

describe('console: a pod port in a new tab', () => {
  let c: Console;
  let ns: string;
  let web: Server;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-pftab');
    web = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(HOSTILE_PAGE));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          containers: [{ name: 'app', image: 'registry.local/web:1', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      },
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
        spec: {
          forwards: [{ ports: [8080], target: { address: '127.0.0.1', port: (web.address() as AddressInfo).port } }],
        },
      },
    });
    c = await openConsole({ bindings: [{ role: 'operator' }] });
    await eventually(
      'the pod Running at the hub',
      async () =>
        (await c.pipeline.hub.inventory.get(c.cluster, 'Pod', ns, 'web'))?.summary.phase === 'Running' || undefined,
      { timeoutMs: 60_000 },
    );
  });
  afterAll(async () => {
    await c.close();
    await new Promise((r) => web.close(r));
  });

  it("opens the port from the pod page; the page's script cannot use the console's session", async () => {
    const { page } = c;
    // The console's session is a cookie of the hub's origin: what the pod's page must not get to use.
    expect((await c.context.cookies(c.url)).length).toBeGreaterThan(0);
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/web`);
    const ports = page.getByRole('region', { name: 'Ports' });
    await expect.poll(() => ports.getByText('8080 (http)').count()).toBe(1);
    const [tab] = await Promise.all([
      c.context.waitForEvent('page'),
      ports.getByRole('button', { name: 'Open port 8080 in a new tab' }).click(),
    ]);
    await tab.waitForLoadState();
    expect(new URL(tab.url()).pathname).toMatch(/^\/pf\/[A-Za-z0-9_-]{43}\/$/);
    expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe('hello from the pod');
    await expect.poll(() => tab.locator('#probe').textContent()).not.toBe('probing');
    const probe = (await tab.locator('#probe').textContent()) ?? '';
    expect(probe).toContain('cookie: blocked SecurityError');
    expect(probe).toContain('storage: blocked SecurityError');
    // Cross-origin (from an opaque origin), without the SameSite=Strict session cookie, and unreadable.
    expect(probe).toContain('me: failed TypeError');
    expect(probe).not.toContain(c.user.username);
    await tab.close();

    // Another port, typed: validated by the hub, the refusal shown where it was typed.
    await ports.getByLabel('Another port').fill('70000');
    await ports.getByRole('button', { name: 'Open in new tab', exact: true }).click();
    await expect.poll(() => ports.getByRole('alert').textContent()).toMatch(/port/i);
  });
});
