// `wheelhouse shell` as a user runs it: through the hub and agent to a real
// (kwok) pod, with the remote command's output and exit code.
import { execFile } from 'node:child_process';
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

describe('wheelhouse shell', () => {
  let hub: Hub;
  let agent: Agent;
  let env: NodeJS.ProcessEnv;
  let ns = '';

  beforeAll(async () => {
    ns = await testNamespace('cli-shell');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'box' }, spec: { containers: [{ name: 'app', image: 'registry.local/box:1' }] } },
    });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const { user } = await createUser(hub.db, {
      username: 'oncall',
      passwordHash: 'x',
      mustChangePassword: false,
      createdBy: 'test',
    });
    await createBinding(hub.db, {
      userId: user.id,
      role: 'operator',
      clusterPattern: '*',
      namespacePattern: '*',
      createdBy: 'test',
    });
    const token = (await createApiToken(hub.db, { userId: user.id, name: 'cli' })).token;
    const created = await hub.clusters.create('shelly', 'test');
    if (!created) throw new Error('cluster exists');
    agent = await startAgent({
      hubUrl: url,
      token: created.token,
      kubeConfig: kubeConfig(),
      capabilities: { basic: false, advanced: false, podExec: true },
      log: pino({ level: 'silent' }),
      flushMs: 50,
    });
    await eventually(
      'the pod Running at the hub',
      async () => (await hub.inventory.get('shelly', 'Pod', ns, 'box'))?.summary.phase === 'Running' || undefined,
    );
    env = {
      ...process.env,
      WHEELHOUSE_HUB_URL: url,
      WHEELHOUSE_API_TOKEN: token,
      XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
    };
  });
  afterAll(async () => {
    await agent.stop();
    await hub.close();
  });

  it("prints the remote output and exits with the remote command's exit code", async () => {
    const result: { code: number; stdout: string; stderr: string } = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'shell', 'box', '-n', ns, '--', 'sh', '-c', 'echo from-the-pod; sleep 0.3; exit 3'],
        { env, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout, stderr }),
      );
    });
    expect(result.stdout).toContain('from-the-pod');
    expect(result.code).toBe(3);
    // The session is on the pod's timeline at the hub.
    const tl = await hub.timeline.query('shelly', {
      namespace: ns,
      kind: 'Pod',
      name: 'box',
      types: ['shell'],
      limit: 10,
    });
    expect(tl.items.some((e) => e.summary.includes('oncall'))).toBe(true);
  });

  it('explains a refusal with the exit code of not found (3)', async () => {
    const err: unknown = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'shell', 'no-such-pod', '-n', ns, '--', 'true'],
        { env, timeout: 30_000 },
        (e, _out, stderr) => resolve({ code: (e as { code?: number } | null)?.code ?? 0, stderr }),
      );
    });
    expect(err).toMatchObject({ code: 3 });
    expect((err as { stderr: string }).stderr).toMatch(/^error: .*not found/i);
  });
});
