// Shared shells in the console: the hub's joined/participants/moderation
// frames are understood, and the tray keeps who is in each session.
import { describe, expect, it } from 'vitest';
import { parseControl } from '../src/shell/protocol.js';
import { initialShells, shellsReducer } from '../src/shell/sessions.js';

describe('shared shell frames', () => {
  it('parses joined, participants and moderation', () => {
    expect(
      parseControl(
        JSON.stringify({ type: 'joined', sessionId: 's', role: 'peer', owner: 'alice', container: 'app', pod: 'p' }),
      ),
    ).toEqual({ type: 'joined', sessionId: 's', role: 'peer', owner: 'alice', container: 'app' });
    expect(
      parseControl(
        JSON.stringify({
          type: 'participants',
          participants: [
            { user: 'alice', role: 'owner', joinedAt: 1 },
            { user: 'bob', role: 'observer', joinedAt: 2 },
          ],
        }),
      ),
    ).toEqual({
      type: 'participants',
      participants: [
        { user: 'alice', role: 'owner' },
        { user: 'bob', role: 'observer' },
      ],
    });
    expect(parseControl(JSON.stringify({ type: 'moderation', held: true, message: 'm' }))).toEqual({
      type: 'moderation',
      held: true,
      message: 'm',
    });
  });

  it('keeps the participants of a session', () => {
    const target = { cluster: 'c', namespace: 'n', pod: 'p', container: 'app' };
    const s1 = shellsReducer(initialShells, { type: 'add', key: 's1', target });
    expect(s1.sessions[0]?.participants).toEqual([]);
    const s2 = shellsReducer(s1, {
      type: 'participants',
      key: 's1',
      participants: [{ user: 'alice', role: 'owner' }],
    });
    expect(s2.sessions[0]?.participants).toEqual([{ user: 'alice', role: 'owner' }]);
  });
});
