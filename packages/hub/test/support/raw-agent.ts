// A raw agent link client: a cluster's real token, a WebSocket, and nothing of
// the agent's own care (no outbox, no backpressure of its own) — what a
// compromised agent can do. Tests use it to flood, fuzz and forge.
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { AGENT_CONNECT_PATH, type InventoryItem } from '@wheelhouse/protocol';
import type { Hub } from '../../src/server.js';

export interface RawAgent {
  ws: WebSocket;
  /** Resolves with the close code and reason once the hub (or the test) closes the link. */
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
  sendRaw(data: string | Buffer, binary?: boolean): void;
}

export async function rawAgent(hub: Hub, token: string, o: { hello?: boolean } = {}): Promise<RawAgent> {
  const { port } = hub.app.server.address() as AddressInfo;
  return rawAgentAt(`http://127.0.0.1:${port}`, token, o);
}

/** rawAgent to a hub by its URL (a hub process). */
export async function rawAgentAt(hubUrl: string, token: string, o: { hello?: boolean } = {}): Promise<RawAgent> {
  const ws = new WebSocket(`${hubUrl.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const agent: RawAgent = {
    ws,
    closed,
    send: (msg) => ws.send(JSON.stringify(msg)),
    sendRaw: (data, binary = false) => ws.send(data, { binary }),
  };
  if (o.hello !== false) {
    agent.send({
      type: 'hello',
      protocol: 1,
      agentVersion: 'raw',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: true, podExec: true },
      missingPermissions: {},
    });
  }
  return agent;
}

/** A ConfigMap as the inventory holds it, with `keys` names of `keyBytes` characters each (for sizeable frames). */
export function configMapItem(namespace: string, name: string, keys = 0, keyBytes = 0): InventoryItem {
  return {
    kind: 'ConfigMap',
    namespace,
    name,
    uid: `uid-${namespace}-${name}`,
    resourceVersion: '1',
    createdAt: 1,
    labels: {},
    ownerRefs: [],
    summary: { keys: Array.from({ length: keys }, (_, i) => `${String(i).padStart(6, '0')}${'k'.repeat(keyBytes)}`) },
  };
}
