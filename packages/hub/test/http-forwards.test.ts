// The console's HTTP forwards: a token names one forward, which closes when idle or too old; per-user counts.
import { describe, expect, it } from 'vitest';
import { HTTP_FORWARD_TOKEN, HttpForwards } from '../src/portforward/http-forwards.js';

const target = { user: 'alice', cluster: 'c', namespace: 'ns', pod: 'web', port: 8080 };

describe('HttpForwards', () => {
  it('closes a forward idle longer than idleMs, and any older than maxAgeMs however busy', () => {
    let now = 1_000_000;
    const forwards = new HttpForwards({ idleMs: 1000, maxAgeMs: 5000 }, () => now);
    const f = forwards.open(target);
    expect(f.token).toMatch(HTTP_FORWARD_TOKEN);
    now += 900;
    expect(forwards.use(f.token)?.pod).toBe('web');
    now += 900; // 1800 after opening, 900 after the last use
    expect(forwards.use(f.token)).not.toBeNull();
    now += 1001;
    expect(forwards.use(f.token)).toBeNull(); // idle
    const busy = forwards.open(target);
    for (let i = 0; i < 6; i++) {
      now += 900;
      if (i < 5) expect(forwards.use(busy.token)).not.toBeNull();
    }
    expect(forwards.use(busy.token)).toBeNull(); // 5400 ms old
    forwards.closeAll();
  });

  it('counts open forwards per user; tokens are unguessable and distinct', () => {
    const forwards = new HttpForwards({ maxPerUser: 2 });
    const a = forwards.open(target);
    const b = forwards.open(target);
    forwards.open({ ...target, user: 'bob' });
    expect(forwards.activeFor('alice')).toBe(2);
    expect(forwards.activeFor('bob')).toBe(1);
    expect(a.token).not.toBe(b.token);
    expect(forwards.use('x'.repeat(43))).toBeNull();
    forwards.closeAll('c');
    expect(forwards.activeFor('alice')).toBe(0);
    forwards.closeAll();
  });
});
