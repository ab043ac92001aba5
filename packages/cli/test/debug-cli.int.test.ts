// `wheelhouse debug` as a user runs it: the debug-container action through hub and
// agent adds an ephemeral container to a real (kwok) pod, then a shell runs in it
// with the remote command's output and exit code; an image not on the hub's list is
// refused with the list, and the pod keeps no ephemeral container.
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';
import { DEFAULT_DEBUG_IMAGES } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('wheelhouse debug', () => {
  let hub: Hub;
  let agent: Agent;
  let env: NodeJS.ProcessEnv;
  let ns = '';

  beforeAll(async () => {
    ns = await testNamespace('cli-debug');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'box' },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'registry.local/box:1' }] },
      },
    });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const { user } = await createUser(hub.db, {
      username: 'oncall-debug',
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
    const created = await hub.clusters.create('debuggy', 'test');
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
      async () => (await hub.inventory.get('debuggy', 'Pod', ns, 'box'))?.summary.phase === 'Running' || undefined,
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

  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout, stderr }),
      );
    });

  it('refuses an image that is not on the hub list, naming the list, and adds nothing', async () => {
    const r = await cli(['debug', 'box', '-n', ns, '--image', 'evil.example/tools:1', '--', 'true']);
    expect(r.code).toBe(2); // usage: a request the hub rejected as invalid
    expect(r.stderr).toContain(
      `"evil.example/tools:1" is not one of the hub's debug images (${DEFAULT_DEBUG_IMAGES.join(', ')})`,
    );
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'box' });
    expect(pod.spec?.ephemeralContainers ?? []).toEqual([]);
  });

  it('adds a debug container targeting a container and runs the command in it, exiting with its code', async () => {
    const r = await cli([
      'debug',
      'box',
      '-n',
      ns,
      '--target',
      'app',
      '--',
      'sh',
      '-c',
      'echo from-debug; sleep 0.3; exit 4',
    ]);
    expect(r.stdout, r.stderr).toContain('from-debug');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /succeeded: debug container debugger-[0-9a-f]{8} \(busybox:1\.37\) runs in pod box, sharing the process namespace of app/,
    );
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'box' });
    expect(pod.spec?.ephemeralContainers).toEqual([
      expect.objectContaining({ image: DEFAULT_DEBUG_IMAGES[0], targetContainerName: 'app' }),
    ]);
  });
});
