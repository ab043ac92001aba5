// The socket-close message replicas send each other (wheelhouse_socket_close):
// what close*() publishes is read back as the same decision; anything else on
// the channel is refused rather than applied loosely (an empty user id must
// never match sockets).
import { describe, expect, it } from 'vitest';
import { SocketRegistry, type SocketCloseDecision } from '../src/http/socket-registry.js';
import { parseSocketClose } from '../src/peering/replica-peering.js';

describe('socket close messages between replicas', () => {
  it('close*() publishes each decision once, and it parses back unchanged', () => {
    const sent: SocketCloseDecision[] = [];
    const registry = new SocketRegistry();
    registry.setPeers((d) => sent.push(d));
    registry.closeUser('u1', 'a role binding was removed');
    registry.closeUser('u1', 'the password was changed', { sessionIdHash: 'h1' });
    registry.closeSession('h2', 'signed out');
    registry.closeToken('t1', 'the API token was revoked');
    expect(sent).toEqual([
      { op: 'user', userId: 'u1', reason: 'a role binding was removed' },
      { op: 'user', userId: 'u1', reason: 'the password was changed', exceptSessionIdHash: 'h1' },
      { op: 'session', sessionIdHash: 'h2', reason: 'signed out' },
      { op: 'token', tokenId: 't1', reason: 'the API token was revoked' },
    ]);
    for (const d of sent) expect(parseSocketClose(JSON.stringify(d))).toEqual(d);
    // Applying a decision from another replica does not publish it again.
    registry.apply({ op: 'user', userId: 'u2', reason: 'x' });
    expect(sent).toHaveLength(4);
  });

  it.each([
    'not json',
    'null',
    '[]',
    '{"op":"user","userId":"","reason":"r"}',
    '{"op":"user","userId":"u","reason":1}',
    '{"op":"user","userId":"u","reason":"r","exceptSessionIdHash":5}',
    '{"op":"session","reason":"r"}',
    '{"op":"token","tokenId":7,"reason":"r"}',
    '{"op":"everyone","reason":"r"}',
  ])('refuses %s', (payload) => {
    expect(parseSocketClose(payload)).toBeNull();
  });
});
