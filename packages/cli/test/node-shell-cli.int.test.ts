// `wheelhouse node-shell <node>` as a user runs it: input piped to a root shell on a
// (kwok) node through hub and agent, its output and exit code ours, the node-shell
// pod gone from Kubernetes afterwards; refused (exit 4, the hub's message) without
// node:shell, with nothing created.
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const NODE = 'kwok-node-2';

describe('wheelhouse node-shell', () => {
  let hub: Hub;
  let agent: Agent;
  let url = '';
  let ns = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    ns = await testNamespace('cli-nodesh');
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    for (const role of ['account-admin', 'operator'] as const) {
      const { user } = await createUser(hub.db, {
        username: `cli-${role}`,
        passwordHash: 'x',
        mustChangePassword: false,
        createdBy: 'test',
      });
      await createBinding(hub.db, {
        userId: user.id,
        role,
        clusterPattern: '*',
        namespacePattern: '*',
        createdBy: 'test',
      });
      tokens[role] = (await createApiToken(hub.db, { userId: user.id, name: 'cli' })).token;
    }
    const created = await hub.clusters.create('nodes', 'test');
    if (!created) throw new Error('cluster exists');
    agent = await startAgent({
      hubUrl: url,
      token: created.token,
      kubeConfig: kubeConfig(),
      capabilities: { basic: false, advanced: false, podExec: false, nodeShell: true },
      // kwok's exec runs here, where nsenter into PID 1 is refused: sh stands in for the node's shell.
      nodeShell: { namespace: ns, command: ['sh'] },
      log: pino({ level: 'silent' }),
      flushMs: 50,
    });
    await eventually('the node at the hub', async () => Boolean(await hub.inventory.get('nodes', 'Node', '', NODE)));
  });
  afterAll(async () => {
    await agent.stop();
    await hub.close();
  });

  const cli = (
    token: string,
    args: string[],
    input: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: {
          ...process.env,
          WHEELHOUSE_HUB_URL: url,
          WHEELHOUSE_API_TOKEN: token,
          XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input);
    });
  const pods = async (): Promise<string[]> =>
    (await core.listNamespacedPod({ namespace: ns })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.name ?? '');

  it('runs piped input in a shell on the node, exits with its code, and leaves no pod', async () => {
    // The sleep as in the debug test: output just before a quick exit can be lost under load.
    const r = await cli(
      tokens['account-admin'] ?? '',
      ['node-shell', NODE],
      'echo "on-node-$((6 * 7))"; sleep 1; exit 5\n',
    );
    expect(r.stdout, r.stderr).toContain('on-node-42');
    expect(r.code).toBe(5);
    await eventually('the node-shell pod deleted', async () => (await pods()).length === 0, { timeoutMs: 15_000 });
  });

  it('refuses an operator (no node:shell): exit 4 with the hub message, no pod', async () => {
    const r = await cli(tokens.operator ?? '', ['node-shell', NODE], 'true\n');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("lacks permission 'node:shell' on cluster 'nodes'");
    expect(await pods()).toEqual([]);
  });

  it('names an unknown node: exit 3', async () => {
    const r = await cli(tokens['account-admin'] ?? '', ['node-shell', 'no-such-node'], 'true\n');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('node no-such-node');
  });
});
