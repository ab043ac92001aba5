// `wheelhouse shell join`'s argument: a session id or the console's invite link; anything else a usage error naming it.
import { describe, expect, it } from 'vitest';
import { participantsLine, sessionIdOf } from '../src/commands/shell-join.js';

const ID = '7a1c9f0e-1111-4222-8333-444455556666';

describe('shell join arguments', () => {
  it('takes an id, or the id at the end of an invite link', () => {
    expect(sessionIdOf(ID)).toBe(ID);
    expect(sessionIdOf(ID.toUpperCase())).toBe(ID);
    expect(sessionIdOf(`https://wheelhouse.example.com/join/${ID}`)).toBe(ID);
    expect(sessionIdOf(`https://wheelhouse.example.com/join/${ID}/`)).toBe(ID);
  });
  it('refuses what is neither, naming the argument', () => {
    for (const bad of ['abc', `${ID}x`, `https://h/sessions/${ID}`, ''])
      expect(() => sessionIdOf(bad)).toThrow(`session-id "${bad}" is neither a session id`);
  });
  it('lists participants as user (role)', () => {
    expect(
      participantsLine([
        { user: 'alice', role: 'owner', joinedAt: 1 },
        { user: 'bob', role: 'observer', joinedAt: 2 },
      ]),
    ).toBe('alice (owner), bob (observer)');
  });
});
