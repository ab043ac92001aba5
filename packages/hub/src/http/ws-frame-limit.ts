// Per-socket frame bounds for the browser WebSockets (live feed, shell, logs).
// @fastify/websocket runs one ws server for every route, whose maxPayload must
// fit the agent link's largest message; a browser socket needs far less
// (CLIENT_MAX_FRAME_BYTES). ws has no per-connection option, so the bound is
// set on the socket's receiver as soon as the upgrade completes — before any
// frame is read — and ws then closes with 1009 a frame larger than that before
// buffering it. `_receiver._maxPayload` is ws's own field (ws 8, pinned); the
// check below fails loudly if a ws upgrade renames it, and
// ws-frame-limits.test.ts proves the bound on each route.
import type { WebSocket } from 'ws';

interface ReceiverLike {
  _maxPayload: number;
}

export function limitIncomingFrames(socket: WebSocket, maxBytes: number): void {
  const receiver = (socket as unknown as { _receiver?: Partial<ReceiverLike> })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') {
    socket.close(1011, 'frame limit unavailable');
    throw new Error('ws receiver has no _maxPayload: the per-socket frame limit cannot be set (ws upgraded?)');
  }
  receiver._maxPayload = maxBytes;
}
