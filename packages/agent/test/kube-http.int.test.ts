// kubeRequest on the real API server, through a TCP relay that counts the
// connections made: sequential requests share one keep-alive TLS connection
// instead of a handshake each (the client library builds a fresh agent per
// request).
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConfig } from '@wheelhouse/test-cluster/testing';
import { ensureOk, kubeRequest } from '../src/kube-http.js';

describe('kubeRequest connections', () => {
  const admin = kubeConfig();
  let relay: Server;
  let connections = 0;
  const open = new Set<Socket>();
  let viaRelay: k8s.KubeConfig;

  beforeAll(async () => {
    const target = new URL(admin.getCurrentCluster()?.server ?? '');
    relay = createServer((client) => {
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
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as AddressInfo).port;
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
    await new Promise((r) => relay.close(r));
  });

  it('sends sequential requests over one connection', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) ensureOk(await kubeRequest(viaRelay, 'GET', '/api/v1/namespaces/default'), 'get');
    expect(connections - before).toBe(1);
  });
});
