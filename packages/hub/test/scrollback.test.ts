import { describe, expect, it } from 'vitest';
import { Scrollback } from '../src/shell/scrollback.js';

describe('shell scrollback', () => {
  it('keeps everything below the cap, in order', () => {
    const s = new Scrollback(100);
    s.push(Buffer.from('one\r\n'));
    s.push(Buffer.from('two\r\n'));
    expect(s.contents().toString()).toBe('one\r\ntwo\r\n');
  });

  it('drops the oldest bytes past the cap and starts at a whole line', () => {
    const s = new Scrollback(16);
    for (let i = 0; i < 10; i++) s.push(Buffer.from(`line-${i}\n`));
    expect(s.bytes).toBe(16);
    // The last 16 bytes are "7\nline-8\nline-9\n": the partial line goes.
    expect(s.contents().toString()).toBe('line-8\nline-9\n');
  });

  it('keeps the buffer it is given, not a copy (the relay hands it the private copy it also sends)', () => {
    const s = new Scrollback(100);
    const b = Buffer.from('abc');
    s.push(b);
    b.write('xyz');
    expect(s.contents().toString()).toBe('xyz');
  });

  it('keeps nothing with a cap of 0', () => {
    const s = new Scrollback(0);
    s.push(Buffer.from('abc'));
    expect(s.contents().length).toBe(0);
  });
});
