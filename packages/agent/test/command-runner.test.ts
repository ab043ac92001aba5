// The agent's command runner: what it refuses before any executor runs, what it
// reports, and how a re-delivered command is answered. Executors are stand-ins
// here (the runner's own logic is pure); the real executors are tested against
// the cluster in actions-*.int.test.ts.
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Capabilities, CommandEnvelope } from '@wheelhouse/protocol';
import { KubeApiError } from '@wheelhouse/exec-guard/kube-errors';
import { executors, type ExecutorRegistry } from '../src/actions/executors.js';
import { ImpersonatingKubeConfig } from '../src/impersonation.js';
import type { KubeClientConfig } from '../src/kube-config.js';
import { CommandRunner, type CommandUpdate } from '../src/commands/command-runner.js';

const ALL: Capabilities = { basic: true, advanced: true, podExec: true };

const kc = new k8s.KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
  users: [{ name: 'u', token: 't' }],
  contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
  currentContext: 'ctx',
});

const command = (over: Partial<CommandEnvelope> = {}): CommandEnvelope => ({
  id: 'cmd-1',
  action: 'scale',
  target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
  params: { replicas: 3 },
  reason: null,
  dryRun: false,
  requestedBy: 'alice',
  ...over,
});

function runner(over: Partial<ExecutorRegistry> = {}, capabilities = ALL, extra: { impersonate?: boolean } = {}) {
  const updates: CommandUpdate[] = [];
  const calls: { kc: KubeClientConfig; params: unknown }[] = [];
  const r = new CommandRunner({
    kc,
    capabilities,
    executors: {
      ...executors,
      scale: (ctx, p) => {
        calls.push({ kc: ctx.kc, params: p });
        ctx.progress('waiting for 3 replicas');
        return Promise.resolve({ message: `scaled to ${p.replicas}`, result: { to: p.replicas } });
      },
      ...over,
    },
    ...(extra.impersonate ? { impersonation: { userPrefix: 'wheelhouse:', groups: ['wheelhouse:users'] } } : {}),
    report: (u) => updates.push(u),
    timeline: () => undefined,
    log: pino({ level: 'silent' }),
    rememberFinished: 2,
  });
  const states = (): string[] => updates.map((u) => `${u.state}: ${u.message ?? ''}`);
  return { r, updates, calls, states };
}

describe('command runner', () => {
  it('reports running, the executor progress, then succeeded with its message and result', async () => {
    const { r, updates, calls, states } = runner();
    await r.run(command());
    expect(states()).toEqual(['running: executing', 'running: waiting for 3 replicas', 'succeeded: scaled to 3']);
    expect(updates.at(-1)).toEqual({
      type: 'command.update',
      id: 'cmd-1',
      state: 'succeeded',
      message: 'scaled to 3',
      result: { to: 3 },
    });
    // The params reach the executor parsed by the action's schema (defaults filled in).
    expect(calls[0]?.params).toMatchObject({ replicas: 3 });
    expect(r.executed.get('cmd-1')).toBe(1);
  });

  it('says previewing for a dry run', async () => {
    const { r, states } = runner();
    await r.run(command({ dryRun: true }));
    expect(states()[0]).toBe('running: previewing');
  });

  it('rejects an unknown action, a disabled tier and invalid params without running anything', async () => {
    const unknown = runner();
    await unknown.r.run(command({ action: 'reboot-node' }));
    expect(unknown.states()).toEqual([
      expect.stringMatching(/^rejected: this agent \(.+\) does not know action "reboot-node"$/),
    ]);

    const basicOnly = runner({}, { basic: false, advanced: true, podExec: false });
    await basicOnly.r.run(command());
    expect(basicOnly.states()).toEqual([
      "rejected: the basic tier is not enabled for this cluster's agent (actions.basic=false)",
    ]);

    const invalid = runner();
    await invalid.r.run(command({ params: { replicas: -1 } }));
    expect(invalid.states()).toEqual(['rejected: invalid params: replicas: must be 0 or more']);

    for (const x of [unknown, basicOnly, invalid]) {
      expect(x.calls).toHaveLength(0);
      expect(x.r.executed.size).toBe(0);
    }
  });

  it('turns a throw into failed with the API server message', async () => {
    const { r, states } = runner({
      scale: () => {
        throw new KubeApiError(
          403,
          'Forbidden',
          'deployments.apps "web" is forbidden: User "wheelhouse:alice" cannot patch',
        );
      },
    });
    await r.run(command());
    expect(states()).toEqual([
      'running: executing',
      'failed: deployments.apps "web" is forbidden: User "wheelhouse:alice" cannot patch',
    ]);
  });

  it('answers a re-delivery of a finished command from memory, without running it again', async () => {
    const { r, calls, updates } = runner();
    await r.run(command());
    const before = updates.length;
    await r.run(command());
    expect(calls).toHaveLength(1);
    expect(r.executed.get('cmd-1')).toBe(1);
    expect(updates.slice(before)).toEqual([
      { type: 'command.update', id: 'cmd-1', state: 'succeeded', message: 'scaled to 3', result: { to: 3 } },
    ]);
  });

  it('ignores a delivery of a command that is still running', async () => {
    let release: () => void = () => undefined;
    const { r, calls, states } = runner({
      scale: async (ctx, p) => {
        calls.push({ kc: ctx.kc, params: p });
        await new Promise<void>((resolve) => (release = resolve));
        return { message: 'scaled' };
      },
    });
    const first = r.run(command());
    await r.run(command());
    release();
    await first;
    expect(calls).toHaveLength(1);
    expect(states()).toEqual(['running: executing', 'succeeded: scaled']);
  });

  it('forgets the oldest finished command beyond its bound, so that one reaches the executor again', async () => {
    const { r, calls } = runner();
    for (const id of ['a', 'b', 'c']) await r.run(command({ id }));
    await r.run(command({ id: 'a' }));
    await r.run(command({ id: 'c' }));
    // 'a' was forgotten (bound 2): its executor runs again and must recognise its id on the target.
    expect(calls).toHaveLength(4);
  });

  it('acts as the requesting user when impersonating, and rejects a user it cannot map', async () => {
    const { r, calls } = runner({}, ALL, { impersonate: true });
    await r.run(command());
    const used = calls[0]?.kc;
    expect(used).toBeInstanceOf(ImpersonatingKubeConfig);
    expect(used instanceof ImpersonatingKubeConfig ? used.identity.user : '').toBe('wheelhouse:alice');

    const bad = runner({}, ALL, { impersonate: true });
    await bad.r.run(command({ requestedBy: 'system:admin' }));
    expect(bad.states()).toEqual([
      'rejected: cannot act as system:admin: cannot impersonate Wheelhouse user "system:admin"',
    ]);
    expect(bad.calls).toHaveLength(0);
  });
});

describe('command runner: the workload policy of apply (defence in depth)', () => {
  const privilegedPod = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }],
      volumes: [{ name: 's', secret: { secretName: 'db' } }],
    },
  });
  const apply = (policy?: CommandEnvelope['policy']) =>
    command({
      action: 'apply',
      target: { kind: 'Pod', namespace: 'shop', name: 'p' },
      params: { manifest: privilegedPod },
      ...(policy ? { policy } : {}),
    });

  it('rejects what the policy forbids before the executor runs, in the hub words', async () => {
    let ran = false;
    const { r, states } = runner({ apply: () => ((ran = true), Promise.resolve({ message: 'applied' })) });
    await r.run(apply({ podSecurity: 'baseline', secretReferences: true }));
    expect(states()).toEqual([
      'rejected: spec.containers[0].securityContext.privileged: baseline forbids privileged containers',
    ]);
    expect(ran).toBe(false);
  });

  it('without a policy (an older hub) assumes baseline and no Secret references', async () => {
    const { r, states } = runner({ apply: () => Promise.resolve({ message: 'applied' }) });
    await r.run(apply());
    expect(states()).toEqual([
      'rejected: spec.containers[0].securityContext.privileged: baseline forbids privileged containers; spec.volumes[0].secret: mounting Secret "db" needs the action:apply:secrets permission',
    ]);
  });

  it('runs the executor when the policy allows it', async () => {
    const { r, states } = runner({ apply: () => Promise.resolve({ message: 'applied' }) });
    await r.run(apply({ podSecurity: 'privileged', secretReferences: true }));
    expect(states()).toEqual(['running: executing', 'succeeded: applied']);
  });
});
