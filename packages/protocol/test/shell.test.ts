// The pod shell's binary frame codec (shell.ts).
import { describe, expect, it } from 'vitest';
import {
  SHELL_FRAME_HEADER_BYTES,
  ShellAgentMessage,
  ShellFrameError,
  decodeShellFrame,
  encodeShellFrame,
  isShellControlText,
} from '../src/shell.js';

const ID = '0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('shell frame codec', () => {
  it('round-trips session id, channel and payload', () => {
    for (const channel of [0, 1, 2] as const) {
      const payload = Buffer.from(`bytes on ${channel} \u00e9\u0000\u00ff`);
      const frame = encodeShellFrame(ID, channel, payload);
      expect(frame.length).toBe(SHELL_FRAME_HEADER_BYTES + payload.length);
      const d = decodeShellFrame(frame);
      expect(d).toEqual({ sessionId: ID, channel, payload });
    }
    expect(decodeShellFrame(encodeShellFrame(ID, 1, Buffer.alloc(0))).payload.length).toBe(0);
  });

  it('rejects malformed frames and ids', () => {
    expect(() => encodeShellFrame('not-a-uuid', 1, Buffer.alloc(1))).toThrow(ShellFrameError);
    expect(() => encodeShellFrame(ID.toUpperCase(), 1, Buffer.alloc(1))).toThrow(ShellFrameError);
    expect(() => decodeShellFrame(Buffer.alloc(5))).toThrow(/too short/);
    const bad = encodeShellFrame(ID, 1, Buffer.from('x'));
    bad[0] = 9;
    expect(() => decodeShellFrame(bad)).toThrow(/version/);
    const badChannel = encodeShellFrame(ID, 1, Buffer.from('x'));
    badChannel[1] = 7;
    expect(() => decodeShellFrame(badChannel)).toThrow(/channel/);
  });

  it('recognises shell control text the way the agent serialises it', () => {
    const msg = { type: 'shell.exit', sessionId: ID, code: 3 } as const;
    const text = JSON.stringify(msg);
    expect(isShellControlText(text)).toBe(true);
    expect(ShellAgentMessage.parse(JSON.parse(text))).toEqual(msg);
    expect(isShellControlText(JSON.stringify({ type: 'timeline', events: [] }))).toBe(false);
  });
});
