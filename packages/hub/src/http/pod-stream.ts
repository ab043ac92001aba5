// What the pod WebSocket routes (shell, logs) share: which container a request
// means, and "every check before the upgrade": the preHandler prepares the
// stream, a plain GET that passed gets 426, the socket is handed to the relay.
import type { WebSocket } from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, type ApiProblem } from '@wheelhouse/protocol';
import { apiError, sendError } from './errors.js';
import { limitIncomingFrames } from './ws-frame-limit.js';

/**
 * The container a request names, or the pod's only one; otherwise the error to
 * answer. `initContainers`, when given, may be named too and are listed in errors.
 */
export function pickContainer(o: {
  namespace: string;
  pod: string;
  requested: string | undefined;
  containers: string[];
  initContainers?: string[];
  /** Debug containers: accepted when named, never picked by default. */
  ephemeralContainers?: string[];
}): { container: string } | { problem: ApiProblem } {
  const { namespace, pod, requested, containers, initContainers } = o;
  const detail = { containers, ...(initContainers ? { initContainers } : {}) };
  if (requested === undefined) {
    if (containers.length === 1) return { container: containers[0] ?? '' };
    return { problem: problem('container_required', { namespace, pod, containers }, detail) };
  }
  if (
    containers.includes(requested) ||
    (initContainers ?? []).includes(requested) ||
    (o.ephemeralContainers ?? []).includes(requested)
  )
    return { container: requested };
  const all = [...containers, ...(initContainers ?? []), ...(o.ephemeralContainers ?? [])];
  return {
    problem: problem(
      'not_found',
      { message: `pod ${namespace}/${pod} has no container "${requested}"; its containers: ${all.join(', ')}` },
      detail,
    ),
  };
}

/**
 * The route's handler (a plain GET: 426) and wsHandler (start what the preHandler prepared), with the socket's
 * incoming frames bounded to maxFrameBytes (CLIENT_MAX_FRAME_BYTES).
 */
export function upgradeAfterChecks<T>(
  prepared: WeakMap<FastifyRequest, T>,
  maxFrameBytes: number,
  start: (socket: WebSocket, prepared: T) => void,
) {
  return {
    handler: async (_req: FastifyRequest, reply: FastifyReply) => sendError(reply, apiError('upgrade_required')),
    wsHandler: (socket: WebSocket, req: FastifyRequest) => {
      limitIncomingFrames(socket, maxFrameBytes);
      const p = prepared.get(req);
      if (!p) {
        socket.close(1011, 'not prepared');
        return;
      }
      start(socket, p);
    },
  };
}
