// Pure parts of the pod shell: the binary frame codec and the asciicast writer.
import { describe, expect, it } from 'vitest';
import {
  SHELL_FRAME_HEADER_BYTES,
  ShellAgentMessage,
  ShellFrameError,
  decodeShellFrame,
  encodeShellFrame,
  isShellControlText,
} from '@wheelhouse/protocol';
import { AsciicastWriter, parseAsciicast } from '../src/shell/asciicast.js';

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

describe('asciicast v2 writer', () => {
  it('writes a header and ordered events with relative times', () => {
    const w = new AsciicastWriter(1_000_000, { width: 80, height: 24, timestamp: 1000, command: 'sh' });
    const text = [
      w.headerLine(),
      w.output(1_000_250, Buffer.from('hello\r\n')),
      w.input(1_000_500, Buffer.from('ls\r')),
      w.resize(1_001_000, 100, 30),
      w.output(1_001_500, Buffer.from('done')),
      w.finish(1_002_000),
    ].join('');
    const { header, events } = parseAsciicast(text);
    expect(header).toEqual({ version: 2, width: 80, height: 24, timestamp: 1000, command: 'sh' });
    expect(events).toEqual([
      [0.25, 'o', 'hello\r\n'],
      [0.5, 'i', 'ls\r'],
      [1, 'r', '100x30'],
      [1.5, 'o', 'done'],
    ]);
  });

  it('keeps a UTF-8 character split across frames whole', () => {
    const w = new AsciicastWriter(0, { width: 80, height: 24, timestamp: 0 });
    const euro = Buffer.from('€'); // 3 bytes
    expect(w.output(10, euro.subarray(0, 1))).toBe('');
    const line = w.output(20, Buffer.concat([euro.subarray(1), Buffer.from('!')]));
    expect(JSON.parse(line)).toEqual([0.02, 'o', '€!']);
    expect(w.output(30, euro.subarray(0, 2))).toBe('');
    expect(JSON.parse(w.finish(40))).toEqual([0.04, 'o', '\ufffd']);
  });

  it('escapes control characters so every event is one JSON line', () => {
    const w = new AsciicastWriter(0, { width: 80, height: 24, timestamp: 0 });
    const line = w.output(1, Buffer.from('\u001b[31mred\n"q"\u0007'));
    expect(line.split('\n').length).toBe(2);
    expect(JSON.parse(line)).toEqual([0.001, 'o', '\u001b[31mred\n"q"\u0007']);
  });
});
