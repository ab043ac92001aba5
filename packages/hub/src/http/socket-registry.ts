// Every browser/CLI WebSocket (live feed, shell, logs, and any socket route
// added later) with the credential that opened it, so that revoking the
// credential closes the socket too: a socket is authorized once, at the
// upgrade, and would otherwise outlive a disabled user, a removed binding, a
// sign-out, a password reset or a revoked token. Registration is central (the
// WebSocket server's 'connection' event, with the principal the auth hook
// found), so no route can forget it; the identity service calls close*().
// With replicas, a socket may be open on any of them: close*() applies the
// decision here and hands it to setPeers()' publisher, and every other
// replica applies it to its own sockets with apply() (replica-peering.ts).
import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../auth/types.js';

/** Close code of a socket whose credential was revoked (like the agent link's 4401); the reason says why. */
export const SOCKET_CLOSE_REVOKED = 4401;
/** A socket that has not finished its close handshake by then is cut. */
const TERMINATE_AFTER_MS = 500;
/** How often sockets are checked against their credential's end. */
const EXPIRY_SWEEP_MS = 5_000;

interface Entry {
  socket: WebSocket;
  userId: string;
  username: string;
  sessionIdHash: string | undefined;
  tokenId: string | undefined;
  endsAt: number | undefined;
  /** The bindings the socket was authorized under (bindingKey()). */
  bindings: string[];
  route: string;
}

/** Which of these session hashes and token ids are still valid now. */
export type CredentialCheck = (
  sessionIdHashes: string[],
  tokenIds: string[],
) => Promise<{ sessions: Set<string>; tokens: Set<string> }>;

/** A decision to close sockets, as replicas send it to each other. */
export type SocketCloseDecision =
  | { op: 'user'; userId: string; reason: string; exceptSessionIdHash?: string }
  | { op: 'session'; sessionIdHash: string; reason: string }
  | { op: 'token'; tokenId: string; reason: string };

/** These users' bindings that still grant now. */
export type BindingCheck = (
  userIds: string[],
) => Promise<{ userId: string; role: string; clusterPattern: string; namespacePattern: string }[]>;

const bindingKey = (b: { role: string; clusterPattern: string; namespacePattern: string }): string =>
  `${b.role}\u0000${b.clusterPattern}\u0000${b.namespacePattern}`;

export class SocketRegistry {
  private readonly entries = new Set<Entry>();
  private publish: ((decision: SocketCloseDecision) => void) | null = null;

  /** Replicas: every close*() decided here is also handed to `publish`, which tells the other replicas. */
  setPeers(publish: (decision: SocketCloseDecision) => void): void {
    this.publish = publish;
  }

  add(socket: WebSocket, principal: Principal, route: string): void {
    const e: Entry = {
      socket,
      userId: principal.userId,
      username: principal.username,
      sessionIdHash: principal.sessionIdHash,
      tokenId: principal.tokenId,
      endsAt: principal.credentialEndsAt,
      bindings: principal.bindings.map(bindingKey),
      route,
    };
    this.entries.add(e);
    socket.once('close', () => this.entries.delete(e));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Closes every socket of a user (disabled, deleted, binding removed, password reset), except one session's. */
  closeUser(userId: string, reason: string, except?: { sessionIdHash?: string | undefined }): number {
    return this.decide({
      op: 'user',
      userId,
      reason,
      ...(except?.sessionIdHash !== undefined ? { exceptSessionIdHash: except.sessionIdHash } : {}),
    });
  }

  /** Closes the sockets a session opened (sign-out, session ended). */
  closeSession(sessionIdHash: string, reason: string): number {
    return this.decide({ op: 'session', sessionIdHash, reason });
  }

  /** Closes the sockets an API token opened (token revoked). */
  closeToken(tokenId: string, reason: string): number {
    return this.decide({ op: 'token', tokenId, reason });
  }

  private decide(d: SocketCloseDecision): number {
    const n = this.apply(d);
    this.publish?.(d);
    return n;
  }

  /** Applies a decision to this replica's sockets only (one another replica made); returns how many closed. */
  apply(d: SocketCloseDecision): number {
    switch (d.op) {
      case 'user':
        return this.closeWhere(
          (e) =>
            e.userId === d.userId && (d.exceptSessionIdHash === undefined || e.sessionIdHash !== d.exceptSessionIdHash),
          d.reason,
        );
      case 'session':
        return this.closeWhere((e) => e.sessionIdHash === d.sessionIdHash, d.reason);
      case 'token':
        return this.closeWhere((e) => e.tokenId === d.tokenId, d.reason);
    }
  }

  /** Closes sockets whose credential has reached its end (a session's absolute lifetime, a token's expiry). */
  closeExpired(now = Date.now()): number {
    return (
      this.closeWhere(
        (e) => e.endsAt !== undefined && e.endsAt <= now && e.tokenId === undefined,
        'the session expired',
      ) + this.closeWhere((e) => e.endsAt !== undefined && e.endsAt <= now, 'the API token expired')
    );
  }

  /**
   * Closes sockets whose session or API token the store no longer honours —
   * a session past its idle expiry, or a credential ended by any path that did
   * not call close*() itself.
   */
  async closeUnhonoured(alive: CredentialCheck): Promise<number> {
    const snapshot = [...this.entries];
    const sessions = [...new Set(snapshot.flatMap((e) => (e.sessionIdHash !== undefined ? [e.sessionIdHash] : [])))];
    const tokens = [...new Set(snapshot.flatMap((e) => (e.tokenId !== undefined ? [e.tokenId] : [])))];
    if (sessions.length === 0 && tokens.length === 0) return 0;
    const live = await alive(sessions, tokens);
    const dead = new Set(
      snapshot.filter((e) =>
        e.sessionIdHash !== undefined
          ? !live.sessions.has(e.sessionIdHash)
          : e.tokenId !== undefined && !live.tokens.has(e.tokenId),
      ),
    );
    return (
      this.closeWhere((e) => dead.has(e) && e.sessionIdHash !== undefined, 'the session ended or expired') +
      this.closeWhere((e) => dead.has(e), 'the API token is no longer valid')
    );
  }

  /**
   * Closes sockets opened under a binding that no longer grants (removed, or a
   * just-in-time grant that ended). With replicas, the replica that removed it
   * closes them everywhere over NOTIFY at once; this sweep catches a
   * notification lost while a replica's LISTEN connection was down.
   */
  async closeNarrowed(live: BindingCheck): Promise<number> {
    const snapshot = [...this.entries];
    const users = [...new Set(snapshot.filter((e) => e.bindings.length > 0).map((e) => e.userId))];
    if (users.length === 0) return 0;
    const granting = new Set((await live(users)).map((b) => `${b.userId}\u0000${bindingKey(b)}`));
    const narrowed = new Set(snapshot.filter((e) => e.bindings.some((k) => !granting.has(`${e.userId}\u0000${k}`))));
    return this.closeWhere((e) => narrowed.has(e), 'a role binding was removed or has ended');
  }

  private closeWhere(match: (e: Entry) => boolean, reason: string): number {
    let n = 0;
    for (const e of [...this.entries]) {
      if (!match(e)) continue;
      this.entries.delete(e);
      n++;
      const { socket } = e;
      // A close frame carries at most 123 bytes of reason.
      socket.close(SOCKET_CLOSE_REVOKED, Buffer.from(reason).subarray(0, 123).toString());
      // The shell keeps its client paused until the exec is open: let the close handshake be read.
      if (socket.isPaused) socket.resume();
      setTimeout(() => {
        if (socket.readyState !== socket.CLOSED) socket.terminate();
      }, TERMINATE_AFTER_MS).unref();
    }
    return n;
  }
}

/**
 * Registers every upgraded socket that a user's credential opened. Call after
 * the auth plugin (its onRequest hook sets request.principal).
 */
export function registerSocketRegistry(
  app: FastifyInstance,
  registry: SocketRegistry,
  opts: { alive?: CredentialCheck; bindings?: BindingCheck } = {},
): void {
  const opened = new WeakMap<IncomingMessage, { principal: Principal; route: string }>();
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.principal && request.headers.upgrade?.toLowerCase() === 'websocket')
      opened.set(request.raw, { principal: request.principal, route: request.routeOptions.url ?? request.url });
    done();
  });
  // Credentials that end by themselves (absolute session lifetime, token expiry; with `alive`, idle expiry
  // and anything else the store no longer honours; with `bindings`, bindings removed or ended) close their
  // sockets too.
  const { alive, bindings } = opts;
  const sweeper = setInterval(() => {
    registry.closeExpired();
    if (alive)
      registry
        .closeUnhonoured(alive)
        .catch((err: unknown) => app.log.warn({ err }, "checking sockets' credentials failed"));
    if (bindings)
      registry
        .closeNarrowed(bindings)
        .catch((err: unknown) => app.log.warn({ err }, "checking sockets' bindings failed"));
  }, EXPIRY_SWEEP_MS);
  sweeper.unref();
  app.addHook('onClose', (_app, done) => {
    clearInterval(sweeper);
    done();
  });
  // Emitted by @fastify/websocket right after the upgrade, before the route's wsHandler runs.
  app.websocketServer.on('connection', (socket: WebSocket, raw: IncomingMessage) => {
    const o = opened.get(raw);
    if (o) registry.add(socket, o.principal, o.route);
  });
}
