// The shell recording's asciicast v2 writer and reader (shell/asciicast.ts).
import { describe, expect, it } from 'vitest';
import { AsciicastWriter, parseAsciicast } from '../src/shell/asciicast.js';

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
