// `wheelhouse action` against an in-process hub, an agent and the real cluster.
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { createHub, type Hub } from '@wheelhouse/hub';
import { ensureAdmin } from '@wheelhouse/hub/auth';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { actionCommand, type ActionIo } from '../src/commands/action.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('wheelhouse action', () => {
  let hub: Hub;
  let agent: Agent;
  let url = '';
  let apiToken = '';
  let cluster = '';
  let ns = '';

  /** Runs the command in-process; resolves with its output, or rejects like the CLI would exit non-zero. */
  const run = async (args: string[], tty = false): Promise<{ out: string; err: string }> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: ActionIo = { out: (s) => out.push(s), err: (s) => err.push(s), tty, pollMs: 100 };
    await actionCommand(io)
      .exitOverride()
      .parseAsync([...args, '--hub', url, '--api-token', apiToken, '--cluster', cluster], { from: 'user' });
    return { out: out.join(''), err: err.join('') };
  };

  beforeAll(async () => {
    ns = await testNamespace('cli-action');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings' }, data: { a: '1' } } });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const admin = await ensureAdmin(hub.db);
    if (!admin) throw new Error('a fresh hub has no admin');
    const login = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: admin.username, password: admin.password },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    const headers = { cookie, 'x-csrf-token': login.json<{ csrfToken: string }>().csrfToken };
    const changed = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers,
      payload: { current: admin.password, next: 'action-test-password' },
    });
    expect(changed.statusCode).toBe(204);
    apiToken = (
      await hub.app.inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers,
        payload: { name: 'cli-test', password: 'action-test-password' },
      })
    ).json<{ token: string }>().token;
    cluster = `c${Math.random().toString(36).slice(2, 8)}`;
    const created = await hub.clusters.create(cluster, 'test');
    if (!created) throw new Error('cluster exists');
    agent = await startAgent({
      hubUrl: url,
      token: created.token,
      kubeConfig: kubeConfig(),
      capabilities: { basic: true, advanced: true, podExec: false },
      log: pino({ level: 'silent' }),
      flushMs: 50,
    });
    await eventually('agent connected', async () => ((await hub.clusters.get(cluster))?.connected ? true : undefined));
  });

  afterAll(async () => {
    await agent.stop();
    await hub.close();
  });

  it('runs the action, shows progress lines and ends with the result', async () => {
    const { out, err } = await run([
      'annotate',
      'configmap/settings',
      '-n',
      ns,
      '--param',
      'key=example.com/owner',
      '--param',
      'value=team-a',
      '--reason',
      'cli test',
    ]);
    expect(out).toMatch(/^annotate ConfigMap\/settings succeeded: annotation example.com\/owner set\n$/);
    expect(err).toMatch(/^action [0-9a-f-]{36}\n/);
    expect(err).toContain('succeeded: annotation example.com/owner set\n');
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' });
    expect(cm.metadata?.annotations?.['example.com/owner']).toBe('team-a');
  });

  it('scale: --param replicas is sent as a number and the CLI returns once the replicas exist', async () => {
    const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name: 'web', image: 'nginx' }],
              tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
            },
          },
        },
      },
    });
    const { out } = await run([
      'scale',
      'deploy/web',
      '-n',
      ns,
      '--param',
      'replicas=2',
      '--param',
      'timeoutSeconds=90',
      '--reason',
      'load',
    ]);
    expect(out).toMatch(/^scale Deployment\/web succeeded/);
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
    expect(d.spec?.replicas).toBe(2);
  });

  it('updates the progress line in place on a terminal', async () => {
    const { err } = await run(
      ['annotate', 'cm/settings', '-n', ns, '--param', 'key=example.com/tty', '--param', 'value=1', '--reason', 'tty'],
      true,
    );
    expect(err).toContain('\r\x1b[Ksucceeded');
    expect(err.endsWith('\n')).toBe(true);
  });

  it('--dry-run prints the preview and changes nothing', async () => {
    const { out } = await run([
      'annotate',
      'configmap/settings',
      '-n',
      ns,
      '--param',
      'key=example.com/owner',
      '--param',
      'value=team-b',
      '--reason',
      'preview',
      '--dry-run',
    ]);
    expect(out).toBe(
      [
        'Preview: set annotation example.com/owner',
        'Changes:',
        '  metadata.annotations.example.com/owner: team-a -> team-b',
        '',
      ].join('\n'),
    );
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' });
    expect(cm.metadata?.annotations?.['example.com/owner']).toBe('team-a');
  });

  it('--no-wait prints only the id', async () => {
    const { out, err } = await run([
      'annotate',
      'configmap/settings',
      '-n',
      ns,
      '--param',
      'key=example.com/later',
      '--param',
      'value=x',
      '--reason',
      'async',
      '--no-wait',
    ]);
    expect(out).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(err).toBe('');
    const id = out.trim();
    await eventually('the action to succeed', async () => {
      const r = await fetch(`${url}/api/v1/actions/${id}`, { headers: { authorization: `Bearer ${apiToken}` } });
      return ((await r.json()) as { state: string }).state === 'succeeded' || undefined;
    });
  });

  it('fails (non-zero exit) when the action fails, with the reason', async () => {
    await expect(
      run([
        'annotate',
        'configmap/missing',
        '-n',
        ns,
        '--param',
        'key=example.com/a',
        '--param',
        'value=b',
        '--reason',
        'gone',
      ]),
    ).rejects.toThrow(/action [0-9a-f-]{36} failed: .*not found/);
  });

  it('fails before the request on invalid params, and with the hub message on a refused request', async () => {
    await expect(run(['scale', 'deployment/web', '-n', ns, '--param', 'replicas=-2'])).rejects.toThrow(
      'params.replicas: must be 0 or more',
    );
    await expect(
      run(['annotate', 'node/kwok-node-0', '-n', ns, '--param', 'key=example.com/a', '--param', 'value=b']),
    ).rejects.toThrow(/cluster-scoped/);
    await expect(
      run(['annotate', 'namespace/default', '--param', 'key=example.com/a', '--param', 'value=b']),
    ).rejects.toThrow(/does not apply to kind "Namespace".*\(HTTP 400\)/);
  });
});
