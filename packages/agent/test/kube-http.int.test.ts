// kubeRequest on the real API server, through a TCP relay that counts the
// connections made: sequential requests share one keep-alive TLS connection
// instead of a handshake each (the client library builds a fresh agent per
// request), and so do the agent's own (lean) config and the configs that
// impersonate through it.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConfig } from '@wheelhouse/test-cluster/testing';
import { ensureOk, kubeRequest } from '../src/kube-http.js';
import { LeanKubeConfig } from '../src/kube-config.js';
import { impersonatingKubeConfig } from '../src/impersonation.js';

describe('kubeRequest connections', () => {
  const admin = kubeConfig();
  const relays: Server[] = [];
  let connections = 0;
  const open = new Set<Socket>();
  let viaRelay: k8s.KubeConfig;
  const target = new URL(admin.getCurrentCluster()?.server ?? '');

  /** A TCP relay to the API server that counts the connections made through it; resolves with its port. */
  async function startRelay(): Promise<number> {
    const relay = createServer((client) => {
      connections++;
      const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
      for (const s of [client, upstream]) {
        open.add(s);
        s.on('close', () => open.delete(s));
      }
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    relays.push(relay);
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    return (relay.address() as AddressInfo).port;
  }

  beforeAll(async () => {
    const port = await startRelay();
    const cluster = admin.getCurrentCluster();
    viaRelay = new k8s.KubeConfig();
    viaRelay.loadFromOptions({
      clusters: admin.clusters.map((c) =>
        c.name === cluster?.name ? { ...c, server: `https://127.0.0.1:${port}`, tlsServerName: target.hostname } : c,
      ),
      users: admin.users,
      contexts: admin.contexts,
      currentContext: admin.currentContext,
    });
  });

  afterAll(async () => {
    for (const s of open) s.destroy();
    await Promise.all(relays.map((relay) => new Promise((r) => relay.close(r))));
  });

  it('sends sequential requests over one connection', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) ensureOk(await kubeRequest(viaRelay, 'GET', '/api/v1/namespaces/default'), 'get');
    expect(connections - before).toBe(1);
  });

  it('the lean config and configs impersonating through it share one connection (one agent per TLS identity)', async () => {
    // A relay of its own: another API server address, so no connection of the test above is reused.
    const port = await startRelay();
    const user = admin.getCurrentUser();
    const file = join(mkdtempSync(join(tmpdir(), 'wh-kube-http-')), 'config');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'c',
            cluster: {
              server: `https://127.0.0.1:${port}`,
              'tls-server-name': target.hostname,
              'certificate-authority': admin.getCurrentCluster()?.caFile,
            },
          },
        ],
        users: [{ name: 'u', user: { 'client-certificate': user?.certFile, 'client-key': user?.keyFile } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    const lean = LeanKubeConfig.load(file);
    const as = impersonatingKubeConfig(lean, { user: 'someone', groups: ['system:masters'] });
    const before = connections;
    for (let i = 0; i < 3; i++) {
      ensureOk(await kubeRequest(lean, 'GET', '/api/v1/namespaces/default'), 'get');
      ensureOk(await kubeRequest(as, 'GET', '/api/v1/namespaces/default'), 'get as someone');
    }
    expect(connections - before).toBe(1);
  });
});
