// What replicas sharing a PostgreSQL store tell each other over LISTEN/NOTIFY
// (notify-channel.ts): the live feed (every replica's browsers see every
// change), command wake-ups (the replica holding a cluster's agent link sends
// what another replica queued), link closes (a token revoked on one
// replica drops the link wherever it is) and socket closes (access revoked on
// one replica closes the person's browser/CLI sockets on every replica). The
// store stays the truth: a lost notification delays a command until the
// agent's next hello, never loses it; a lost socket close is caught by each
// replica's sweep of its sockets against the store (socket-registry.ts).
import type { FastifyBaseLogger } from 'fastify';
import type { AgentLink } from '../link/agent-link.js';
import type { LiveBus, LiveMessage } from '../live/live-bus.js';
import type { SocketCloseDecision, SocketRegistry } from '../http/socket-registry.js';
import type { NotifyChannel } from './notify-channel.js';

export const CHANNELS = {
  live: 'wheelhouse_live',
  commands: 'wheelhouse_commands',
  linkClose: 'wheelhouse_link_close',
  socketClose: 'wheelhouse_socket_close',
} as const;

export interface PeeringDeps {
  channel: NotifyChannel;
  link: AgentLink;
  live: LiveBus;
  sockets: SocketRegistry;
  log: FastifyBaseLogger;
}

/** A socket close from another replica, or null when the payload is not one. */
export function parseSocketClose(payload: string): SocketCloseDecision | null {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const d = v as Record<string, unknown>;
  const str = (k: string): k is string => typeof d[k] === 'string' && d[k] !== '';
  if (typeof d.reason !== 'string') return null;
  const reason = d.reason;
  if (d.op === 'user' && str('userId')) {
    const except = d.exceptSessionIdHash;
    if (except !== undefined && typeof except !== 'string') return null;
    return {
      op: 'user',
      userId: d.userId as string,
      reason,
      ...(except !== undefined ? { exceptSessionIdHash: except } : {}),
    };
  }
  if (d.op === 'session' && str('sessionIdHash'))
    return { op: 'session', sessionIdHash: d.sessionIdHash as string, reason };
  if (d.op === 'token' && str('tokenId')) return { op: 'token', tokenId: d.tokenId as string, reason };
  return null;
}

/** Wires the channel to the link and the live bus; call before channel.start(). */
export function connectReplicas({ channel, link, live, sockets, log }: PeeringDeps): void {
  const failed =
    (what: string) =>
    (err: unknown): void =>
      log.warn({ err }, `telling the other replicas (${what}) failed`);

  channel.on(CHANNELS.live, (payload) => {
    try {
      live.deliver(JSON.parse(payload) as LiveMessage);
    } catch (err) {
      log.warn({ err }, 'ignored a live message from another replica that is not JSON');
    }
  });
  live.setRemote((msg) => {
    channel.send(CHANNELS.live, JSON.stringify(msg)).catch(failed('live feed'));
  });

  channel.on(CHANNELS.commands, (cluster) => {
    if (link.isConnected(cluster)) {
      link.dispatchPending(cluster).catch((err: unknown) => log.error({ err, cluster }, 'dispatching commands failed'));
    }
  });
  channel.on(CHANNELS.linkClose, (payload) => {
    try {
      const { cluster, code, reason } = JSON.parse(payload) as { cluster: string; code: number; reason: string };
      link.disconnectHere(cluster, code, reason);
    } catch (err) {
      log.warn({ err }, 'ignored a link close from another replica that is not JSON');
    }
  });
  // Applied here without publishing again (apply(), not close*()): one decision, one message.
  channel.on(CHANNELS.socketClose, (payload) => {
    const d = parseSocketClose(payload);
    if (d) sockets.apply(d);
    else log.warn('ignored a socket close from another replica that is not one');
  });
  sockets.setPeers((d) => {
    channel.send(CHANNELS.socketClose, JSON.stringify(d)).catch(failed('socket close'));
  });
  link.setPeers({
    wake: (cluster) => {
      channel.send(CHANNELS.commands, cluster).catch(failed('command wake-up'));
    },
    disconnect: (cluster, code, reason) => {
      channel.send(CHANNELS.linkClose, JSON.stringify({ cluster, code, reason })).catch(failed('link close'));
    },
  });
}
