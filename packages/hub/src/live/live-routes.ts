// GET /api/v1/live?cluster=NAME (WebSocket): what changes in a cluster, as it
// happens, filtered to what the caller may view. A slow reader gets an
// {type:"overflow"} notice and should refetch, rather than unbounded buffering.
import type { Socket } from 'node:net';
import type { FastifyPluginCallback } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSomewhere } from '../auth/rbac.js';
import { clusterName } from '../clusters/cluster-access.js';
import { CLIENT_MAX_FRAME_BYTES } from '@wheelhouse/protocol';
import { apiError, requirePrincipal, sendError } from '../http/errors.js';
import { limitIncomingFrames } from '../http/ws-frame-limit.js';
import type { HubMetrics } from '../metrics.js';
import type { LiveBus, LiveMessage } from './live-bus.js';

/** Above this many bytes queued on a socket, messages are dropped until it drains. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/**
 * Each message's JSON, made once for every socket that gets it whole (a
 * cluster many browsers watch; the fan-in bench's profile had one
 * JSON.stringify per socket). Keyed by the object, so a copy filtered for a
 * namespace-scoped viewer gets its own text.
 */
const encoded = new WeakMap<LiveMessage, string>();
function encode(m: LiveMessage): string {
  let text = encoded.get(m);
  if (text === undefined) {
    text = JSON.stringify(m);
    encoded.set(m, text);
  }
  return text;
}

export const liveRoutes: FastifyPluginCallback<{ live: LiveBus; metrics: HubMetrics }> = (appIn, deps, done) => {
  const app = appIn.withTypeProvider<ZodTypeProvider>();
  app.route({
    method: 'GET',
    url: '/live',
    schema: { tags: ['live'], querystring: z.object({ cluster: clusterName }).strict() },
    preValidation: async (req) => {
      const principal = requirePrincipal(req);
      // Namespace-scoped viewers subscribe too (each message is filtered below); others need view on the cluster.
      if (!canSomewhere(principal.bindings, 'view', { cluster: req.query.cluster })) {
        await app.requirePermission(req, 'view', { cluster: req.query.cluster });
      }
    },
    // A plain GET that passed the checks gets the API's error shape (as shell and logs do), not an empty 404.
    handler: async (_req, reply) => sendError(reply, apiError('upgrade_required')),
    wsHandler: (socket, req) => {
      limitIncomingFrames(socket, CLIENT_MAX_FRAME_BYTES.live);
      const principal = requirePrincipal(req);
      const { cluster } = req.query;
      let overflowed = false;
      // The TCP socket under the WebSocket: corked while a batch publishes (LiveBus.batch), so that batch's
      // frames to this browser go out in one write.
      // (None under fastify's injectWS, whose request has no socket: nothing to cork.)
      const tcp = req.socket as Socket | undefined;
      let corked = false;
      const send = (text: string): void => {
        if (!corked && tcp && deps.live.inBatch) {
          corked = true;
          tcp.cork();
          deps.live.afterBatch(() => {
            corked = false;
            tcp.uncork();
          });
        }
        socket.send(text);
      };
      const visible = (ns: string): boolean =>
        app.can(principal, 'view', ns ? { cluster, namespace: ns } : { cluster });
      const filter = (m: LiveMessage): LiveMessage | null => {
        if (m.cluster !== cluster) return null;
        switch (m.type) {
          case 'timeline':
            return visible(m.event.namespace) ? m : null;
          case 'command':
            return visible(m.command.target.namespace) ? m : null;
          case 'inventory': {
            const upserts = m.upserts.filter((i) => visible(i.namespace));
            const deletes = m.deletes.filter((d) => visible(d.namespace));
            if (!upserts.length && !deletes.length) return null;
            // All of it visible: the message itself, whose text is shared with every other such socket.
            return upserts.length === m.upserts.length && deletes.length === m.deletes.length
              ? m
              : { ...m, upserts, deletes };
          }
          case 'cluster':
            return m;
        }
      };
      deps.metrics.liveSubscribers.inc();
      // The position at subscription (taken in the same turn as subscribe): every message past it reaches
      // this socket. A read whose answer carries an older position may miss what came in between.
      const position = deps.live.position(cluster);
      const unsubscribe = deps.live.subscribe((m) => {
        const out = filter(m);
        if (!out || socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED) {
          deps.metrics.liveDropped.inc();
          if (!overflowed) overflowed = true;
          return;
        }
        if (overflowed) {
          overflowed = false;
          send(
            JSON.stringify({ type: 'overflow', message: 'live messages were dropped while you were slow; refetch' }),
          );
        }
        send(encode(out));
      });
      socket.on('close', () => {
        unsubscribe();
        deps.metrics.liveSubscribers.dec();
      });
      socket.send(JSON.stringify({ type: 'subscribed', cluster, position }));
    },
  });
  done();
};
