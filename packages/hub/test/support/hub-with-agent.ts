// A hub listening on loopback and an agent connected to it and to the real
// local cluster: the harness for tests of the whole pipeline.
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startAgent, type Agent, type AgentOptions } from '@wheelhouse/agent';
import type { Capabilities } from '@wheelhouse/protocol';
import { kubeConfig } from '@wheelhouse/test-cluster/testing';
import { createHub, type Hub, type HubOptions } from '../../src/server.js';

export interface Pipeline {
  hub: Hub;
  url: string;
  cluster: string;
  token: string;
  agent: Agent;
  stop(): Promise<void>;
}

export const ALL_TIERS: Capabilities = { basic: true, advanced: true, podExec: true };

/** `port`: listen there (SSO tests register the hub's URL at the provider first); default any free port. */
export async function startHub(opts: HubOptions = {}, listenPort = 0): Promise<{ hub: Hub; url: string }> {
  const hub = await createHub({ logger: false, ...opts });
  await hub.app.listen({ host: '127.0.0.1', port: listenPort });
  const { port } = hub.app.server.address() as AddressInfo;
  return { hub, url: `http://127.0.0.1:${port}` };
}

export async function startPipeline(
  opts: {
    capabilities?: Capabilities;
    hub?: HubOptions;
    cluster?: string;
    agent?: Partial<AgentOptions>;
    port?: number;
  } = {},
): Promise<Pipeline> {
  const { hub, url } = await startHub(opts.hub, opts.port);
  const cluster = opts.cluster ?? `c${Math.random().toString(36).slice(2, 8)}`;
  const { token, agent } = await connectCluster(hub, url, cluster, opts);
  return {
    hub,
    url,
    cluster,
    token,
    agent,
    stop: async () => {
      await agent.stop();
      await hub.close();
    },
  };
}

/**
 * Registers a cluster at a running hub and connects a real agent for it to the local
 * control plane (a second cluster of one hub is a second agent on the same control plane).
 */
export async function connectCluster(
  hub: Hub,
  url: string,
  cluster: string,
  opts: { capabilities?: Capabilities; agent?: Partial<AgentOptions> } = {},
): Promise<{ token: string; agent: Agent }> {
  const created = await hub.clusters.create(cluster, 'test');
  if (!created) throw new Error('cluster exists');
  const agent = await startAgent({
    hubUrl: url,
    token: created.token,
    kubeConfig: kubeConfig(),
    capabilities: opts.capabilities ?? ALL_TIERS,
    log: pino({ level: process.env.WHEELHOUSE_TEST_LOG ?? 'silent' }),
    flushMs: 50,
    ...opts.agent,
  });
  return { token: created.token, agent };
}
