// KubeExec on the real API server: a short command's output, status and close
// can arrive with the upgrade, before the caller of open() has its listeners
// on. They are held until start(), not emitted to nobody — lost, a shell's
// recording came out empty and a tool run waited for a close that had gone
// (replicas-recordings.int failed that way under load).
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { KubeExec, type ExecStatus } from '../src/shell/kube-exec.js';

describe('KubeExec', () => {
  const kc = kubeConfig();
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('kube-exec');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'echo' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
    await eventually(
      'the pod running',
      async () => (await core.readNamespacedPod({ namespace: ns, name: 'echo' })).status?.phase === 'Running',
      { timeoutMs: 60_000 },
    );
  }, 90_000);

  it('holds what the exec sends before start() and delivers it, in order, once the listeners are on', async () => {
    const exec = await KubeExec.open(kc, {
      namespace: ns,
      pod: 'echo',
      container: 'app',
      command: ['sh', '-c', 'echo early-output; exit 3'],
      tty: false,
    });
    // The command runs and ends while nobody listens yet (as when the caller is slow to resume).
    await new Promise((r) => setTimeout(r, 1500));
    const events: string[] = [];
    let output = '';
    let status: ExecStatus | undefined;
    exec.on('data', (_channel, payload) => {
      output += payload.toString();
      if (!events.includes('data')) events.push('data');
    });
    exec.on('status', (s) => {
      status = s;
      events.push('status');
    });
    const closed = new Promise<void>((r) => exec.on('close', () => r()));
    exec.on('close', () => events.push('close'));
    exec.start();
    await closed;
    expect(output).toBe('early-output\n');
    expect(status?.exitCode).toBe(3);
    expect(events).toEqual(['data', 'status', 'close']);
  }, 30_000);
});
