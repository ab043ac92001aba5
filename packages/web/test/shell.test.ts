import { describe, expect, it } from 'vitest';
import {
  binaryStringBytes,
  chooseContainer,
  containersPath,
  endNotice,
  parseControl,
  resizeMessage,
  shellPath,
  whyNoShell,
  type ContainerInfo,
} from '../src/shell/protocol.js';
import {
  initialShells,
  sessionLabel,
  sessionTitle,
  shellsReducer,
  statusDot,
  statusText,
  visibleAfterRemove,
  type ShellsAction,
  type ShellsState,
} from '../src/shell/sessions.js';

const target = { cluster: 'prod', namespace: 'shop', pod: 'web-1', container: 'app' };

describe('shell URLs', () => {
  it('builds the WebSocket path with container, size and repeated command arguments', () => {
    const p = shellPath(target, { cols: 120, rows: 40, command: ['ls', '-la'] });
    const u = new URL(p, 'http://hub');
    expect(u.pathname).toBe('/api/v1/clusters/prod/pods/shop/web-1/shell');
    expect(u.searchParams.get('container')).toBe('app');
    expect(u.searchParams.getAll('command')).toEqual(['ls', '-la']);
    expect(u.searchParams.get('cols')).toBe('120');
    expect(u.searchParams.get('rows')).toBe('40');
  });

  it('leaves out what is not given and clamps the size to what the hub accepts', () => {
    expect(shellPath({ cluster: 'c', namespace: 'n', pod: 'p' })).toBe('/api/v1/clusters/c/pods/n/p/shell');
    const u = new URL(shellPath(target, { cols: 0, rows: 5000.4 }), 'http://hub');
    expect(u.searchParams.get('cols')).toBe('1');
    expect(u.searchParams.get('rows')).toBe('1000');
  });

  it('builds a node shell path: the node route, size and session only (no container, no command)', () => {
    const node = { cluster: 'prod', namespace: '', pod: '', container: 'shell', node: 'ip-10-0-1-2', command: ['ls'] };
    const u = new URL(shellPath(node, { cols: 100, rows: 30, session: 'abc' }), 'http://hub');
    expect(u.pathname).toBe('/api/v1/clusters/prod/nodes/ip-10-0-1-2/shell');
    expect([...u.searchParams.keys()].sort()).toEqual(['cols', 'rows', 'session']);
    expect(sessionTitle(node)).toBe('root shell on node ip-10-0-1-2 @ prod');
  });

  it('encodes path segments', () => {
    expect(containersPath({ cluster: 'a b', namespace: 'n/s', pod: 'p?x' })).toBe(
      '/api/v1/clusters/a%20b/pods/n%2Fs/p%3Fx/containers',
    );
  });

  it('resize control is the documented JSON', () => {
    expect(JSON.parse(resizeMessage(100, 30))).toEqual({ type: 'resize', cols: 100, rows: 30 });
  });

  it('onBinary strings become one byte per char', () => {
    expect([...binaryStringBytes('\x1b[M\xff')]).toEqual([0x1b, 0x5b, 0x4d, 0xff]);
  });
});

describe('control messages from the hub', () => {
  it('parses opened, exit, error and closed', () => {
    expect(parseControl('{"type":"opened","sessionId":"abc","container":"app","command":["bash"]}')).toEqual({
      type: 'opened',
      sessionId: 'abc',
      container: 'app',
      command: ['bash'],
    });
    expect(parseControl('{"type":"exit","code":3}')).toEqual({ type: 'exit', code: 3 });
    expect(parseControl('{"type":"error","message":"boom"}')).toEqual({ type: 'error', message: 'boom' });
    expect(
      parseControl(
        '{"type":"closed","reason":"idle","message":"closed after 300 s without input or output (idle timeout)"}',
      ),
    ).toEqual({
      type: 'closed',
      reason: 'idle',
      message: 'closed after 300 s without input or output (idle timeout)',
    });
  });

  it('parses reattached (a session taken back after a reload) and the detached end', () => {
    expect(
      parseControl('{"type":"reattached","sessionId":"abc","container":"app","command":["sh"],"scrollbackBytes":12}'),
    ).toEqual({ type: 'reattached', sessionId: 'abc', container: 'app', scrollbackBytes: 12 });
    expect(parseControl('{"type":"closed","reason":"detached"}')).toMatchObject({ type: 'closed', reason: 'detached' });
    expect(new URL(shellPath(target, { session: 'abc' }), 'http://hub').searchParams.get('session')).toBe('abc');
  });

  it('fills a missing closed message from the reason', () => {
    expect(parseControl('{"type":"closed","reason":"agent-lost"}')).toEqual({
      type: 'closed',
      reason: 'agent-lost',
      message: "the agent's connection was lost",
    });
  });

  it('ignores what is not a known control message', () => {
    for (const t of [
      'not json',
      '42',
      'null',
      '{"type":"nope"}',
      '{"type":"exit"}',
      '{"type":"closed","reason":"weird"}',
    ])
      expect(parseControl(t)).toBeUndefined();
  });

  it('end notices name the reason and keep the hub message', () => {
    expect(endNotice('idle', 'closed after 300 s without input or output (idle timeout)')).toBe(
      'Session ended (idle): closed after 300 s without input or output (idle timeout)',
    );
    expect(endNotice('agent-lost', '')).toBe("Session ended (agent lost): the agent's connection was lost");
    expect(endNotice('error', 'exec refused')).toBe('Session ended with an error: exec refused');
    expect(endNotice('closed', 'the command exited with code 0')).toBe('Session ended: the command exited with code 0');
  });
});

const c = (name: string, state = 'running', reason: string | null = null): ContainerInfo => ({
  name,
  image: null,
  ready: state === 'running',
  state,
  reason,
  restartCount: 0,
});
const pod = (phase: string, containers: ContainerInfo[]) => ({
  cluster: 'prod',
  namespace: 'shop',
  pod: 'web-1',
  phase,
  containers,
});

describe('choosing the container', () => {
  it('connects directly to the only running container', () => {
    expect(chooseContainer(pod('Running', [c('app')]))).toEqual({ kind: 'connect', container: 'app' });
  });

  it('asks when there are several, preselecting the first running one', () => {
    const containers = [c('init-ish', 'waiting', 'CrashLoopBackOff'), c('app'), c('sidecar')];
    expect(chooseContainer(pod('Running', containers))).toEqual({ kind: 'pick', containers, preselect: 'app' });
  });

  it('still shows the picker (with nothing to pick) when no container runs', () => {
    const r = chooseContainer(pod('Running', [c('a', 'waiting'), c('b', 'terminated')]));
    expect(r).toMatchObject({ kind: 'pick', preselect: undefined });
  });

  it('refuses a pod that is not Running, and a single container that is not running', () => {
    expect(chooseContainer(pod('Pending', [c('app', 'waiting')]))).toEqual({
      kind: 'refuse',
      message: 'pod shop/web-1 is Pending: a shell needs a Running pod',
    });
    expect(chooseContainer(pod('Running', [c('app', 'waiting', 'ImagePullBackOff')]))).toEqual({
      kind: 'refuse',
      message: 'container "app" of pod shop/web-1 is waiting: ImagePullBackOff',
    });
    expect(chooseContainer(pod('Running', []))).toMatchObject({ kind: 'refuse' });
  });
});

function first(s: ShellsState) {
  const x = s.sessions[0];
  if (!x) throw new Error('no session');
  return x;
}

function run(...actions: ShellsAction[]): ShellsState {
  return actions.reduce(shellsReducer, initialShells);
}
const add = (key: string, t = target): ShellsAction => ({ type: 'add', key, target: t });

describe('why a Shell button is disabled', () => {
  const running = { name: 'app', state: 'running', reason: null };
  const waiting = { name: 'side', state: 'waiting', reason: 'CrashLoopBackOff' };
  it('names the container state for a container, the phase for a pod', () => {
    expect(whyNoShell({ phase: 'Running', containers: [running, waiting] }, 'side')).toBe(
      'container side is waiting: CrashLoopBackOff, not running',
    );
    expect(whyNoShell({ phase: 'Running', containers: [running, waiting] }, 'app')).toBeUndefined();
    expect(whyNoShell({ phase: 'Running', containers: [running, waiting] })).toBeUndefined();
    expect(whyNoShell({ phase: 'Pending', containers: [] })).toBe('the pod is Pending, not Running');
    expect(whyNoShell({ phase: 'Running', containers: [waiting] })).toBe(
      'no container is running (side: waiting: CrashLoopBackOff)',
    );
  });
});

describe('shell sessions', () => {
  it('a new shell is shown and connecting; the one shown before is minimized', () => {
    const s = run(add('s1'), add('s2'));
    expect(s.visible).toBe('s2');
    expect(s.sessions.map((x) => [x.key, x.status])).toEqual([
      ['s1', 'connecting'],
      ['s2', 'connecting'],
    ]);
  });

  it('minimize hides the panel but keeps the session; show restores it', () => {
    let s = run(add('s1'), add('s2'), { type: 'minimize', key: 's2' });
    expect(s.visible).toBeNull();
    expect(s.sessions).toHaveLength(2);
    s = shellsReducer(s, { type: 'show', key: 's1' });
    expect(s.visible).toBe('s1');
    // minimizing one that is not shown changes nothing
    expect(shellsReducer(s, { type: 'minimize', key: 's2' })).toBe(s);
    // showing an unknown session changes nothing
    expect(shellsReducer(s, { type: 'show', key: 'nope' })).toBe(s);
  });

  it('closing the shown shell leaves the others minimized; closing a minimized one keeps the shown one', () => {
    let s = run(add('s1'), add('s2'), add('s3'));
    expect(visibleAfterRemove(s, 's3')).toBeNull();
    expect(visibleAfterRemove(s, 's1')).toBe('s3');
    s = shellsReducer(s, { type: 'remove', key: 's1' });
    expect(s.visible).toBe('s3');
    s = shellsReducer(s, { type: 'remove', key: 's3' });
    expect(s.visible).toBeNull();
    expect(s.sessions.map((x) => x.key)).toEqual(['s2']);
  });

  it('opened marks the session open with the hub id and container', () => {
    const s = run(add('s1', { ...target, container: 'app' }), {
      type: 'opened',
      key: 's1',
      sessionId: 'uuid-1',
      container: 'app',
    });
    expect(s.sessions[0]).toMatchObject({ status: 'open', sessionId: 'uuid-1' });
    expect(statusText(first(s))).toBe('connected');
    expect(statusDot(first(s))).toBe('ok');
  });

  it('an ended session stays listed with its notice; the first ending wins', () => {
    const s = run(
      add('s1'),
      { type: 'opened', key: 's1', sessionId: 'u', container: 'app' },
      { type: 'error', key: 's1', message: 'lost the agent' },
      {
        type: 'ended',
        key: 's1',
        kind: 'agent-lost',
        notice: 'Session ended (agent lost): the agent connection was lost',
      },
      { type: 'ended', key: 's1', kind: 'disconnected', notice: 'later' },
    );
    expect(s.sessions).toHaveLength(1);
    expect(s.sessions[0]).toMatchObject({
      status: 'ended',
      error: 'lost the agent',
      ended: { kind: 'agent-lost', notice: 'Session ended (agent lost): the agent connection was lost' },
    });
    expect(statusDot(first(s))).toBe('err');
    expect(statusText(first(s))).toBe('ended');
  });

  it('an exit shows its code; a normal close is not an error', () => {
    const s = run(
      add('s1'),
      { type: 'opened', key: 's1', sessionId: 'u', container: 'app' },
      { type: 'exit', key: 's1', code: 7 },
      { type: 'ended', key: 's1', kind: 'closed', notice: 'x' },
    );
    expect(statusText(first(s))).toBe('exited with code 7');
    expect(statusDot(first(s))).toBe('muted');
  });

  it('opened after the end is ignored (late frame)', () => {
    const s = run(
      add('s1'),
      { type: 'ended', key: 's1', kind: 'refused', notice: 'forbidden' },
      { type: 'opened', key: 's1', sessionId: 'u', container: 'app' },
    );
    expect(s.sessions[0]?.status).toBe('ended');
  });

  it('reconnect only applies to ended sessions and starts a new attempt', () => {
    let s = run(add('s1'));
    expect(shellsReducer(s, { type: 'reconnect', key: 's1' })).toBe(s);
    s = run(
      add('s1'),
      { type: 'exit', key: 's1', code: 1 },
      { type: 'ended', key: 's1', kind: 'idle', notice: 'idle' },
      { type: 'reconnect', key: 's1' },
    );
    expect(s.sessions[0]).toMatchObject({ status: 'connecting', attempt: 2, ended: null, exitCode: null, error: null });
    expect(statusText(first(s))).toBe('reconnecting');
  });

  it('a shell restored after a reload carries its hub id and may come back minimized', () => {
    const one = shellsReducer(initialShells, { type: 'add', key: 's1', target });
    const two = shellsReducer(one, { type: 'add', key: 's2', target, sessionId: 'abc', show: false });
    expect(two.visible).toBe('s1');
    expect(two.sessions[1]).toMatchObject({ key: 's2', status: 'connecting', sessionId: 'abc' });
  });

  it('adding an existing key or removing an unknown one changes nothing', () => {
    const s = run(add('s1'));
    expect(shellsReducer(s, add('s1'))).toBe(s);
    expect(shellsReducer(s, { type: 'remove', key: 'zz' })).toBe(s);
  });

  it('labels number further shells into the same container', () => {
    const s = run(add('s1'), add('s2', { ...target, container: 'sidecar' }), add('s3'));
    expect(s.sessions.map((x) => sessionLabel(s.sessions, x.key))).toEqual([
      'web-1/app',
      'web-1/sidecar',
      'web-1/app (2)',
    ]);
    expect(sessionTitle(target)).toBe('web-1/app @ prod/shop');
  });
});
