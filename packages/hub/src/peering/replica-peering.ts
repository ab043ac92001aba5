// What replicas sharing a PostgreSQL store tell each other over LISTEN/NOTIFY
// (notify-channel.ts): the live feed (every replica's browsers see every
// change), command wake-ups (the replica holding a cluster's agent link sends
// what another replica queued) and link closes (a token revoked on one
// replica drops the link wherever it is). The store stays the truth: a lost
// notification delays a command until the agent's next hello, never loses it.
import type { FastifyBaseLogger } from 'fastify';
import type { AgentLink } from '../link/agent-link.js';
import type { LiveBus, LiveMessage } from '../live/live-bus.js';
import type { NotifyChannel } from './notify-channel.js';

export const CHANNELS = {
  live: 'wheelhouse_live',
  commands: 'wheelhouse_commands',
  linkClose: 'wheelhouse_link_close',
} as const;

export interface PeeringDeps {
  channel: NotifyChannel;
  link: AgentLink;
  live: LiveBus;
  log: FastifyBaseLogger;
}

/** Wires the channel to the link and the live bus; call before channel.start(). */
export function connectReplicas({ channel, link, live, log }: PeeringDeps): void {
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
  link.setPeers({
    wake: (cluster) => {
      channel.send(CHANNELS.commands, cluster).catch(failed('command wake-up'));
    },
    disconnect: (cluster, code, reason) => {
      channel.send(CHANNELS.linkClose, JSON.stringify({ cluster, code, reason })).catch(failed('link close'));
    },
  });
}
