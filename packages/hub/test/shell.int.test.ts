// Pod shell relay end to end: a WebSocket client → hub → agent link → agent →
// Kubernetes exec (kwok runs the command on this machine) and back.
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHELL_MAX_CHUNK, SHELL_OUTPUT_WINDOW, shellPath } from '@wheelhouse/protocol';
import {
  WHEELHOUSE_CLI,
  peakOf,
  sampleOwnMemory,
  startProcess,
  type MemorySample,
} from '@wheelhouse/test-cluster/processes';
import { eventually, kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';
import { parseAsciicast } from '../src/shell/asciicast.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

interface Control {
  type: string;
  [k: string]: unknown;
}

/** A test shell client: collects output and control messages. */
class ShellClient {
  output = Buffer.alloc(0);
  readonly controls: Control[] = [];
  readonly closed: Promise<number>;
  bytesRead = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        this.bytesRead += buf.length;
        if (this.output.length < 1_000_000) this.output = Buffer.concat([this.output, buf]);
      } else this.controls.push(JSON.parse(buf.toString('utf8')) as Control);
    });
    this.closed = new Promise((r) => ws.on('close', (code) => r(code)));
  }

  get text(): string {
    return this.output.toString('utf8');
  }

  send(s: string): void {
    this.ws.send(Buffer.from(s), { binary: true });
  }

  control(type: string): Control | undefined {
    return this.controls.find((c) => c.type === type);
  }

  async waitFor(what: string, timeoutMs = 15_000): Promise<void> {
    await eventually(
      `"${what}" in the output (have ${JSON.stringify(this.text.slice(-200))})`,
      () => Promise.resolve(this.text.includes(what)),
      { timeoutMs, intervalMs: 25 },
    );
  }

  async waitControl(type: string, timeoutMs = 15_000): Promise<Control> {
    return eventually(
      `a ${type} message (have ${JSON.stringify(this.controls)})`,
      () => Promise.resolve(this.control(type)),
      { timeoutMs, intervalMs: 25 },
    );
  }
}

type OpenResult = { client: ShellClient } | { status: number; body: Record<string, unknown> };

function open(
  p: Pipeline,
  token: string,
  ns: string,
  pod: string,
  query: Record<string, string | string[]> = {},
): Promise<OpenResult> {
  const u = new URL(shellPath(p.cluster, ns, pod), p.url.replace('http', 'ws'));
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) u.searchParams.append(k, x);
  const ws = new WebSocket(u, { headers: bearer(token) });
  return new Promise((resolve, reject) => {
    const client = new ShellClient(ws);
    ws.once('open', () => resolve({ client }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
    });
    ws.once('error', reject);
  });
}

async function openOk(
  p: Pipeline,
  token: string,
  ns: string,
  pod: string,
  query: Record<string, string | string[]> = {},
): Promise<ShellClient> {
  const r = await open(p, token, ns, pod, query);
  if (!('client' in r)) throw new Error(`shell refused: ${r.status} ${JSON.stringify(r.body)}`);
  await r.client.waitControl('opened');
  return r.client;
}

describe('pod shell relay', () => {
  let p: Pipeline;
  let ns: string;
  let idleNs: string;
  let detachNs: string;
  let bulkNs: string;
  let operator: TestUser;
  let viewer: TestUser;
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

  beforeAll(async () => {
    ns = await testNamespace('shell');
    idleNs = await testNamespace('shell-idle');
    detachNs = await testNamespace('shell-detach');
    bulkNs = await testNamespace('shell-bulk');
    const cluster = `shell-${Math.random().toString(36).slice(2, 8)}`;
    p = await startPipeline({
      cluster,
      // Per-namespace idle timeout: seconds there, so the idle test is quick.
      hub: {
        shell: {
          idleTimeoutMs: 60_000,
          maxSessionsPerUser: 60,
          clusters: {
            [cluster]: {
              namespaces: {
                [idleNs]: { idleTimeoutMs: 1500 },
                [detachNs]: { detachGraceMs: 1500 },
                // The output window test sends more than the 5 MiB recording cap.
                [bulkNs]: { record: false },
              },
            },
            // The 50 MB relay measures flow control and memory; a recorded session would end at the 5 MiB cap.
            [`${cluster}-proc`]: { record: false },
          },
        },
      },
    });
    operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    viewer = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    const pod = (name: string, containers: string[], extra: Partial<k8s.V1PodSpec> = {}, namespace = ns) =>
      core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name },
          spec: { containers: containers.map((c) => ({ name: c, image: 'busybox' })), ...extra },
        },
      });
    await pod('one', ['app']);
    await pod('two', ['app', 'sidecar']);
    await pod('stuck', ['app'], { nodeSelector: { 'wheelhouse.dev/nowhere': 'true' } });
    await pod('idle', ['app'], {}, idleNs);
    await pod('detach', ['app'], {}, detachNs);
    await pod('bulk', ['app'], {}, bulkNs);
    await eventually(
      'pods in the hub inventory',
      async () => {
        const phases = await Promise.all(
          (
            [
              [ns, 'one'],
              [ns, 'two'],
              [ns, 'stuck'],
              [idleNs, 'idle'],
              [detachNs, 'detach'],
              [bulkNs, 'bulk'],
            ] as const
          ).map(async ([n, name]) => {
            const phase = (await p.hub.inventory.get(p.cluster, 'Pod', n, name))?.summary.phase;
            return typeof phase === 'string' ? phase : '?';
          }),
        );
        return phases.join(',') === 'Running,Running,Pending,Running,Running,Running';
      },
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  // kwok's TTY exec drops what is still in the pty when the process exits, so
  // commands here linger a moment after their last output (a kubelet drains it).
  it('relays an echo round trip, resizes, exit code, and records it in order', async () => {
    const c = await openOk(p, operator.token, ns, 'one', { command: 'sh' });
    c.ws.send(JSON.stringify({ type: 'resize', cols: 123, rows: 45 }));
    c.send('echo "round-$((40 + 2))"\r');
    await c.waitFor('round-42');
    c.send('stty size\r');
    await c.waitFor('45 123');
    c.send('exit 7\r');
    expect(await c.waitControl('exit')).toEqual({ type: 'exit', code: 7 });
    expect(await c.waitControl('closed')).toMatchObject({ type: 'closed', reason: 'closed' });
    await c.closed;
    const sessionId = c.control('opened')?.sessionId as string;

    // The recording is complete once the session row says how it ended.
    await eventually(
      'the session end to be stored',
      async () =>
        (
          await p.hub.db
            .selectFrom('shell_sessions')
            .select('end_reason')
            .where('id', '=', sessionId)
            .executeTakeFirst()
        )?.end_reason,
    );
    const res = await p.hub.app.inject({
      url: `/api/v1/sessions/${sessionId}/recording`,
      headers: bearer(operator.token),
    });
    expect(res.statusCode).toBe(200);
    const rec = res.body;
    const { header, events } = parseAsciicast(rec);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24 });
    const times = events.map((e) => e[0]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const out = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(out).toContain('round-42');
    expect(out.indexOf('round-42')).toBeLessThan(out.indexOf('45 123'));
    expect(events.some((e) => e[1] === 'r' && e[2] === '123x45')).toBe(true);
    expect(events.some((e) => e[1] === 'i')).toBe(false); // input capture is off by default

    // The session list, audit and timeline say who, where, how it ended.
    const list = await p.hub.app.inject({
      url: `/api/v1/sessions?cluster=${p.cluster}`,
      headers: bearer(operator.token),
    });
    const mine = list
      .json<{ items: { id: string; user: string; reason: string; exitCode: number; command: string[] }[] }>()
      .items.find((s) => s.id === sessionId);
    expect(mine).toMatchObject({ user: operator.username, reason: 'closed', exitCode: 7, command: ['sh'] });
    const audit = await p.hub.audit.query({ action: 'shell.*', limit: 50 });
    const actions = audit.items
      .filter((a) => (a.params as { sessionId?: string } | null)?.sessionId === sessionId)
      .map((a) => `${a.action}:${a.outcome}`);
    expect(actions.sort()).toEqual(['shell.end:succeeded', 'shell.start:allowed']);
    const timeline = await p.hub.timeline.query(p.cluster, { namespace: ns, types: ['shell'], limit: 50 });
    expect(timeline.items.filter((e) => (e.data as { sessionId?: string }).sessionId === sessionId)).toHaveLength(2);
    // Another user without audit:read can neither list nor read it.
    const other = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const denied = await p.hub.app.inject({
      url: `/api/v1/sessions/${sessionId}/recording`,
      headers: bearer(other.token),
    });
    expect(denied.statusCode).toBe(403);
    const theirs = await p.hub.app.inject({ url: `/api/v1/sessions`, headers: bearer(other.token) });
    expect(theirs.json<{ items: unknown[] }>().items).toEqual([]);
  }, 60_000);

  it('starts the default shell (bash, then sh) when no command is given', async () => {
    const c = await openOk(p, operator.token, ns, 'one');
    expect(c.control('opened')).toMatchObject({ command: ['bash'], container: 'app' });
    c.send('echo "default-$((1 + 1))"\r');
    await c.waitFor('default-2');
    c.ws.close();
    await c.closed;
  }, 30_000);

  it('refuses a pod that is not Running, naming its phase', async () => {
    const r = await open(p, operator.token, ns, 'stuck', { command: 'sh' });
    expect(r).toMatchObject({ status: 409, body: { error: 'pod_not_running', phase: 'Pending' } });
    expect('body' in r ? String(r.body.message) : '').toContain('Pending');
  });

  it('refuses a multi-container pod without a container name, listing them; works with one', async () => {
    const r = await open(p, operator.token, ns, 'two');
    expect(r).toMatchObject({ status: 400, body: { error: 'container_required', containers: ['app', 'sidecar'] } });
    const list = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/pods/${ns}/two/containers`,
      headers: bearer(viewer.token),
    });
    expect(list.json()).toMatchObject({
      phase: 'Running',
      containers: [
        { name: 'app', state: 'running' },
        { name: 'sidecar', state: 'running' },
      ],
    });
    const c = await openOk(p, operator.token, ns, 'two', {
      container: 'sidecar',
      command: ['sh', '-c', 'echo side-ok; sleep 1'],
    });
    await c.waitFor('side-ok');
    expect(await c.waitControl('exit')).toEqual({ type: 'exit', code: 0 });
  }, 30_000);

  it('answers 403 and audits the denial for a user without pod:exec', async () => {
    const r = await open(p, viewer.token, ns, 'one');
    expect(r).toMatchObject({
      status: 403,
      body: { error: 'forbidden', permission: 'pod:exec', scope: { cluster: p.cluster, namespace: ns } },
    });
    const audit = await p.hub.audit.query({ actor: viewer.username, limit: 10 });
    expect(audit.items[0]).toMatchObject({
      action: 'shell.start',
      outcome: 'denied',
      target: { kind: 'Pod', namespace: ns, name: 'one' },
    });
  });

  // The namespace's idle timeout is 1.5 s (see startPipeline above).
  it('closes an idle session after the idle timeout, not before and not much later, and says why', async () => {
    const c = await openOk(p, operator.token, idleNs, 'idle', { command: 'sh' });
    // The prompt is the last output; the clock starts there (opened is seen up to one poll, 25 ms, late).
    const t0 = Date.now();
    const closed = await c.waitControl('closed', 10_000);
    const after = Date.now() - t0;
    expect(closed).toMatchObject({
      type: 'closed',
      reason: 'idle',
      message: expect.stringContaining('idle') as unknown,
    });
    expect(after).toBeGreaterThanOrEqual(1500 - 100);
    // Upper bound: the timer plus scheduling on a busy machine, well short of a second timeout period.
    expect(after).toBeLessThan(1500 + 1000);
    await c.closed;
  }, 30_000);

  it('keeps a session open past the idle timeout while it is used', async () => {
    const c = await openOk(p, operator.token, idleNs, 'idle', { command: 'sh' });
    // Input every 500 ms for three idle periods (4.5 s): each keystroke and its echo is activity.
    for (let i = 0; i < 9; i++) {
      c.send(`echo tick-$((${i} + 100))\r`);
      await c.waitFor(`tick-${i + 100}`, 5000);
      await new Promise((r) => setTimeout(r, 500));
      expect(c.control('closed'), `closed after ${i + 1} inputs`).toBeUndefined();
    }
    // Then left alone, it goes within the same bounds.
    const t0 = Date.now();
    expect(await c.waitControl('closed', 10_000)).toMatchObject({ reason: 'idle' });
    expect(Date.now() - t0).toBeLessThan(1500 + 1000);
    await c.closed;
  }, 30_000);

  // A page reload closes the socket with 1001, a lost network with 1006 (terminate() here): the exec lives on.
  it('keeps a session whose client went away and gives it back, with its scrollback, to the same user only', async () => {
    const c = await openOk(p, operator.token, ns, 'one', { command: 'sh' });
    const sessionId = c.control('opened')?.sessionId as string;
    c.send('X=kept-$((6 * 7)); echo "set-$X"\r');
    await c.waitFor('set-kept-42');
    c.ws.terminate();
    await c.closed;

    // Someone else with pod:exec cannot take it.
    const other = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    expect(await open(p, other.token, ns, 'one', { session: sessionId })).toMatchObject({
      status: 404,
      body: { error: 'shell_session_gone', session: sessionId },
    });

    const r = await open(p, operator.token, ns, 'one', { session: sessionId, cols: '100', rows: '30' });
    if (!('client' in r)) throw new Error(`reattach refused: ${JSON.stringify(r)}`);
    const back = r.client;
    expect(await back.waitControl('reattached')).toMatchObject({ sessionId, container: 'app', command: ['sh'] });
    await back.waitFor('set-kept-42'); // the scrollback comes first
    // The same process: the variable set before is still set, and the new size applies.
    back.send('echo "again-$X"; stty size\r');
    await back.waitFor('again-kept-42');
    await back.waitFor('30 100');
    // While attached, nobody (not even the same user from another window) takes it.
    expect(await open(p, operator.token, ns, 'one', { session: sessionId })).toMatchObject({
      status: 404,
      body: { error: 'shell_session_gone' },
    });
    back.ws.close();
    await back.closed;

    const row = await eventually('the session end to be stored', async () =>
      p.hub.db
        .selectFrom('shell_sessions')
        .select(['end_reason', 'reattach_count'])
        .where('id', '=', sessionId)
        .where('end_reason', 'is not', null)
        .executeTakeFirst(),
    );
    expect(row).toEqual({ end_reason: 'closed', reattach_count: 1 });
    const list = await p.hub.app.inject({ url: `/api/v1/sessions`, headers: bearer(operator.token) });
    expect(
      list.json<{ items: { id: string; reattaches: number }[] }>().items.find((x) => x.id === sessionId),
    ).toMatchObject({ reattaches: 1 });
    const audit = await p.hub.audit.query({ action: 'shell.*', limit: 50 });
    const actions = audit.items
      .filter((a) => (a.params as { sessionId?: string } | null)?.sessionId === sessionId)
      .map((a) => `${a.action}:${a.outcome}`);
    expect(actions.sort()).toEqual(['shell.end:succeeded', 'shell.reattach:succeeded', 'shell.start:allowed']);
    const refused = await p.hub.audit.query({ actor: other.username, limit: 5 });
    expect(refused.items[0]).toMatchObject({
      action: 'shell.start',
      outcome: 'rejected',
      detail: { error: 'shell_session_gone' },
    });
  }, 60_000);

  // The namespace's grace period is 1.5 s (see startPipeline above).
  it('ends a detached session after the grace period with reason "detached"', async () => {
    const c = await openOk(p, operator.token, detachNs, 'detach', { command: 'sh' });
    const sessionId = c.control('opened')?.sessionId as string;
    c.ws.terminate();
    const t0 = Date.now();
    await c.closed;
    const row = await eventually(
      'the session to end',
      async () =>
        p.hub.db
          .selectFrom('shell_sessions')
          .select(['end_reason', 'reattach_count'])
          .where('id', '=', sessionId)
          .where('end_reason', 'is not', null)
          .executeTakeFirst(),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500 - 100);
    expect(row).toEqual({ end_reason: 'detached', reattach_count: 0 });
    expect(await open(p, operator.token, detachNs, 'detach', { session: sessionId })).toMatchObject({
      status: 404,
      body: { error: 'shell_session_gone' },
    });
    const audit = await p.hub.audit.query({ action: 'shell.end', limit: 20 });
    expect(audit.items.find((a) => (a.params as { sessionId?: string } | null)?.sessionId === sessionId)).toMatchObject(
      { outcome: 'failed', reason: 'detached' },
    );
  }, 30_000);

  it('runs 50 concurrent sessions, each echoing its own text', async () => {
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => openOk(p, operator.token, ns, 'one', { command: 'cat' })),
    );
    clients.forEach((c, i) => c.send(`hello-from-${i}-end\r`));
    await Promise.all(clients.map((c, i) => c.waitFor(`hello-from-${i}-end`, 30_000)));
    clients.forEach((c, i) => {
      expect(c.text).not.toMatch(new RegExp(`hello-from-(?!${i}-)\\d+-end`));
    });
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
    await eventually('agent sessions to end', () => Promise.resolve(p.agent.shell.stats().sessions === 0));
  }, 90_000);

  it('sends bulk output gathered into frames, every line once and in order', async () => {
    const before = p.agent.shell.stats();
    const c = await openOk(p, operator.token, ns, 'one', { command: 'sh' });
    try {
      // ~590 KB of numbered lines (a pty hands them over ~4 KiB a read) between two computed markers, so
      // the typed command's echo matches neither. The numbers are read after the start marker's line: a
      // command typed before the shell printed its prompt has the prompt land after its echo ("# 1").
      c.send('echo START-$((6*7)); seq 1 100000; echo END-$((6*7))\r');
      await c.waitFor('END-42', 60_000);
      const body = c.text.slice(c.text.indexOf('START-42\r\n') + 'START-42\r\n'.length, c.text.lastIndexOf('END-42'));
      const lines = body.split('\r\n').filter((l) => l !== '');
      expect(lines.length).toBe(100_000);
      const wrong = lines.findIndex((l, i) => l !== String(i + 1));
      expect(wrong, `line ${String(wrong + 1)}: ${JSON.stringify(lines[wrong])}`).toBe(-1);
      const after = p.agent.shell.stats();
      const frames = after.outputFrames - before.outputFrames;
      const bytes = after.outputBytes - before.outputBytes;
      expect(bytes).toBeGreaterThan(588_895); // the lines alone
      // How many pty reads a frame gathers depends on how fast they arrive against how fast the agent's
      // event loop turns (one a frame on an idle machine, 7–60 KiB a frame under load): the shell-echo
      // benchmark reports it; here only that frames were counted and none was lost or reordered.
      expect(frames).toBeGreaterThan(0);
    } finally {
      // Closed on failure too: a session left open would count its output in the next test's agent stats.
      c.ws.close();
      await c.closed;
    }
  }, 90_000);

  // The output window is how far the agent may run ahead of the hub's credit: it must cover the bulk rate
  // times the longest the hub goes without running (tens of ms on a loaded machine), or bulk output stops
  // for credit (1 MiB: 13-48 % of the time in the shell-echo benchmark). A reader that stops reading gets
  // exactly one window (4 MiB) held for it, and everything once it reads again.
  it('runs one 4 MiB output window ahead of a reader that stopped, no further, and loses nothing', async () => {
    const WINDOW = 4 * 1024 * 1024;
    // More than the window plus what the sockets' kernel buffers take before the hub's writes stall.
    const SIZE = 24_000_000;
    const TAIL = 'WINDOW-DONE';
    // The agent's stats are summed over its sessions: earlier tests' must be gone.
    await eventually('earlier sessions to end', () => Promise.resolve(p.agent.shell.stats().sessions === 0));
    const before = p.agent.shell.stats();
    const c = await openOk(p, operator.token, bulkNs, 'bulk', {
      command: ['sh', '-c', `stty -echo; head -c ${SIZE} /dev/zero | tr '\\0' x; printf ${TAIL}; read line`],
    });
    c.ws.pause();
    try {
      // The agent sends until its credit runs out, then stops reading the exec stream. While the sockets'
      // kernel buffers still take the hub's writes, credit comes back and it runs on: it is held once its
      // bytes in flight stay the same from one look to the next, 300 ms apart, a window or more of them.
      let last = -1;
      const held = await eventually(
        'the agent to run out of output credit',
        () => {
          const st = p.agent.shell.stats();
          const settled =
            st.outputPauses > before.outputPauses && st.inFlightBytes >= WINDOW && st.inFlightBytes === last;
          last = st.inFlightBytes;
          return Promise.resolve(settled ? st : undefined);
        },
        { timeoutMs: 30_000, intervalMs: 300 },
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}: agent ${JSON.stringify(p.agent.shell.stats())}`);
      });
      // Once paused it stays put: at most one window plus one frame ahead, and the hub holds no more.
      await new Promise((r) => setTimeout(r, 500));
      const st = p.agent.shell.stats();
      expect(st.inFlightBytes).toBe(held.inFlightBytes);
      expect(st.inFlightBytes).toBeLessThanOrEqual(WINDOW + SHELL_MAX_CHUNK);
      expect(p.hub.shell.stats().bufferedBytes).toBeLessThanOrEqual(WINDOW + SHELL_MAX_CHUNK);
    } finally {
      c.ws.resume();
    }
    let tail = '';
    c.ws.on('message', (data, isBinary) => {
      if (isBinary) tail = (tail + (data as Buffer).toString('latin1')).slice(-64);
    });
    await eventually('the whole output read', () => Promise.resolve(tail.endsWith(TAIL)), { timeoutMs: 60_000 });
    c.send('\r');
    expect(await c.waitControl('exit', 15_000)).toEqual({ type: 'exit', code: 0 });
    await c.closed;
    expect(c.bytesRead).toBe(SIZE + TAIL.length);
  }, 120_000);

  // The agent runs as its own process (a second cluster on the same hub), so its memory is its own: a
  // relay that buffered the output instead of pacing the exec stream would show 50 MB on one side.
  it('relays 50 MB to a slow reader byte for byte, with hub and agent memory bounded', async () => {
    const cluster = `${p.cluster}-proc`;
    const token = (await p.hub.clusters.create(cluster, 'test'))?.token ?? '';
    const agent = startProcess(
      [
        WHEELHOUSE_CLI,
        'agent',
        '--hub',
        p.url,
        '--token',
        token,
        '--kubeconfig',
        kubeconfigFile(),
        '--tiers',
        'podExec',
        '--log-level',
        'warn',
      ],
      { sampleMemory: true, label: 'agent' },
    );
    // The hub runs in this process (with the test client, which keeps only the first MB it reads).
    const hubMemory = sampleOwnMemory();
    try {
      await eventually(
        'the agent process to report pod one',
        async () => (await p.hub.inventory.get(cluster, 'Pod', ns, 'one'))?.summary.phase === 'Running',
        { timeoutMs: 60_000 },
      );
      // Baselines once the agent has synced and idles; the hub's is this process (hub + test client).
      await eventually('memory samples from the agent', () => Promise.resolve(agent.samples.length >= 5));
      const agentBase = agent.samples[agent.samples.length - 1] as MemorySample;
      const hubBase = hubMemory.now();

      const SIZE = 50_000_000;
      const TAIL = 'BULK-DONE';
      // No newline in the bulk (the pty would turn each into CRLF). kwok drops what is still in the pty when
      // the process exits, and a slow reader keeps it full: the command waits for a line (echo off, so the
      // line adds no output) that is sent only once everything has been read.
      const c = await openOk({ ...p, cluster }, operator.token, ns, 'one', {
        command: ['sh', '-c', `stty -echo; head -c ${SIZE} /dev/zero | tr '\\0' x; printf ${TAIL}; read line`],
      });
      // A slow reader: the socket is read in short bursts, so the relay must hold the exec stream back.
      c.ws.pause();
      let pauseAgain: NodeJS.Timeout | undefined;
      const reader = setInterval(() => {
        c.ws.resume();
        pauseAgain = setTimeout(() => c.ws.pause(), 30);
      }, 100);
      const t0 = Date.now();
      let tail = '';
      c.ws.on('message', (data, isBinary) => {
        if (isBinary) tail = (tail + (data as Buffer).toString('latin1')).slice(-64);
      });
      try {
        // About 8 s alone; minutes when the machine is loaded (load 18 on 2 cores seen).
        await eventually('the whole output read', () => Promise.resolve(tail.endsWith(TAIL)), {
          timeoutMs: 180_000,
          intervalMs: 100,
        }).catch((err: unknown) => {
          throw new Error(
            `${(err as Error).message}: read ${c.bytesRead} bytes, controls ${JSON.stringify(c.controls)}, hub ${JSON.stringify(p.hub.shell.stats())}\nagent:\n${agent.output().slice(-3000)}`,
          );
        });
      } finally {
        clearInterval(reader);
        clearTimeout(pauseAgain);
        c.ws.resume();
      }
      const seconds = (Date.now() - t0) / 1000;
      c.send('\r');
      expect(await c.waitControl('exit', 15_000)).toEqual({ type: 'exit', code: 0 });
      await c.closed;
      // Exactly what the command wrote: nothing lost, nothing duplicated.
      expect(c.bytesRead).toBe(SIZE + TAIL.length);
      expect(c.output.subarray(0, 1000).toString()).toBe('x'.repeat(1000));

      const agentPeak = agent.peak();
      const hubPeak = peakOf(hubMemory.samples);
      const mb = (n: number): number => Math.round(n / 1e5) / 10;
      const growth = {
        agent: {
          rss: mb(agentPeak.rss - agentBase.rss),
          heap: mb(agentPeak.heapUsed - agentBase.heapUsed),
          buffers: mb(agentPeak.arrayBuffers - agentBase.arrayBuffers),
        },
        hub: {
          rss: mb(hubPeak.rss - hubBase.rss),
          heap: mb(hubPeak.heapUsed - hubBase.heapUsed),
          buffers: mb(hubPeak.arrayBuffers - hubBase.arrayBuffers),
        },
      };
      if (process.env.WHEELHOUSE_TEST_LOG) console.log({ seconds, mbPerSecond: 50 / seconds, growth });
      // Fixed limits below the 50 MB that passed through. Samples follow a full GC, but V8 frees Buffers'
      // memory lazily, so tens of MB of already-dropped frames can still count while bytes stream
      // (measured on 2 cores: agent 16 MB, hub 5-15 MB; it grows sublinearly with the size sent).
      expect(growth.agent.heap + growth.agent.buffers, 'agent heap + buffers growth (MB)').toBeLessThan(40);
      // RSS also counts pages V8 and the allocator have not returned yet; with the 4 MiB output window
      // (3 MiB more in flight than when this limit was 48) it reached 49 once in CI. The bound below
      // the volume sent is heap + buffers above.
      expect(growth.agent.rss, 'agent RSS growth (MB)').toBeLessThan(56);
      expect(growth.hub.heap + growth.hub.buffers, 'hub heap + buffers growth (MB)').toBeLessThan(40);
      // The test process's RSS also carries the client side and vitest; it only catches a gross leak.
      expect(growth.hub.rss, 'hub RSS growth (MB)').toBeLessThan(96);
      // Once the session is over, nothing of it stays behind in the agent.
      const settled = await eventually(
        'the agent to release what the session used',
        () => {
          const last = agent.samples[agent.samples.length - 1];
          return Promise.resolve(
            last && last.heapUsed + last.arrayBuffers - agentBase.heapUsed - agentBase.arrayBuffers < 4e6
              ? last
              : undefined,
          );
        },
        { timeoutMs: 10_000 },
      );
      if (process.env.WHEELHOUSE_TEST_LOG) console.log({ agentSettled: settled });
      // And the relay's own accounting agrees: at most one output window (4 MiB) plus one frame (64 KiB).
      const bound = SHELL_OUTPUT_WINDOW + SHELL_MAX_CHUNK;
      expect(p.hub.shell.stats().maxBufferedBytes).toBeLessThanOrEqual(bound);
      const metrics = await p.hub.app.inject({ url: '/metrics' });
      expect(Number(/wheelhouse_shell_buffered_bytes_peak (\d+)/.exec(metrics.body)?.[1])).toBeLessThanOrEqual(bound);
    } finally {
      hubMemory.stop();
      await agent.kill9();
    }
  }, 300_000);

  it('tells the client within 5 s when the agent goes away mid-session', async () => {
    const c = await openOk(p, operator.token, ns, 'one', { command: 'sh' });
    c.send('echo before-stop\r');
    await c.waitFor('before-stop');
    const t0 = Date.now();
    await p.agent.stop();
    const err = await c.waitControl('error', 5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(String(err.message)).toContain('agent');
    expect(await c.waitControl('closed', 5000)).toMatchObject({ reason: 'agent-lost' });
  }, 30_000);
});
