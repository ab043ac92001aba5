// A recorded shell never goes on unrecorded: when the recording reaches its
// size cap the hub ends the session (reason recording-limit), tells the user
// why, stops the exec in the cluster, and audits it with the recording's size.
// A real shell in the local cluster prints more than the cap.
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellPath } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { parseAsciicast } from '../src/shell/asciicast.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

const CAP = 256 * 1024;

describe('pod shell recording cap', () => {
  let p: Pipeline;
  let ns: string;
  let operator: TestUser;

  beforeAll(async () => {
    ns = await testNamespace('shell-cap');
    p = await startPipeline({ hub: { shell: { recordingMaxBytes: CAP } } });
    operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    await kubeConfig()
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedPod({
        namespace: ns,
        body: { metadata: { name: 'chatty' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
      });
    await eventually(
      'the pod running in the hub inventory',
      async () => (await p.hub.inventory.get(p.cluster, 'Pod', ns, 'chatty'))?.summary.phase === 'Running',
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  it('ends the session at the cap with a clear message, stops the exec, and audits the end', async () => {
    const u = new URL(shellPath(p.cluster, ns, 'chatty'), p.url.replace('http', 'ws'));
    // 4× the cap in lines of text, then a long wait: only the cap can end it within the test.
    u.searchParams.append('command', 'sh');
    u.searchParams.append('command', '-c');
    u.searchParams.append('command', `yes wheelhouse-recording-cap-line | head -c ${4 * CAP}; sleep 120`);
    const ws = new WebSocket(u, { headers: bearer(operator.token) });
    const controls: { type: string; reason?: string; message?: string; sessionId?: string }[] = [];
    let shown = 0;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) shown += data.length;
      else controls.push(JSON.parse(data.toString()) as (typeof controls)[number]);
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    expect(await closed).toBe(1000);

    const end = controls.find((c) => c.type === 'closed');
    expect(end).toMatchObject({ reason: 'recording-limit' });
    expect(end?.message).toContain(`${CAP}-byte cap`);
    const sessionId = controls.find((c) => c.type === 'opened')?.sessionId ?? '';

    // The exec in the cluster is gone too (the agent was told to close it), not left running unrecorded.
    await eventually('the agent to close the exec', () => Promise.resolve(p.agent.shell.stats().sessions === 0));

    const row = await eventually('the session end to be stored', async () => {
      const r = await p.hub.db.selectFrom('shell_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
      return r?.end_reason ? r : undefined;
    });
    expect(row).toMatchObject({ end_reason: 'recording-limit', recording_truncated: 1 });
    expect(row.recording_bytes).toBeLessThanOrEqual(CAP + 512);
    const rec = await p.hub.app.inject({
      url: `/api/v1/sessions/${sessionId}/recording`,
      headers: bearer(operator.token),
    });
    const { events } = parseAsciicast(rec.body);
    const recorded = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(recorded).toContain('wheelhouse-recording-cap-line');
    expect(recorded).toContain('the session was ended]');
    // The user was shown nothing the recording does not hold.
    expect(shown).toBeLessThanOrEqual(Buffer.byteLength(recorded));

    const audit = await p.hub.audit.query({ action: 'shell.end', limit: 10 });
    const rec2 = audit.items.find((a) => (a.params as { sessionId?: string } | null)?.sessionId === sessionId);
    expect(rec2).toMatchObject({
      reason: 'recording-limit',
      detail: { reason: 'recording-limit', recording: { capBytes: CAP, full: true } },
    });
  });
});
